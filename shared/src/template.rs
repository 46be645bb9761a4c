//! The built-in template (DOMAIN.md sections 3 and 4): eight aspects with their factors, eight
//! approaches with the relevance matrix, and `meta`.
//!
//! [`fill`] writes it into a fresh document in one transaction, creating every nested map and
//! text with its parent so that no client ever has to create one lazily.

use yrs::{Any, Map, MapPrelim, TextPrelim, TransactionMut, WriteTxn};

use crate::schema::{self, key};

/// A built-in aspect: id, title and its factors as (id, title).
pub struct AspectTemplate {
    /// Stable slug id.
    pub id: &'static str,
    /// Display title.
    pub title: &'static str,
    /// Factors as (stable slug id, display title), in order.
    pub factors: &'static [(&'static str, &'static str)],
}

/// A built-in approach: id, title and relevance per aspect, in aspect order.
pub struct ApproachTemplate {
    /// Stable slug id.
    pub id: &'static str,
    /// Display title.
    pub title: &'static str,
    /// Relevance (0..3) of each aspect of [`ASPECTS`], in the same order.
    pub relevance: [u8; 8],
}

/// The eight built-in aspects and their factors, in order.
pub const ASPECTS: [AspectTemplate; 8] = [
    AspectTemplate {
        id: "whole-system",
        title: "Whole system design",
        factors: &[
            ("shared-understanding", "Shared understanding of community needs across partners"),
            ("agreed-priorities", "One agreed set of priorities"),
            ("resource-transparency", "Transparency of resources across organisations"),
            ("common-cycle", "A commissioning cycle adopted by all partners"),
            ("balanced-cycle", "Equal attention to analyse, plan, do and review"),
            ("service-tiers", "Balance between prevention, early help and specialist services"),
        ],
    },
    AspectTemplate {
        id: "relationships",
        title: "Relationships and organisation across the system",
        factors: &[
            ("staff-buy-in", "Staff buy-in"),
            ("partner-buy-in", "Partner buy-in"),
            ("political-buy-in", "Political buy-in"),
            ("clear-roles", "Clear roles for commissioners, providers and other stakeholders"),
            ("provider-trust", "Trust and long-term relationships with providers"),
            ("common-language", "A common language of commissioning terms"),
        ],
    },
    AspectTemplate {
        id: "capacity",
        title: "Capacity, capability and confidence",
        factors: &[
            ("skills-balance", "Balance and distribution of commissioning skills"),
            ("change-management", "Project and change management capability"),
            ("data-skills", "Data and analysis capability"),
            ("partner-skills", "Use of skills held by partners and providers"),
            ("confidence", "Confidence to experiment and take managed risks"),
        ],
    },
    AspectTemplate {
        id: "user-outcome",
        title: "User and outcome-centred",
        factors: &[
            ("voice", "Service users and carers heard at every stage"),
            ("co-production", "Co-design and co-production"),
            ("outcomes", "Outcomes defined by what matters in people's lives"),
            ("assets", "Community assets valued as well as needs"),
            ("equality", "Equality and diversity built in"),
        ],
    },
    AspectTemplate {
        id: "information",
        title: "Information, insight and innovation",
        factors: &[
            ("needs-assessment", "Current and future population needs assessment"),
            ("market-analysis", "Service and market analysis"),
            ("joined-data", "Finance, activity and outcome data brought together"),
            ("evidence", "Research and good practice used"),
            ("hypotheses", "Hypotheses tested against evidence"),
            ("experiments", "Learning from experiments"),
        ],
    },
    AspectTemplate {
        id: "policy",
        title: "Managing the policy and compliance landscape",
        factors: &[
            (
                "legal-clarity",
                "Each agency's legal responsibilities clear (\"what we can do, what we can't, and who says so\")",
            ),
            ("social-value", "Social Value and Best Value duties embedded"),
            ("governance", "Governance and formal decision-making"),
            ("proportionate-procurement", "Procurement proportionate for small and local providers"),
            ("aligned-funding", "Finance and incentives aligned across funding streams"),
        ],
    },
    AspectTemplate {
        id: "process",
        title: "Commissioning process",
        factors: &[
            ("needs-led", "Needs and gap analysis drive plans"),
            ("priorities-targets", "Clear service development priorities and targets"),
            ("purchasing-plan", "Purchasing plan links budgets to services"),
            ("impact-monitoring", "Impact monitored against agreed measures"),
            ("decommissioning", "Services decommissioned when they do not meet needs"),
            ("provider-engagement", "Providers engaged throughout"),
        ],
    },
    AspectTemplate {
        id: "models",
        title: "Models and tactics",
        factors: &[
            ("beyond-services", "Delivery options beyond traditional services considered"),
            ("market-management", "Market management plan and market facilitation"),
            ("contract-fit", "Contract forms fit the outcomes sought"),
            ("scenario-testing", "Service modelling and scenario testing"),
            (
                "provider-mix",
                "A mix of providers including voluntary, community and small local organisations",
            ),
        ],
    },
];

/// The eight built-in approaches and the relevance matrix, in order.
pub const APPROACHES: [ApproachTemplate; 8] = [
    ApproachTemplate {
        id: "place-wellbeing",
        title: "Place-based wellbeing",
        relevance: [3, 3, 1, 2, 2, 1, 1, 1],
    },
    ApproachTemplate {
        id: "place-leadership",
        title: "Leadership of place for whole system change",
        relevance: [3, 3, 2, 1, 1, 2, 1, 1],
    },
    ApproachTemplate {
        id: "unlocking-potential",
        title: "Unlocking potential",
        relevance: [1, 2, 3, 3, 1, 0, 1, 1],
    },
    ApproachTemplate {
        id: "citizen-centred",
        title: "Citizen-centred commissioning",
        relevance: [1, 2, 1, 3, 2, 1, 2, 1],
    },
    ApproachTemplate {
        id: "values-disruptive",
        title: "Values-based/disruptive commissioning",
        relevance: [2, 2, 2, 2, 3, 1, 0, 2],
    },
    ApproachTemplate {
        id: "strategic-procurement",
        title: "Strategic procurement of services against needs",
        relevance: [1, 1, 1, 1, 2, 3, 3, 2],
    },
    ApproachTemplate {
        id: "market-management",
        title: "Market management",
        relevance: [1, 2, 1, 1, 3, 2, 2, 3],
    },
    ApproachTemplate {
        id: "delivery-model",
        title: "Delivery model design",
        relevance: [2, 1, 2, 2, 2, 1, 2, 3],
    },
];

/// The stage a new workshop starts at.
pub const FIRST_STAGE: &str = "quick_assessment";

/// What a new workshop is created with. The caller supplies the clock's reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkshopMeta {
    /// Title of the workshop.
    pub title: String,
    /// The place being assessed.
    pub place: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// A new, empty factor map as a participant or the template creates it: title, order, notes
/// and the two vote maps, all in one go.
pub fn factor_prelim(title: &str, order: i64) -> MapPrelim {
    MapPrelim::from([
        (key::TITLE, yrs::In::from(title)),
        (key::ORDER, yrs::In::from(order)),
        (key::NOTES, TextPrelim::new("").into()),
        (key::SCORES, MapPrelim::default().into()),
        (key::WEIGHTS, MapPrelim::default().into()),
    ])
}

/// A registered participant (DOMAIN.md section 6), as the server writes it into
/// `participants/<id>`: every field in one go.
pub struct ParticipantEntry<'a> {
    /// Display name.
    pub name: &'a str,
    /// Organisation.
    pub organisation: &'a str,
    /// Role in the workshop.
    pub role: schema::Role,
    /// One of the four worlds.
    pub world: schema::World,
    /// Breakout group id (may be empty: not in a group yet).
    pub group: &'a str,
}

/// The map of a newly registered participant.
pub fn participant_prelim(entry: &ParticipantEntry<'_>) -> MapPrelim {
    MapPrelim::from([
        (key::NAME, yrs::In::from(entry.name)),
        (key::ORGANISATION, yrs::In::from(entry.organisation)),
        (key::ROLE, yrs::In::from(entry.role.as_str())),
        (key::WORLD, yrs::In::from(entry.world.as_str())),
        (key::GROUP, yrs::In::from(entry.group)),
    ])
}

/// Fills a fresh document with the built-in template and `meta`, in the given transaction.
pub fn fill(txn: &mut TransactionMut, meta: &WorkshopMeta) {
    let meta_map = txn.get_or_insert_map(schema::META);
    meta_map.insert(txn, key::TITLE, meta.title.as_str());
    meta_map.insert(txn, key::PLACE, meta.place.as_str());
    meta_map.insert(txn, key::CREATED_AT, meta.created_at.as_str());
    meta_map.insert(txn, key::SCHEMA, schema::SCHEMA_VERSION);
    meta_map.insert(txn, key::STAGE, FIRST_STAGE);
    meta_map.insert(txn, key::SELECTED_APPROACH, Any::Null);

    let aspects = txn.get_or_insert_map(schema::ASPECTS);
    for (position, aspect) in (1i64..).zip(ASPECTS.iter()) {
        let factors: MapPrelim = (1i64..)
            .zip(aspect.factors.iter())
            .map(|(order, (id, title))| (*id, factor_prelim(title, order)))
            .collect();
        let aspect_map = MapPrelim::from([
            (key::TITLE, yrs::In::from(aspect.title)),
            (key::ORDER, yrs::In::from(position)),
            (key::NOTES, TextPrelim::new("").into()),
            (key::QUICK, MapPrelim::default().into()),
            (key::FACTORS, factors.into()),
        ]);
        aspects.insert(txn, aspect.id, aspect_map);
    }

    let approaches = txn.get_or_insert_map(schema::APPROACHES);
    for (position, approach) in (1i64..).zip(APPROACHES.iter()) {
        let relevance: MapPrelim = ASPECTS
            .iter()
            .zip(approach.relevance)
            .map(|(aspect, r)| (aspect.id, yrs::In::from(i64::from(r))))
            .collect();
        let approach_map = MapPrelim::from([
            (key::TITLE, yrs::In::from(approach.title)),
            (key::ORDER, yrs::In::from(position)),
            (key::RELEVANCE, relevance.into()),
        ]);
        approaches.insert(txn, approach.id, approach_map);
    }

    // The remaining roots exist from the start, so every reader sees the full shape.
    for root in [
        schema::PARTICIPANTS,
        schema::GROUPS,
        schema::ITEMS,
        schema::ACTIONS,
        schema::HYPOTHESES,
        schema::GAPS,
        schema::RESULTS,
    ] {
        txn.get_or_insert_map(root);
    }
}

/// A template document for unit tests, under a fixed client id.
#[cfg(test)]
pub(crate) fn test_document() -> yrs::Doc {
    use yrs::Transact;
    let doc = yrs::Doc::with_client_id(1);
    let meta = WorkshopMeta {
        title: "Title".into(),
        place: "Place".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    fill(&mut doc.transact_mut(), &meta);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use yrs::{Out, ReadTxn, Transact};

    #[test]
    fn ids_are_unique_kebab_case_slugs() {
        let is_slug = |s: &str| {
            !s.is_empty()
                && s.split('-')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase()))
        };
        let aspect_ids: BTreeSet<_> = ASPECTS.iter().map(|a| a.id).collect();
        assert_eq!(aspect_ids.len(), 8);
        for aspect in &ASPECTS {
            assert!(is_slug(aspect.id), "{}", aspect.id);
            let ids: BTreeSet<_> = aspect.factors.iter().map(|f| f.0).collect();
            assert_eq!(ids.len(), aspect.factors.len(), "{}", aspect.id);
            for (id, title) in aspect.factors {
                assert!(is_slug(id), "{id}");
                assert!(title.starts_with(|c: char| c.is_uppercase()), "{title}");
            }
        }
        let approach_ids: BTreeSet<_> = APPROACHES.iter().map(|a| a.id).collect();
        assert_eq!(approach_ids.len(), 8);
    }

    #[test]
    fn template_has_44_factors() {
        let count: usize = ASPECTS.iter().map(|a| a.factors.len()).sum();
        assert_eq!(count, 44);
    }

    #[test]
    fn fill_writes_nested_maps_and_texts() {
        let doc = test_document();
        let txn = doc.transact();
        let aspects = txn.get_map(schema::ASPECTS).expect("aspects root");
        assert_eq!(aspects.len(&txn), 8);
        let Some(Out::YMap(capacity)) = aspects.get(&txn, "capacity") else {
            panic!("capacity is a map");
        };
        assert_eq!(
            capacity.get(&txn, key::ORDER),
            Some(Out::Any(Any::from(3i64)))
        );
        let Some(Out::YMap(factors)) = capacity.get(&txn, key::FACTORS) else {
            panic!("factors is a map");
        };
        let Some(Out::YMap(confidence)) = factors.get(&txn, "confidence") else {
            panic!("confidence is a map");
        };
        assert!(matches!(
            confidence.get(&txn, key::NOTES),
            Some(Out::YText(_))
        ));
        assert!(matches!(
            confidence.get(&txn, key::SCORES),
            Some(Out::YMap(_))
        ));
        assert!(matches!(
            confidence.get(&txn, key::WEIGHTS),
            Some(Out::YMap(_))
        ));
        assert_eq!(
            confidence.get(&txn, key::ORDER),
            Some(Out::Any(Any::from(5i64)))
        );

        let approaches = txn.get_map(schema::APPROACHES).expect("approaches root");
        let Some(Out::YMap(unlocking)) = approaches.get(&txn, "unlocking-potential") else {
            panic!("approach is a map");
        };
        let Some(Out::YMap(relevance)) = unlocking.get(&txn, key::RELEVANCE) else {
            panic!("relevance is a map");
        };
        assert_eq!(
            relevance.get(&txn, "policy"),
            Some(Out::Any(Any::from(0i64)))
        );
        assert_eq!(
            relevance.get(&txn, "capacity"),
            Some(Out::Any(Any::from(3i64)))
        );

        let meta = txn.get_map(schema::META).expect("meta root");
        assert_eq!(
            meta.get(&txn, key::PLACE),
            Some(Out::Any(Any::from("Place")))
        );
        assert_eq!(meta.get(&txn, key::SCHEMA), Some(Out::Any(Any::from(1i64))));
        for root in schema::ROOTS {
            assert!(txn.get_map(root).is_some(), "{root}");
        }
    }
}

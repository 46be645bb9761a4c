//! The document's shape: root-type names, keys and enumerated values (DOMAIN.md section 6).
//!
//! This is the one place where they are spelled; every other module names them from here.

/// Root map `meta`: title, place, created_at, schema, stage, selected_approach.
pub const META: &str = "meta";
/// Root map `participants`: participant id → participant map.
pub const PARTICIPANTS: &str = "participants";
/// Root map `groups`: group id → breakout group map.
pub const GROUPS: &str = "groups";
/// Root map `aspects`: aspect id → aspect map.
pub const ASPECTS: &str = "aspects";
/// Root map `approaches`: approach id → approach map.
pub const APPROACHES: &str = "approaches";
/// Root map `items`: constraint/enabler id → item map.
pub const ITEMS: &str = "items";
/// Root map `actions`: action id → development-plan action map.
pub const ACTIONS: &str = "actions";
/// Root map `hypotheses`: hypothesis id → hypothesis map.
pub const HYPOTHESES: &str = "hypotheses";
/// Root map `gaps`: gap-analysis objective id → gap map.
pub const GAPS: &str = "gaps";
/// Root map `results`: written by the server alone.
pub const RESULTS: &str = "results";

/// Every root map, in the order of DOMAIN.md section 6.
pub const ROOTS: [&str; 10] = [
    META,
    PARTICIPANTS,
    GROUPS,
    ASPECTS,
    APPROACHES,
    ITEMS,
    ACTIONS,
    HYPOTHESES,
    GAPS,
    RESULTS,
];

/// Version of the document shape written into `meta/schema`.
pub const SCHEMA_VERSION: i64 = 1;

/// Keys used inside entity maps.
pub mod key {
    /// Display title of an aspect, factor, approach, item or action.
    pub const TITLE: &str = "title";
    /// Display order (a finite number).
    pub const ORDER: &str = "order";
    /// Collaborative discussion notes (Text).
    pub const NOTES: &str = "notes";
    /// `meta`: the place being assessed.
    pub const PLACE: &str = "place";
    /// `meta`, items and actions: RFC 3339 creation time.
    pub const CREATED_AT: &str = "created_at";
    /// `meta`: document shape version.
    pub const SCHEMA: &str = "schema";
    /// `meta`: the method step the workshop is on.
    pub const STAGE: &str = "stage";
    /// `meta`: the approach the facilitator selected.
    pub const SELECTED_APPROACH: &str = "selected_approach";
    /// Aspect: quick score votes (participant → int).
    pub const QUICK: &str = "quick";
    /// Aspect: agreed quick score.
    pub const QUICK_AGREED: &str = "quick_agreed";
    /// Aspect: factor id → factor map.
    pub const FACTORS: &str = "factors";
    /// Factor: score votes (participant → int).
    pub const SCORES: &str = "scores";
    /// Factor: weight votes (participant → int).
    pub const WEIGHTS: &str = "weights";
    /// Factor: agreed score.
    pub const AGREED_SCORE: &str = "agreed_score";
    /// Factor: agreed weight.
    pub const AGREED_WEIGHT: &str = "agreed_weight";
    /// Approach: aspect id → relevance.
    pub const RELEVANCE: &str = "relevance";
    /// Participant: display name.
    pub const NAME: &str = "name";
    /// Participant: organisation.
    pub const ORGANISATION: &str = "organisation";
    /// Participant: role.
    pub const ROLE: &str = "role";
    /// Participant: one of the four worlds.
    pub const WORLD: &str = "world";
    /// Participant: breakout group id.
    pub const GROUP: &str = "group";
    /// Group: array of aspect ids; action: array of item ids is [`ITEMS`].
    pub const ASPECTS: &str = "aspects";
    /// Item: `constraint` or `enabler`.
    pub const KIND: &str = "kind";
    /// Item and action: aspect id.
    pub const ASPECT: &str = "aspect";
    /// Item: how far it is in the place's control.
    pub const CONTROL: &str = "control";
    /// Item: response (boost, remove, influence, experiment or free text).
    pub const RESPONSE: &str = "response";
    /// Item: impact votes (participant → int).
    pub const IMPACT: &str = "impact";
    /// Item: agreed impact.
    pub const AGREED_IMPACT: &str = "agreed_impact";
    /// Item: dot votes (participant → int).
    pub const DOTS: &str = "dots";
    /// Action: array of linked item ids.
    pub const ITEMS: &str = "items";
    /// Action: owner.
    pub const OWNER: &str = "owner";
    /// Action: due date, YYYY-MM-DD.
    pub const DUE: &str = "due";
    /// Action and hypothesis: status.
    pub const STATUS: &str = "status";
    /// Hypothesis: statement.
    pub const STATEMENT: &str = "statement";
    /// Hypothesis: evidence (Text).
    pub const EVIDENCE: &str = "evidence";
    /// Gap: strategic objective (Text).
    pub const OBJECTIVE: &str = "objective";
    /// Gap: the gap / service developments (Text).
    pub const DEVELOPMENTS: &str = "developments";
    /// Gap: rationale (Text).
    pub const RATIONALE: &str = "rationale";
    /// Gap: commissioning implications (Text).
    pub const IMPLICATIONS: &str = "implications";
}

/// Inclusive range of a score, quick score or impact.
pub const SCORE_RANGE: (i64, i64) = (1, 5);
/// Inclusive range of a weight or a relevance entry.
pub const WEIGHT_RANGE: (i64, i64) = (0, 3);
/// Inclusive range of one participant's dots on one item.
pub const DOTS_RANGE: (i64, i64) = (0, 3);

/// An enumeration of the document, spelt as the document spells it (`$text`). With the `clap`
/// feature it is also a command-line value (clap's `ValueEnum`) under the same spelling, plus
/// any `| "alias"` listed after it, so that the command line takes exactly the document's
/// values, from this one list; with the `openapi` feature it describes itself as a schema.
///
/// `$text` is a `tt`, not a `literal`: a `literal` fragment reaches derive macros wrapped in an
/// invisible group, which serde reads but utoipa's `ToSchema` does not (it would then describe
/// the variants by their Rust names).
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:tt $(| $alias:literal)*),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
        $(#[$doc])*
        pub enum $name {
            $(
                $(#[$vdoc])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "clap", value(name = $text $(, alias = $alias)*))]
                $variant
            ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as spelled in the document.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the document's spelling; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

string_enum! {
    /// A participant's world (the four worlds of the method).
    World {
        /// Service users, carers and citizens.
        Customer = "customer",
        /// Providers and front-line services.
        Service = "service",
        /// Commissioners and managers.
        Management = "management",
        /// Elected members and political leadership.
        Political = "political",
    }
}

string_enum! {
    /// A participant's role in the workshop.
    #[cfg_attr(feature = "openapi", schema(as = ParticipantRole))]
    Role {
        /// Runs the workshop; sets agreed values.
        Facilitator = "facilitator",
        /// A commissioner of the place.
        Commissioner = "commissioner",
        /// A provider.
        Provider = "provider",
        /// A service user or carer.
        UserCarer = "user_carer" | "user-carer",
        /// Any other stakeholder.
        Stakeholder = "stakeholder",
    }
}

string_enum! {
    /// Whether an item holds the place back or helps it.
    ItemKind {
        /// Holds the place back.
        Constraint = "constraint",
        /// Helps the place.
        Enabler = "enabler",
    }
}

string_enum! {
    /// How far an item lies in the place's control.
    Control {
        /// In the place's own control.
        InControl = "in_control" | "in-control",
        /// The place can influence it.
        CanInfluence = "can_influence" | "can-influence",
        /// Outside the place's control.
        OutsideControl = "outside_control" | "outside-control",
    }
}

string_enum! {
    /// Status of a development-plan action.
    ActionStatus {
        /// Proposed.
        Proposed = "proposed",
        /// Agreed.
        Agreed = "agreed",
        /// Under way.
        InProgress = "in_progress" | "in-progress",
        /// Done.
        Done = "done",
        /// Dropped.
        Dropped = "dropped",
    }
}

string_enum! {
    /// Status of a hypothesis.
    HypothesisStatus {
        /// Proposed.
        Proposed = "proposed",
        /// Being investigated.
        Investigating = "investigating",
        /// Accepted on evidence.
        Accepted = "accepted",
        /// Refuted on evidence.
        Refuted = "refuted",
    }
}

/// Joins path segments with `/`, as warnings name them.
pub fn path(segments: &[&str]) -> String {
    segments.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_spelling() {
        for world in World::ALL {
            assert_eq!(World::parse(world.as_str()), Some(*world));
        }
        for control in Control::ALL {
            assert_eq!(Control::parse(control.as_str()), Some(*control));
        }
        assert_eq!(Role::parse("user_carer"), Some(Role::UserCarer));
        assert_eq!(ItemKind::parse("Constraint"), None);
        assert_eq!(
            ActionStatus::parse("in_progress"),
            Some(ActionStatus::InProgress)
        );
        assert_eq!(
            HypothesisStatus::parse("refuted"),
            Some(HypothesisStatus::Refuted)
        );
    }

    #[test]
    fn path_joins_with_slashes() {
        assert_eq!(
            path(&["aspects", "capacity", "order"]),
            "aspects/capacity/order"
        );
    }
}

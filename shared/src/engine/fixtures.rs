//! Builders for hand-made workshops in the engine's tests.

use crate::model::{Approach, Aspect, Factor, Item, Participant, Participants, Votes, Workshop};
use crate::schema::{Control, ItemKind, World};

pub(crate) fn votes(pairs: &[(&str, u8)]) -> Votes {
    pairs.iter().map(|(p, v)| (p.to_string(), *v)).collect()
}

/// A factor with score votes only.
pub(crate) fn scored(id: &str, scores: &[(&str, u8)]) -> Factor {
    Factor {
        id: id.into(),
        scores: votes(scores),
        weights: Votes::new(),
        agreed_score: None,
        agreed_weight: None,
    }
}

/// A factor with an agreed score and an agreed weight.
pub(crate) fn agreed(id: &str, score: Option<u8>, weight: Option<u8>) -> Factor {
    Factor {
        agreed_score: score,
        agreed_weight: weight,
        ..scored(id, &[])
    }
}

pub(crate) fn aspect(id: &str, factors: Vec<Factor>) -> Aspect {
    Aspect {
        id: id.into(),
        title: Some(format!("Aspect {id}")),
        quick: Votes::new(),
        quick_agreed: None,
        factors,
    }
}

/// An aspect whose provisional score is exactly `score` (one factor agreed at it).
pub(crate) fn aspect_at(id: &str, score: Option<u8>) -> Aspect {
    aspect(id, vec![agreed("f", score, None)])
}

pub(crate) fn approach(id: &str, relevance: &[(&str, u8)]) -> Approach {
    Approach {
        id: id.into(),
        title: Some(format!("Approach {id}")),
        relevance: relevance.iter().map(|(a, r)| (a.to_string(), *r)).collect(),
    }
}

pub(crate) fn item(id: &str, kind: ItemKind, control: Option<Control>) -> Item {
    Item {
        id: id.into(),
        kind,
        aspect: None,
        title: format!("Item {id}"),
        control,
        response: None,
        impact: Votes::new(),
        agreed_impact: None,
        dots: Votes::new(),
        created_at: None,
    }
}

pub(crate) fn participants(pairs: &[(&str, Option<World>)]) -> Participants {
    pairs
        .iter()
        .map(|(id, world)| (*id, Participant { world: *world }))
        .collect()
}

pub(crate) fn workshop(aspects: Vec<Aspect>, approaches: Vec<Approach>) -> Workshop {
    Workshop {
        aspects,
        approaches,
        ..Workshop::default()
    }
}

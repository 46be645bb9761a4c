//! Sentences saying what an edit does, for the tool to echo once it is applied.

use std::fmt;

use super::{AgreeTarget, Edit};

impl fmt::Display for AgreeTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgreeTarget::Score { aspect, factor } => write!(f, "score of {aspect}/{factor}"),
            AgreeTarget::Weight { aspect, factor } => write!(f, "weight of {aspect}/{factor}"),
            AgreeTarget::Quick { aspect } => write!(f, "quick score of {aspect}"),
            AgreeTarget::Impact { item } => write!(f, "impact of item {item}"),
        }
    }
}

impl fmt::Display for Edit {
    /// A short sentence saying what the edit does, for the tool to echo once it is applied.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn set_or_clear(
            f: &mut fmt::Formatter<'_>,
            what: fmt::Arguments<'_>,
            value: Option<i64>,
        ) -> fmt::Result {
            match value {
                Some(value) => write!(f, "Set {what} to {value}."),
                None => write!(f, "Cleared {what}."),
            }
        }
        match self {
            Edit::Quick { aspect, score } => {
                set_or_clear(f, format_args!("your quick score of {aspect}"), *score)
            }
            Edit::Score {
                aspect,
                factor,
                score,
            } => set_or_clear(f, format_args!("your score of {aspect}/{factor}"), *score),
            Edit::Weight {
                aspect,
                factor,
                weight,
            } => set_or_clear(f, format_args!("your weight of {aspect}/{factor}"), *weight),
            Edit::Agree { target, value } => {
                set_or_clear(f, format_args!("the agreed {target}"), *value)
            }
            Edit::Note {
                aspect,
                factor: Some(factor),
                ..
            } => write!(f, "Added to the notes of {aspect}/{factor}."),
            Edit::Note { aspect, .. } => write!(f, "Added to the notes of {aspect}."),
            Edit::FactorAdd { aspect, title } => {
                write!(f, "Added factor \"{}\" to {aspect}.", title.trim())
            }
            Edit::FactorRename {
                aspect,
                factor,
                title,
            } => write!(f, "Renamed {aspect}/{factor} to \"{}\".", title.trim()),
            Edit::FactorRemove { aspect, factor } => write!(f, "Removed {aspect}/{factor}."),
            Edit::ItemAdd { kind, title, .. } => write!(f, "Added {kind} \"{}\".", title.trim()),
            Edit::Impact { item, value } => {
                set_or_clear(f, format_args!("your impact vote on {item}"), *value)
            }
            Edit::Dots { item, value } => set_or_clear(
                f,
                format_args!("your dots on {item}"),
                Some(*value).filter(|v| *v != 0),
            ),
            Edit::ActionAdd { title, .. } => write!(f, "Added action \"{}\".", title.trim()),
            Edit::ActionSet { id, .. } => write!(f, "Updated action {id}."),
            Edit::HypothesisAdd { statement } => {
                write!(f, "Added hypothesis \"{}\".", statement.trim())
            }
            Edit::HypothesisSet { id, .. } => write!(f, "Updated hypothesis {id}."),
            Edit::GapAdd { objective } => {
                write!(f, "Added gap-analysis objective \"{}\".", objective.trim())
            }
            Edit::GapSet { id, field, .. } => write!(f, "Replaced the {field} of gap {id}."),
            Edit::SelectApproach {
                approach: Some(approach),
            } if !approach.is_empty() => write!(f, "Selected approach {approach}."),
            Edit::SelectApproach { .. } => {
                write!(
                    f,
                    "Cleared the selected approach: the recommended one applies."
                )
            }
        }
    }
}

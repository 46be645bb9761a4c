//! Why an edit was refused. Every refusal leaves the document unchanged.

use thiserror::Error;

/// An edit refused before anything was written. Each message is one plain English sentence
/// saying what was wrong and, where there is a short list, what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EditError {
    /// Votes need a participant id, and an editor writes nothing before joining.
    #[error("you have not joined this workshop as a participant: run `workshop join` first")]
    NoParticipant,

    /// The operation is the facilitator's alone.
    #[error("only the facilitator may {action}")]
    FacilitatorOnly {
        /// What was attempted, e.g. "set an agreed value".
        action: &'static str,
    },

    /// No aspect has this id.
    #[error("there is no aspect `{id}`; the aspects are: {}", list(.valid))]
    UnknownAspect {
        /// The id given.
        id: String,
        /// The aspect ids of the document, in aspect order.
        valid: Vec<String>,
    },

    /// The aspect has no factor with this id.
    #[error("aspect `{aspect}` has no factor `{id}`; its factors are: {}", list(.valid))]
    UnknownFactor {
        /// The aspect searched.
        aspect: String,
        /// The factor id given.
        id: String,
        /// The aspect's factor ids, in factor order.
        valid: Vec<String>,
    },

    /// No constraint or enabler has this id.
    #[error("there is no constraint or enabler with id `{id}`")]
    UnknownItem {
        /// The id given.
        id: String,
    },

    /// No action has this id.
    #[error("there is no action with id `{id}`")]
    UnknownAction {
        /// The id given.
        id: String,
    },

    /// No hypothesis has this id.
    #[error("there is no hypothesis with id `{id}`")]
    UnknownHypothesis {
        /// The id given.
        id: String,
    },

    /// No gap-analysis objective has this id.
    #[error("there is no gap-analysis objective with id `{id}`")]
    UnknownGap {
        /// The id given.
        id: String,
    },

    /// No approach has this id.
    #[error("there is no approach `{id}`; the approaches are: {}", list(.valid))]
    UnknownApproach {
        /// The id given.
        id: String,
        /// The approach ids of the document, in approach order.
        valid: Vec<String>,
    },

    /// A number outside its scale (DOMAIN.md section 2).
    #[error("{value} is out of range: {} {what} is {min} to {max} ({meaning})", article(.what))]
    OutOfRange {
        /// The scale, e.g. "score".
        what: &'static str,
        /// The value given.
        value: i64,
        /// Lowest valid value.
        min: i64,
        /// Highest valid value.
        max: i64,
        /// What the values mean.
        meaning: &'static str,
    },

    /// A word that is not one of a fixed set.
    #[error("`{value}` is not a valid {what}; use one of: {}", valid.join(", "))]
    BadChoice {
        /// What was being chosen, e.g. "control".
        what: &'static str,
        /// The value given.
        value: String,
        /// The accepted values.
        valid: Vec<&'static str>,
    },

    /// A due date that is not a real calendar date written YYYY-MM-DD.
    #[error("`{value}` is not a real calendar date written YYYY-MM-DD, e.g. 2026-03-31")]
    BadDate {
        /// The value given.
        value: String,
    },

    /// The creation time the caller passed is not RFC 3339 with an offset.
    #[error("`{value}` is not an RFC 3339 time with an offset, e.g. 2026-11-23T09:00:00Z")]
    BadTimestamp {
        /// The value given.
        value: String,
    },

    /// A title, statement, objective or note that is empty or only white space.
    #[error("the {what} must not be empty")]
    Empty {
        /// Which text, e.g. "title".
        what: &'static str,
    },

    /// An update with no field to change.
    #[error("nothing to change: give at least one field to set")]
    NothingToChange,

    /// An editor may not remove a factor holding another participant's votes.
    #[error(
        "factor `{factor}` of aspect `{aspect}` holds votes of {} other participant(s); \
         only the facilitator may remove it",
        voters.len()
    )]
    OthersVotes {
        /// The aspect.
        aspect: String,
        /// The factor.
        factor: String,
        /// The other participants with a vote in it.
        voters: Vec<String>,
    },

    /// An editor may not remove a factor holding an agreed value.
    #[error(
        "factor `{factor}` of aspect `{aspect}` has an agreed value (`{path}`); \
         only the facilitator may remove it"
    )]
    AgreedValue {
        /// The aspect.
        aspect: String,
        /// The factor.
        factor: String,
        /// Path of the agreed value.
        path: String,
    },

    /// The local document lacks a map, array or text the workshop shape has there.
    #[error(
        "the local document has no {expected} at `{path}`; it does not have the workshop's \
         shape there (sync it from the server again)"
    )]
    Malformed {
        /// Slash-separated path in the document.
        path: String,
        /// What should be there: "map", "text" or "array".
        expected: &'static str,
    },
}

/// "an" before a vowel, else "a".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A list of ids for a message, or a note that there are none.
fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "(none)".to_owned()
    } else {
        ids.join(", ")
    }
}

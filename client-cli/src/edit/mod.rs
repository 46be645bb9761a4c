//! The editing operations of the `workshop` command line tool, as pure functions over a Yrs
//! transaction.
//!
//! The binary maps each subcommand to an [`Edit`], loads the local document, calls [`apply`]
//! and saves only on success. [`apply`] validates everything first (the writer, every id,
//! every value) and writes only when all of it is valid, so on any [`EditError`] the document
//! is exactly as it was. What it writes follows the document shape of DOMAIN.md section 6 and
//! the write rules of [`workshop_shared::access`]: a participant casts only their own votes,
//! agreed values and the selected approach are the facilitator's, and whoever creates an
//! entity creates all of its nested maps, arrays and texts in the same transaction.
//!
//! ```
//! use workshop_client::edit::{apply, Applied, Edit, Writer};
//! use workshop_shared::template::{fill, WorkshopMeta};
//! use yrs::{Doc, Transact};
//!
//! let doc = Doc::new();
//! let meta = WorkshopMeta {
//!     title: "Autumn workshop".into(),
//!     place: "Northshire".into(),
//!     created_at: "2026-11-23T09:00:00Z".into(),
//! };
//! fill(&mut doc.transact_mut(), &meta);
//!
//! let me = Writer { participant: Some("0b9c6d1e-4c9e-4d07-9f43-3e6f4c1c2a10"), facilitator: false };
//! let score = Edit::Score {
//!     aspect: "whole-system".into(),
//!     factor: "shared-understanding".into(),
//!     score: Some(4),
//! };
//! let applied = apply(&mut doc.transact_mut(), &me, &score, "2026-11-23T10:00:00Z");
//! assert_eq!(applied, Ok(Applied::Done));
//!
//! let too_high = Edit::Score {
//!     aspect: "whole-system".into(),
//!     factor: "shared-understanding".into(),
//!     score: Some(7),
//! };
//! let refused = apply(&mut doc.transact_mut(), &me, &too_high, "2026-11-23T10:00:00Z");
//! assert!(refused.unwrap_err().to_string().contains("a score is 1 to 5"));
//! ```

mod check;
mod describe;
mod doc;
mod entities;
mod error;
mod factors;
#[cfg(test)]
mod tests;
mod votes;

use std::fmt;

use workshop_shared::schema::{self, key};
use yrs::{TransactionMut, WriteTxn};

pub use error::EditError;

/// Who is editing: the participant id this device joined with, if any, and whether its token
/// is the facilitator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writer<'a> {
    /// The participant id votes are cast under (`None` before `workshop join`).
    pub participant: Option<&'a str>,
    /// Whether the writer holds the facilitator's token.
    pub facilitator: bool,
}

impl Writer<'_> {
    /// The participant id votes go under.
    fn voter(&self) -> Result<&str, EditError> {
        match self.participant {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(EditError::NoParticipant),
        }
    }

    /// Whether this writer may write at all: the facilitator, or a joined participant.
    fn may_write(&self) -> Result<(), EditError> {
        if self.facilitator {
            Ok(())
        } else {
            self.voter().map(|_| ())
        }
    }

    /// Refuses anyone but the facilitator.
    fn facilitator(&self, action: &'static str) -> Result<(), EditError> {
        if self.facilitator {
            Ok(())
        } else {
            Err(EditError::FacilitatorOnly { action })
        }
    }
}

/// What an agreed value is set on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreeTarget {
    /// A factor's `agreed_score` (1..5).
    Score {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect.
        factor: String,
    },
    /// A factor's `agreed_weight` (0..3).
    Weight {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect.
        factor: String,
    },
    /// An aspect's `quick_agreed` (1..5).
    Quick {
        /// Aspect id.
        aspect: String,
    },
    /// A constraint's or enabler's `agreed_impact` (1..5).
    Impact {
        /// Item id.
        item: String,
    },
}

/// One edit of the workshop document, owning its arguments. Aspects, factors and approaches
/// are named by their ids (`whole-system`, `shared-understanding`); items, actions,
/// hypotheses and gaps by their UUIDs. Enumerated values are given as the document spells
/// them (`in_control`, `in_progress`, ...) and checked by [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Your quick score of an aspect (1..5); `None` clears it.
    Quick {
        /// Aspect id.
        aspect: String,
        /// The score, or `None` to clear.
        score: Option<i64>,
    },
    /// Your score of a factor (1..5); `None` clears it.
    Score {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect.
        factor: String,
        /// The score, or `None` to clear.
        score: Option<i64>,
    },
    /// Your weight of a factor (0..3); `None` clears it.
    Weight {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect.
        factor: String,
        /// The weight, or `None` to clear.
        weight: Option<i64>,
    },
    /// An agreed value (facilitator only); `None` clears it.
    Agree {
        /// What is agreed.
        target: AgreeTarget,
        /// The value, or `None` to clear.
        value: Option<i64>,
    },
    /// Appends a line to the notes of a factor, or of the aspect when no factor is given.
    Note {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect, or `None` for the aspect's own notes.
        factor: Option<String>,
        /// The text to append.
        text: String,
    },
    /// Adds a factor to an aspect, last in order. Gives [`Applied::Created`].
    FactorAdd {
        /// Aspect id.
        aspect: String,
        /// Display title.
        title: String,
    },
    /// Renames a factor.
    FactorRename {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect.
        factor: String,
        /// New display title.
        title: String,
    },
    /// Removes a factor with its votes and notes. An editor may remove only a factor holding
    /// no one else's vote and no agreed value; the facilitator may remove any.
    FactorRemove {
        /// Aspect id.
        aspect: String,
        /// Factor id within the aspect.
        factor: String,
    },
    /// Adds a constraint or enabler. Gives [`Applied::Created`].
    ItemAdd {
        /// `constraint` or `enabler`.
        kind: String,
        /// Aspect id it belongs to, if any.
        aspect: Option<String>,
        /// `in_control`, `can_influence` or `outside_control`, if known.
        control: Option<String>,
        /// `remove`, `boost`, `influence` or `experiment`, if chosen.
        response: Option<String>,
        /// Display title.
        title: String,
    },
    /// Your impact vote on an item (1..5); `None` clears it.
    Impact {
        /// Item id.
        item: String,
        /// The impact, or `None` to clear.
        value: Option<i64>,
    },
    /// Your dots on an item (0..3); 0 clears them.
    Dots {
        /// Item id.
        item: String,
        /// Number of dots.
        value: i64,
    },
    /// Adds a development-plan action. Gives [`Applied::Created`].
    ActionAdd {
        /// Display title.
        title: String,
        /// Who owns it, if anyone.
        owner: Option<String>,
        /// Due date, YYYY-MM-DD.
        due: Option<String>,
        /// Status; `proposed` when not given.
        status: Option<String>,
        /// Aspect id it belongs to, if any.
        aspect: Option<String>,
        /// Ids of the constraints and enablers it addresses.
        items: Vec<String>,
    },
    /// Changes an action. Each field is optional; an empty owner, due or aspect clears it.
    /// Unlinking happens before linking.
    ActionSet {
        /// Action id.
        id: String,
        /// New display title.
        title: Option<String>,
        /// New owner (`""` clears).
        owner: Option<String>,
        /// New due date, YYYY-MM-DD (`""` clears).
        due: Option<String>,
        /// New status.
        status: Option<String>,
        /// New aspect id (`""` clears).
        aspect: Option<String>,
        /// Item ids to link (already linked ones are skipped).
        link: Vec<String>,
        /// Item ids to unlink.
        unlink: Vec<String>,
    },
    /// Adds a hypothesis, status `proposed`, last in order. Gives [`Applied::Created`].
    HypothesisAdd {
        /// The hypothesis.
        statement: String,
    },
    /// Changes a hypothesis. Each field is optional.
    HypothesisSet {
        /// Hypothesis id.
        id: String,
        /// New statement.
        statement: Option<String>,
        /// New status: `proposed`, `investigating`, `accepted` or `refuted`.
        status: Option<String>,
        /// Text to append to the evidence, on a new line.
        evidence_append: Option<String>,
    },
    /// Adds a gap-analysis objective, last in order. Gives [`Applied::Created`].
    GapAdd {
        /// The strategic objective.
        objective: String,
    },
    /// Replaces one text of a gap-analysis objective.
    GapSet {
        /// Gap id.
        id: String,
        /// `objective`, `developments`, `rationale` or `implications`.
        field: String,
        /// The new content.
        text: String,
    },
    /// Selects the approach the workshop goes with (facilitator only); `None` clears it so
    /// the recommended one applies.
    SelectApproach {
        /// Approach id, or `None` to clear.
        approach: Option<String>,
    },
}

/// What a successful edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The change was made.
    Done,
    /// A new entity was created under this id (a UUID v4).
    Created {
        /// The new entity's id.
        id: String,
    },
}

impl fmt::Display for Applied {
    /// `done`, or the bare id of what was created (so a script can capture it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Applied::Done => f.write_str("done"),
            Applied::Created { id } => f.write_str(id),
        }
    }
}

/// The responses an item may be given (DOMAIN.md section 5).
pub const RESPONSES: [&str; 4] = ["remove", "boost", "influence", "experiment"];

/// The texts of a gap-analysis objective, in display order.
pub const GAP_FIELDS: [&str; 4] = [
    key::OBJECTIVE,
    key::DEVELOPMENTS,
    key::RATIONALE,
    key::IMPLICATIONS,
];

/// A new entity id: a random UUID v4.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Applies `edit` in `txn` as `writer`, after validating all of it; on error nothing is
/// written. `now` is the RFC 3339 time stamped as `created_at` on new items and actions.
pub fn apply(
    txn: &mut TransactionMut,
    writer: &Writer,
    edit: &Edit,
    now: &str,
) -> Result<Applied, EditError> {
    // Root types are named, not created by anyone, so making them here is safe (two clients
    // doing it get the same one) and writes nothing: a workshop whose first item is added
    // offline has no `items` root until then.
    for name in [
        schema::ITEMS,
        schema::ACTIONS,
        schema::HYPOTHESES,
        schema::GAPS,
        schema::META,
    ] {
        txn.get_or_insert_map(name);
    }
    apply_with(txn, writer, edit, now, &mut new_id)
}

/// [`apply`] with the id generator given, so tests get predictable ids.
fn apply_with(
    txn: &mut TransactionMut,
    writer: &Writer,
    edit: &Edit,
    now: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Applied, EditError> {
    match edit {
        Edit::Quick { aspect, score } => votes::quick(txn, writer, aspect, *score),
        Edit::Score {
            aspect,
            factor,
            score,
        } => votes::factor_vote(
            txn,
            writer,
            aspect,
            factor,
            key::SCORES,
            &check::SCORE,
            *score,
        ),
        Edit::Weight {
            aspect,
            factor,
            weight,
        } => votes::factor_vote(
            txn,
            writer,
            aspect,
            factor,
            key::WEIGHTS,
            &check::WEIGHT,
            *weight,
        ),
        Edit::Agree { target, value } => votes::agree(txn, writer, target, *value),
        Edit::Note {
            aspect,
            factor,
            text,
        } => factors::note(txn, writer, aspect, factor.as_deref(), text),
        Edit::FactorAdd { aspect, title } => factors::add(txn, writer, aspect, title, next_id),
        Edit::FactorRename {
            aspect,
            factor,
            title,
        } => factors::rename(txn, writer, aspect, factor, title),
        Edit::FactorRemove { aspect, factor } => factors::remove(txn, writer, aspect, factor),
        Edit::ItemAdd { .. } => entities::item_add(txn, writer, edit, now, next_id),
        Edit::Impact { item, value } => {
            votes::item_vote(txn, writer, item, key::IMPACT, &check::IMPACT, *value)
        }
        Edit::Dots { item, value } => {
            let value = (*value != 0).then_some(*value);
            votes::item_vote(txn, writer, item, key::DOTS, &check::DOTS, value)
        }
        Edit::ActionAdd { .. } => entities::action_add(txn, writer, edit, now, next_id),
        Edit::ActionSet { .. } => entities::action_set(txn, writer, edit),
        Edit::HypothesisAdd { statement } => {
            entities::hypothesis_add(txn, writer, statement, next_id)
        }
        Edit::HypothesisSet {
            id,
            statement,
            status,
            evidence_append,
        } => entities::hypothesis_set(
            txn,
            writer,
            id,
            statement.as_deref(),
            status.as_deref(),
            evidence_append.as_deref(),
        ),
        Edit::GapAdd { objective } => entities::gap_add(txn, writer, objective, next_id),
        Edit::GapSet { id, field, text } => entities::gap_set(txn, writer, id, field, text),
        Edit::SelectApproach { approach } => entities::select_approach(txn, writer, approach),
    }
}

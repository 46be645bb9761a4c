//! Notes and factors: appending to notes, adding, renaming and removing factors.

use workshop_shared::access::{self, Capability, Reason};
use workshop_shared::schema::{self, key};
use workshop_shared::template;
use yrs::{Map, MapRef, Out, ReadTxn, TransactionMut};

use super::check::non_empty;
use super::{doc, Applied, EditError, Writer};

/// Appends to the notes of a factor, or of the aspect.
pub(super) fn note(
    txn: &mut TransactionMut,
    writer: &Writer,
    aspect: &str,
    factor: Option<&str>,
    text: &str,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let notes = match factor {
        Some(factor) => {
            let (_, factor_map) = doc::factor(txn, aspect, factor)?;
            doc::child_text(
                txn,
                &factor_map,
                key::NOTES,
                &[schema::ASPECTS, aspect, key::FACTORS, factor, key::NOTES],
            )?
        }
        None => {
            let aspect_map = doc::aspect(txn, aspect)?;
            doc::child_text(
                txn,
                &aspect_map,
                key::NOTES,
                &[schema::ASPECTS, aspect, key::NOTES],
            )?
        }
    };
    let text = non_empty(text, "note")?;
    doc::append(txn, &notes, text);
    Ok(Applied::Done)
}

/// A new factor, last in the aspect's order, with its notes and vote maps.
pub(super) fn add(
    txn: &mut TransactionMut,
    writer: &Writer,
    aspect: &str,
    title: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let aspect_map = doc::aspect(txn, aspect)?;
    let factors = doc::child_map(
        txn,
        &aspect_map,
        key::FACTORS,
        &[schema::ASPECTS, aspect, key::FACTORS],
    )?;
    let title = non_empty(title, "title")?;
    let order = doc::next_order(txn, &factors);
    let id = next_id();
    factors.insert(txn, id.as_str(), template::factor_prelim(title, order));
    Ok(Applied::Created { id })
}

/// A factor's new title.
pub(super) fn rename(
    txn: &mut TransactionMut,
    writer: &Writer,
    aspect: &str,
    factor: &str,
    title: &str,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let (_, factor_map) = doc::factor(txn, aspect, factor)?;
    let title = non_empty(title, "title")?;
    factor_map.insert(txn, key::TITLE, title);
    Ok(Applied::Done)
}

/// Removes a factor, when the writer may remove all it holds.
pub(super) fn remove(
    txn: &mut TransactionMut,
    writer: &Writer,
    aspect: &str,
    factor: &str,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let (factors, factor_map) = doc::factor(txn, aspect, factor)?;
    if !writer.facilitator {
        let me = writer.voter()?;
        removable_by(txn, me, aspect, factor, &factor_map)?;
    }
    factors.remove(txn, factor);
    Ok(Applied::Done)
}

/// Refuses an editor's removal of a factor when the server would: when anything inside it is
/// another participant's vote or an agreed value (removing a map removes all it holds).
fn removable_by<T: ReadTxn>(
    txn: &T,
    me: &str,
    aspect: &str,
    factor: &str,
    factor_map: &MapRef,
) -> Result<(), EditError> {
    let base: Vec<String> = [schema::ASPECTS, aspect, key::FACTORS, factor]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut changes = vec![access::Change::remove(base.clone())];
    let mut pending = vec![(base, Out::YMap(factor_map.clone()))];
    while let Some((path, value)) = pending.pop() {
        let children: Vec<(String, Out)> = match &value {
            Out::YMap(map) => map
                .iter(txn)
                .map(|(key, inner)| (key.to_owned(), inner))
                .collect(),
            Out::YArray(array) => {
                use yrs::Array;
                array
                    .iter(txn)
                    .enumerate()
                    .map(|(index, inner)| (index.to_string(), inner))
                    .collect()
            }
            _ => Vec::new(),
        };
        for (segment, inner) in children {
            let mut inner_path = path.clone();
            inner_path.push(segment);
            changes.push(access::Change::remove(inner_path.clone()));
            pending.push((inner_path, inner));
        }
    }
    let writer = Capability::Participant(me.to_owned());
    let mut voters: Vec<String> = Vec::new();
    let mut agreed: Option<String> = None;
    for change in changes {
        match access::check(&writer, std::slice::from_ref(&change)) {
            Ok(()) => {}
            Err(refusal) => match refusal.reason {
                Reason::OthersVote(voter) => {
                    if !voters.contains(&voter) {
                        voters.push(voter);
                    }
                }
                _ => {
                    agreed.get_or_insert(refusal.path);
                }
            },
        }
    }
    if !voters.is_empty() {
        voters.sort();
        return Err(EditError::OthersVotes {
            aspect: aspect.to_owned(),
            factor: factor.to_owned(),
            voters,
        });
    }
    match agreed {
        Some(path) => Err(EditError::AgreedValue {
            aspect: aspect.to_owned(),
            factor: factor.to_owned(),
            path,
        }),
        None => Ok(()),
    }
}

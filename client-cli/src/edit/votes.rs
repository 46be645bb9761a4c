//! Votes and agreed values: a participant's own votes under their id, the facilitator's
//! agreed values.

use workshop_shared::schema::{self, key};
use yrs::TransactionMut;

use super::check::{Scale, IMPACT, QUICK_SCORE, SCORE, WEIGHT};
use super::{doc, AgreeTarget, Applied, EditError, Writer};

/// Your quick score of an aspect.
pub(super) fn quick(
    txn: &mut TransactionMut,
    writer: &Writer,
    aspect: &str,
    score: Option<i64>,
) -> Result<Applied, EditError> {
    let me = writer.voter()?;
    let aspect_map = doc::aspect(txn, aspect)?;
    let votes = doc::child_map(
        txn,
        &aspect_map,
        key::QUICK,
        &[schema::ASPECTS, aspect, key::QUICK],
    )?;
    let score = QUICK_SCORE.check_opt(score)?;
    doc::set_or_clear(txn, &votes, me, score);
    Ok(Applied::Done)
}

/// Your vote in a factor's `scores` or `weights`.
pub(super) fn factor_vote(
    txn: &mut TransactionMut,
    writer: &Writer,
    aspect: &str,
    factor: &str,
    votes_key: &str,
    scale: &Scale,
    value: Option<i64>,
) -> Result<Applied, EditError> {
    let me = writer.voter()?;
    let (_, factor_map) = doc::factor(txn, aspect, factor)?;
    let votes = doc::child_map(
        txn,
        &factor_map,
        votes_key,
        &[schema::ASPECTS, aspect, key::FACTORS, factor, votes_key],
    )?;
    let value = scale.check_opt(value)?;
    doc::set_or_clear(txn, &votes, me, value);
    Ok(Applied::Done)
}

/// Your vote in an item's `impact` or `dots`.
pub(super) fn item_vote(
    txn: &mut TransactionMut,
    writer: &Writer,
    item: &str,
    votes_key: &str,
    scale: &Scale,
    value: Option<i64>,
) -> Result<Applied, EditError> {
    let me = writer.voter()?;
    let item_map = doc::entity(txn, schema::ITEMS, item, |id| EditError::UnknownItem { id })?;
    let votes = doc::child_map(txn, &item_map, votes_key, &[schema::ITEMS, item, votes_key])?;
    let value = scale.check_opt(value)?;
    doc::set_or_clear(txn, &votes, me, value);
    Ok(Applied::Done)
}

/// An agreed value (facilitator only).
pub(super) fn agree(
    txn: &mut TransactionMut,
    writer: &Writer,
    target: &AgreeTarget,
    value: Option<i64>,
) -> Result<Applied, EditError> {
    writer.facilitator("set an agreed value")?;
    let (map, agreed_key, scale) = match target {
        AgreeTarget::Score { aspect, factor } => (
            doc::factor(txn, aspect, factor)?.1,
            key::AGREED_SCORE,
            &SCORE,
        ),
        AgreeTarget::Weight { aspect, factor } => (
            doc::factor(txn, aspect, factor)?.1,
            key::AGREED_WEIGHT,
            &WEIGHT,
        ),
        AgreeTarget::Quick { aspect } => {
            (doc::aspect(txn, aspect)?, key::QUICK_AGREED, &QUICK_SCORE)
        }
        AgreeTarget::Impact { item } => (
            doc::entity(txn, schema::ITEMS, item, |id| EditError::UnknownItem { id })?,
            key::AGREED_IMPACT,
            &IMPACT,
        ),
    };
    let value = scale.check_opt(value)?;
    doc::set_or_clear(txn, &map, agreed_key, value);
    Ok(Applied::Done)
}

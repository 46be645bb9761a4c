//! Constraints and enablers, actions, hypotheses, gap-analysis objectives and the selected
//! approach: creating each entity whole, and changing its fields.

use workshop_shared::schema::{self, key, ActionStatus, Control, HypothesisStatus, ItemKind};
use yrs::{Any, Array, ArrayPrelim, In, Map, MapPrelim, Out, TextPrelim, TransactionMut};

use super::check::{action_status, choice, date, given, non_empty, timestamp};
use super::{doc, Applied, Edit, EditError, Writer, GAP_FIELDS, RESPONSES};

/// A new constraint or enabler with its notes and vote maps.
pub(super) fn item_add(
    txn: &mut TransactionMut,
    writer: &Writer,
    edit: &Edit,
    now: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Applied, EditError> {
    let Edit::ItemAdd {
        kind,
        aspect,
        control,
        response,
        title,
    } = edit
    else {
        unreachable!("item_add is called with Edit::ItemAdd")
    };
    writer.may_write()?;
    let kind = choice("kind of item", kind, ItemKind::parse, ItemKind::ALL, |k| {
        k.as_str()
    })?;
    let title = non_empty(title, "title")?;
    let aspect = given(aspect);
    if let Some(aspect) = aspect {
        doc::aspect(txn, aspect)?;
    }
    let control = given(control)
        .map(|c| choice("control", c, Control::parse, Control::ALL, |c| c.as_str()))
        .transpose()?;
    let response = given(response)
        .map(|r| {
            choice(
                "response",
                r,
                |r| RESPONSES.iter().copied().find(|known| *known == r),
                &RESPONSES,
                |r| r,
            )
        })
        .transpose()?;
    let created_at = timestamp(now)?;
    let items = doc::root(txn, schema::ITEMS)?;
    let mut fields: Vec<(&str, In)> = vec![
        (key::KIND, In::from(kind.as_str())),
        (key::TITLE, In::from(title)),
        (key::NOTES, TextPrelim::new("").into()),
        (key::IMPACT, MapPrelim::default().into()),
        (key::DOTS, MapPrelim::default().into()),
        (key::CREATED_AT, In::from(created_at)),
    ];
    push_set(&mut fields, key::ASPECT, aspect);
    push_set(&mut fields, key::CONTROL, control.map(|c| c.as_str()));
    push_set(&mut fields, key::RESPONSE, response);
    let id = next_id();
    items.insert(txn, id.as_str(), fields.into_iter().collect::<MapPrelim>());
    Ok(Applied::Created { id })
}

/// A new development-plan action with its items array.
pub(super) fn action_add(
    txn: &mut TransactionMut,
    writer: &Writer,
    edit: &Edit,
    now: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Applied, EditError> {
    let Edit::ActionAdd {
        title,
        owner,
        due,
        status,
        aspect,
        items,
    } = edit
    else {
        unreachable!("action_add is called with Edit::ActionAdd")
    };
    writer.may_write()?;
    let title = non_empty(title, "title")?;
    let owner = given(owner).map(str::trim).filter(|o| !o.is_empty());
    let due = given(due).map(date).transpose()?;
    let status = match given(status) {
        Some(status) => action_status(status)?,
        None => ActionStatus::Proposed,
    };
    let aspect = given(aspect);
    if let Some(aspect) = aspect {
        doc::aspect(txn, aspect)?;
    }
    let mut linked: Vec<&str> = Vec::new();
    for item in items {
        doc::entity(txn, schema::ITEMS, item, |id| EditError::UnknownItem { id })?;
        if !linked.contains(&item.as_str()) {
            linked.push(item);
        }
    }
    let created_at = timestamp(now)?;
    let actions = doc::root(txn, schema::ACTIONS)?;
    let mut fields: Vec<(&str, In)> = vec![
        (key::TITLE, In::from(title)),
        (key::ITEMS, ArrayPrelim::from(linked).into()),
        (key::STATUS, In::from(status.as_str())),
        (key::CREATED_AT, In::from(created_at)),
    ];
    push_set(&mut fields, key::OWNER, owner);
    push_set(&mut fields, key::DUE, due);
    push_set(&mut fields, key::ASPECT, aspect);
    let id = next_id();
    actions.insert(txn, id.as_str(), fields.into_iter().collect::<MapPrelim>());
    Ok(Applied::Created { id })
}

/// Changes an action's fields and links.
pub(super) fn action_set(
    txn: &mut TransactionMut,
    writer: &Writer,
    edit: &Edit,
) -> Result<Applied, EditError> {
    let Edit::ActionSet {
        id,
        title,
        owner,
        due,
        status,
        aspect,
        link,
        unlink,
    } = edit
    else {
        unreachable!("action_set is called with Edit::ActionSet")
    };
    writer.may_write()?;
    let map = doc::entity(txn, schema::ACTIONS, id, |id| EditError::UnknownAction {
        id,
    })?;
    let nothing = title.is_none()
        && owner.is_none()
        && due.is_none()
        && status.is_none()
        && aspect.is_none()
        && link.is_empty()
        && unlink.is_empty();
    if nothing {
        return Err(EditError::NothingToChange);
    }
    let title = title
        .as_deref()
        .map(|t| non_empty(t, "title"))
        .transpose()?;
    // `Some(None)` clears the field.
    let owner = owner
        .as_deref()
        .map(|o| Some(o.trim()).filter(|o| !o.is_empty()));
    let due = due
        .as_deref()
        .map(|d| {
            if d.is_empty() {
                Ok(None)
            } else {
                date(d).map(Some)
            }
        })
        .transpose()?;
    let status = status.as_deref().map(action_status).transpose()?;
    let aspect = match aspect.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(aspect) => {
            doc::aspect(txn, aspect)?;
            Some(Some(aspect))
        }
    };
    let mut links = None;
    if !link.is_empty() || !unlink.is_empty() {
        let array = doc::child_array(txn, &map, key::ITEMS, &[schema::ACTIONS, id, key::ITEMS])?;
        let present = doc::strings(txn, &array);
        let items = doc::root(txn, schema::ITEMS)?;
        let exists = |item: &str| matches!(items.get(txn, item), Some(Out::YMap(_)));
        let mut removed: Vec<u32> = Vec::new();
        for item in unlink {
            let at: Vec<u32> = present
                .iter()
                .filter(|(_, s)| s.as_deref() == Some(item.as_str()))
                .map(|(index, _)| *index)
                .collect();
            if at.is_empty() && !exists(item) {
                return Err(EditError::UnknownItem { id: item.clone() });
            }
            removed.extend(at);
        }
        let mut added: Vec<&str> = Vec::new();
        for item in link {
            if !exists(item) {
                return Err(EditError::UnknownItem { id: item.clone() });
            }
            let kept = present
                .iter()
                .any(|(index, s)| s.as_deref() == Some(item.as_str()) && !removed.contains(index));
            if !kept && !added.contains(&item.as_str()) {
                added.push(item);
            }
        }
        links = Some((array, removed, added));
    }

    if let Some(title) = title {
        map.insert(txn, key::TITLE, title);
    }
    if let Some(owner) = owner {
        doc::set_or_clear_str(txn, &map, key::OWNER, owner);
    }
    if let Some(due) = due {
        doc::set_or_clear_str(txn, &map, key::DUE, due);
    }
    if let Some(status) = status {
        map.insert(txn, key::STATUS, status.as_str());
    }
    if let Some(aspect) = aspect {
        doc::set_or_clear_str(txn, &map, key::ASPECT, aspect);
    }
    if let Some((array, removed, added)) = links {
        doc::remove_at(txn, &array, &removed);
        for item in added {
            array.push_back(txn, Any::from(item));
        }
    }
    Ok(Applied::Done)
}

/// A new hypothesis with its evidence text.
pub(super) fn hypothesis_add(
    txn: &mut TransactionMut,
    writer: &Writer,
    statement: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let statement = non_empty(statement, "statement")?;
    let hypotheses = doc::root(txn, schema::HYPOTHESES)?;
    let order = doc::next_order(txn, &hypotheses);
    let id = next_id();
    let hypothesis = MapPrelim::from([
        (key::STATEMENT, In::from(statement)),
        (key::STATUS, In::from(HypothesisStatus::Proposed.as_str())),
        (key::EVIDENCE, TextPrelim::new("").into()),
        (key::ORDER, In::from(order)),
    ]);
    hypotheses.insert(txn, id.as_str(), hypothesis);
    Ok(Applied::Created { id })
}

/// Changes a hypothesis.
pub(super) fn hypothesis_set(
    txn: &mut TransactionMut,
    writer: &Writer,
    id: &str,
    statement: Option<&str>,
    status: Option<&str>,
    evidence_append: Option<&str>,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let map = doc::entity(txn, schema::HYPOTHESES, id, |id| {
        EditError::UnknownHypothesis { id }
    })?;
    if statement.is_none() && status.is_none() && evidence_append.is_none() {
        return Err(EditError::NothingToChange);
    }
    let statement = statement.map(|s| non_empty(s, "statement")).transpose()?;
    let status = status
        .map(|s| {
            choice(
                "hypothesis status",
                s,
                HypothesisStatus::parse,
                HypothesisStatus::ALL,
                |s| s.as_str(),
            )
        })
        .transpose()?;
    let evidence = match evidence_append {
        Some(addition) => {
            let addition = non_empty(addition, "evidence")?;
            let text = doc::child_text(
                txn,
                &map,
                key::EVIDENCE,
                &[schema::HYPOTHESES, id, key::EVIDENCE],
            )?;
            Some((text, addition))
        }
        None => None,
    };
    if let Some(statement) = statement {
        map.insert(txn, key::STATEMENT, statement);
    }
    if let Some(status) = status {
        map.insert(txn, key::STATUS, status.as_str());
    }
    if let Some((text, addition)) = evidence {
        doc::append(txn, &text, addition);
    }
    Ok(Applied::Done)
}

/// A new gap-analysis objective with its four texts.
pub(super) fn gap_add(
    txn: &mut TransactionMut,
    writer: &Writer,
    objective: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let objective = non_empty(objective, "objective")?;
    let gaps = doc::root(txn, schema::GAPS)?;
    let order = doc::next_order(txn, &gaps);
    let id = next_id();
    let gap = MapPrelim::from([
        (key::OBJECTIVE, In::from(TextPrelim::new(objective))),
        (key::DEVELOPMENTS, TextPrelim::new("").into()),
        (key::RATIONALE, TextPrelim::new("").into()),
        (key::IMPLICATIONS, TextPrelim::new("").into()),
        (key::ORDER, In::from(order)),
    ]);
    gaps.insert(txn, id.as_str(), gap);
    Ok(Applied::Created { id })
}

/// Replaces one text of a gap-analysis objective.
pub(super) fn gap_set(
    txn: &mut TransactionMut,
    writer: &Writer,
    id: &str,
    field: &str,
    text: &str,
) -> Result<Applied, EditError> {
    writer.may_write()?;
    let map = doc::entity(txn, schema::GAPS, id, |id| EditError::UnknownGap { id })?;
    let field = choice(
        "gap-analysis field",
        field,
        |f| GAP_FIELDS.iter().copied().find(|g| *g == f),
        &GAP_FIELDS,
        |f| f,
    )?;
    let content = if field == key::OBJECTIVE {
        non_empty(text, "objective")?
    } else {
        text
    };
    let target = doc::child_text(txn, &map, field, &[schema::GAPS, id, field])?;
    doc::replace(txn, &target, content);
    Ok(Applied::Done)
}

/// The facilitator's selected approach.
pub(super) fn select_approach(
    txn: &mut TransactionMut,
    writer: &Writer,
    approach: &Option<String>,
) -> Result<Applied, EditError> {
    writer.facilitator("select the approach")?;
    let approach = given(approach);
    if let Some(approach) = approach {
        doc::approach(txn, approach)?;
    }
    let meta = doc::root(txn, schema::META)?;
    doc::set_or_clear_str(txn, &meta, key::SELECTED_APPROACH, approach);
    Ok(Applied::Done)
}

/// Adds `key` to a new entity's fields when `value` is given; an optional field not given is
/// left out, not written as null.
fn push_set<V: Into<In>>(fields: &mut Vec<(&str, In)>, key: &'static str, value: Option<V>) {
    if let Some(value) = value {
        fields.push((key, value.into()));
    }
}

//! The page's copy of the schema (`web/src/lib/schema.json`: ranges, enumerations and which
//! keys stop an editor from removing a factor or an item) against this crate's: the ranges and
//! enumerations of `schema`, and the removal rule as `access::check` actually decides it.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use workshop_shared::access::{check, Capability, Change};
use workshop_shared::schema::{
    self, key, ActionStatus, Control, HypothesisStatus, ItemKind, Role, World,
};

const ME: &str = "11111111-1111-4111-8111-111111111111";
const OTHER: &str = "22222222-2222-4222-8222-222222222222";

fn page_schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/src/lib/schema.json");
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn spelled<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| as_str(*v).to_owned()).collect()
}

#[test]
fn the_pages_ranges_and_enumerations_are_the_schemas() {
    let page = page_schema();
    let range = |name: &str| {
        let pair = page["ranges"][name].as_array().unwrap();
        (pair[0].as_i64().unwrap(), pair[1].as_i64().unwrap())
    };
    assert_eq!(range("score"), schema::SCORE_RANGE);
    assert_eq!(range("impact"), schema::SCORE_RANGE);
    assert_eq!(range("weight"), schema::WEIGHT_RANGE);
    assert_eq!(range("relevance"), schema::WEIGHT_RANGE);
    assert_eq!(range("dots"), schema::DOTS_RANGE);
    assert_eq!(strings(&page["roles"]), spelled(Role::ALL, Role::as_str));
    assert_eq!(strings(&page["worlds"]), spelled(World::ALL, World::as_str));
    assert_eq!(
        strings(&page["item_kinds"]),
        spelled(ItemKind::ALL, ItemKind::as_str)
    );
    assert_eq!(
        strings(&page["controls"]),
        spelled(Control::ALL, Control::as_str)
    );
    assert_eq!(
        strings(&page["action_statuses"]),
        spelled(ActionStatus::ALL, ActionStatus::as_str)
    );
    assert_eq!(
        strings(&page["hypothesis_statuses"]),
        spelled(HypothesisStatus::ALL, HypothesisStatus::as_str)
    );
}

/// Whether an editor (`ME`) may remove an entity at `entity` holding `held` (paths inside it).
fn editor_may_remove(entity: &[&str], held: &[&[&str]]) -> bool {
    let mut changes = vec![Change::remove(entity.iter().copied())];
    for inner in held {
        changes.push(Change::remove(entity.iter().chain(inner.iter()).copied()));
    }
    check(&Capability::Participant(ME.to_owned()), &changes).is_ok()
}

#[test]
fn the_pages_removal_rule_is_the_servers() {
    let page = page_schema();
    let agreed = strings(&page["removal"]["agreed"]);
    let votes = strings(&page["removal"]["votes"]);
    let factor = ["aspects", "capacity", "factors", "f1"];
    let item = ["items", "i1"];
    let fields = [
        key::TITLE,
        key::ORDER,
        key::NOTES,
        key::SCORES,
        key::WEIGHTS,
        key::AGREED_SCORE,
        key::AGREED_WEIGHT,
        key::KIND,
        key::ASPECT,
        key::CONTROL,
        key::RESPONSE,
        key::IMPACT,
        key::AGREED_IMPACT,
        key::DOTS,
        key::CREATED_AT,
    ];
    for entity in [&factor[..], &item[..]] {
        for field in fields.into_iter().filter(|field| relevant(entity, field)) {
            // A value set at the key, a vote map at it holding someone else's vote, and one
            // holding only mine: which of them stop an editor, as the server decides.
            let server = (
                !editor_may_remove(entity, &[&[field]]),
                !editor_may_remove(entity, &[&[field], &[field, OTHER]]),
                !editor_may_remove(entity, &[&[field], &[field, ME]]),
            );
            // As the page decides (`canRemove` in web/src/lib/model.js): any agreed value
            // stops it, and so does a vote map holding anyone's vote but mine.
            let page_agreed = agreed.iter().any(|k| k == field);
            let page_votes = votes.iter().any(|k| k == field);
            let page = (page_agreed, page_agreed || page_votes, page_agreed);
            assert_eq!(
                page, server,
                "{entity:?}/{field}: (value, others' vote, my vote) stop removal on the page as \
                 {page:?}, on the server as {server:?}"
            );
        }
    }
}

/// Whether `field` is a key of the entity at `entity` (factor or item) in the document shape.
fn relevant(entity: &[&str], field: &str) -> bool {
    let factor_keys = [
        key::TITLE,
        key::ORDER,
        key::NOTES,
        key::SCORES,
        key::WEIGHTS,
        key::AGREED_SCORE,
        key::AGREED_WEIGHT,
    ];
    let item_keys = [
        key::KIND,
        key::ASPECT,
        key::TITLE,
        key::NOTES,
        key::CONTROL,
        key::RESPONSE,
        key::IMPACT,
        key::AGREED_IMPACT,
        key::DOTS,
        key::CREATED_AT,
    ];
    if entity[0] == schema::ITEMS {
        item_keys.contains(&field)
    } else {
        factor_keys.contains(&field)
    }
}

//! Each edit's effect at its exact path, and every refusal, on the built-in template.

#![allow(clippy::unwrap_used)]

mod property;

use serde_json::{json, Value};
use time::macros::date;
use workshop_shared::model::Workshop;
use workshop_shared::schema::{self, key};
use workshop_shared::template::{fill, WorkshopMeta};
use yrs::{Doc, Map, ReadTxn, StateVector, Transact};

use super::*;
use crate::path;

const NOW: &str = "2026-11-23T10:00:00Z";
const ME: &str = "11111111-1111-4111-8111-111111111111";
const OTHER: &str = "22222222-2222-4222-8222-222222222222";

const EDITOR: Writer<'static> = Writer {
    participant: Some(ME),
    facilitator: false,
};
const OTHER_EDITOR: Writer<'static> = Writer {
    participant: Some(OTHER),
    facilitator: false,
};
const FACILITATOR: Writer<'static> = Writer {
    participant: None,
    facilitator: true,
};
const NOBODY: Writer<'static> = Writer {
    participant: None,
    facilitator: false,
};

fn document() -> Doc {
    let doc = Doc::with_client_id(1);
    let meta = WorkshopMeta {
        title: "Title".into(),
        place: "Place".into(),
        created_at: "2026-11-23T09:00:00Z".into(),
    };
    fill(&mut doc.transact_mut(), &meta);
    doc
}

fn state(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// Applies `edit`; when it is refused, asserts the document is byte-for-byte unchanged.
fn run(doc: &Doc, writer: &Writer, edit: &Edit) -> Result<Applied, EditError> {
    let before = state(doc);
    let result = apply(&mut doc.transact_mut(), writer, edit, NOW);
    if let Err(error) = &result {
        assert_eq!(
            state(doc),
            before,
            "{edit:?} was refused ({error}) but wrote"
        );
    }
    result
}

fn created(doc: &Doc, writer: &Writer, edit: &Edit) -> String {
    match run(doc, writer, edit) {
        Ok(Applied::Created { id }) => id,
        other => panic!("{edit:?}: {other:?}"),
    }
}

fn json(doc: &Doc, at: &str) -> Option<Value> {
    let mut segments = at.split('/');
    let root = segments.next().unwrap();
    let keys: Vec<&str> = segments.collect();
    path::json_at(&doc.transact(), root, &keys)
}

fn has_key(doc: &Doc, map_at: &str, key: &str) -> bool {
    json(doc, map_at)
        .and_then(|map| map.as_object().map(|m| m.contains_key(key)))
        .unwrap_or(false)
}

fn score(aspect: &str, factor: &str, score: Option<i64>) -> Edit {
    Edit::Score {
        aspect: aspect.into(),
        factor: factor.into(),
        score,
    }
}

fn item(kind: &str, title: &str) -> Edit {
    Edit::ItemAdd {
        kind: kind.into(),
        aspect: Some("capacity".into()),
        control: Some("in_control".into()),
        response: None,
        title: title.into(),
    }
}

/// The optional fields of an action, for building `ActionAdd` and `ActionSet` edits.
#[derive(Default)]
struct Fields {
    title: Option<String>,
    owner: Option<String>,
    due: Option<String>,
    status: Option<String>,
    aspect: Option<String>,
    items: Vec<String>,
    unlink: Vec<String>,
}

fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn action_set(id: &str, fields: Fields) -> Edit {
    Edit::ActionSet {
        id: id.into(),
        title: fields.title,
        owner: fields.owner,
        due: fields.due,
        status: fields.status,
        aspect: fields.aspect,
        link: fields.items,
        unlink: fields.unlink,
    }
}

fn action_add(title: &str, fields: Fields) -> Edit {
    Edit::ActionAdd {
        title: title.into(),
        owner: fields.owner,
        due: fields.due,
        status: fields.status,
        aspect: fields.aspect,
        items: fields.items,
    }
}

const FACTOR: &str = "aspects/whole-system/factors/shared-understanding";

#[test]
fn votes_land_under_the_participant_and_none_clears_them() {
    let doc = document();
    run(
        &doc,
        &EDITOR,
        &score("whole-system", "shared-understanding", Some(4)),
    )
    .unwrap();
    let weight = Edit::Weight {
        aspect: "whole-system".into(),
        factor: "shared-understanding".into(),
        weight: Some(0),
    };
    run(&doc, &EDITOR, &weight).unwrap();
    let quick = Edit::Quick {
        aspect: "capacity".into(),
        score: Some(2),
    };
    run(&doc, &EDITOR, &quick).unwrap();
    run(
        &doc,
        &OTHER_EDITOR,
        &score("whole-system", "shared-understanding", Some(1)),
    )
    .unwrap();

    assert_eq!(
        json(&doc, &format!("{FACTOR}/scores")),
        Some(json!({ME: 4, OTHER: 1}))
    );
    assert_eq!(
        json(&doc, &format!("{FACTOR}/weights")),
        Some(json!({ME: 0}))
    );
    assert_eq!(json(&doc, "aspects/capacity/quick"), Some(json!({ME: 2})));
    // Written as integers, as the template and the tests crate write numbers.
    let txn = doc.transact();
    let scores = path::map_at(
        &txn,
        schema::ASPECTS,
        &[
            "whole-system",
            key::FACTORS,
            "shared-understanding",
            key::SCORES,
        ],
    )
    .unwrap();
    assert_eq!(
        scores.get(&txn, ME),
        Some(yrs::Out::Any(yrs::Any::from(4i64)))
    );
    drop(txn);

    run(
        &doc,
        &EDITOR,
        &score("whole-system", "shared-understanding", None),
    )
    .unwrap();
    run(
        &doc,
        &EDITOR,
        &Edit::Quick {
            aspect: "capacity".into(),
            score: None,
        },
    )
    .unwrap();
    assert_eq!(
        json(&doc, &format!("{FACTOR}/scores")),
        Some(json!({OTHER: 1}))
    );
    assert_eq!(json(&doc, "aspects/capacity/quick"), Some(json!({})));
}

#[test]
fn values_out_of_their_scale_are_refused_with_the_scale() {
    let doc = document();
    let cases = [
        (
            score("whole-system", "shared-understanding", Some(0)),
            "a score is 1 to 5",
        ),
        (
            score("whole-system", "shared-understanding", Some(6)),
            "a score is 1 to 5",
        ),
        (
            Edit::Weight {
                aspect: "whole-system".into(),
                factor: "shared-understanding".into(),
                weight: Some(4),
            },
            "a weight is 0 to 3 (0 = not relevant here",
        ),
        (
            Edit::Quick {
                aspect: "capacity".into(),
                score: Some(-1),
            },
            "a quick score is 1 to 5",
        ),
    ];
    for (edit, message) in cases {
        let error = run(&doc, &EDITOR, &edit).unwrap_err();
        assert!(matches!(error, EditError::OutOfRange { .. }), "{error:?}");
        assert!(error.to_string().contains(message), "{error}");
    }
}

#[test]
fn votes_and_writes_need_a_participant() {
    let doc = document();
    let error = run(
        &doc,
        &NOBODY,
        &score("whole-system", "shared-understanding", Some(3)),
    )
    .unwrap_err();
    assert_eq!(error, EditError::NoParticipant);
    assert!(error.to_string().contains("`workshop join`"));
    // The facilitator writes anything but has no votes of its own without joining.
    assert_eq!(
        run(
            &doc,
            &FACILITATOR,
            &score("whole-system", "shared-understanding", Some(3))
        ),
        Err(EditError::NoParticipant)
    );
    let empty = Writer {
        participant: Some(""),
        facilitator: false,
    };
    assert_eq!(
        run(
            &doc,
            &empty,
            &Edit::HypothesisAdd {
                statement: "x".into()
            }
        ),
        Err(EditError::NoParticipant)
    );
    assert_eq!(
        run(&doc, &NOBODY, &item("enabler", "x")),
        Err(EditError::NoParticipant)
    );
}

#[test]
fn agreed_values_are_the_facilitators() {
    let doc = document();
    let item_id = created(&doc, &EDITOR, &item("constraint", "Budget cuts"));
    let targets = [
        (
            AgreeTarget::Score {
                aspect: "whole-system".into(),
                factor: "shared-understanding".into(),
            },
            FACTOR.to_owned(),
            key::AGREED_SCORE,
            4,
        ),
        (
            AgreeTarget::Weight {
                aspect: "whole-system".into(),
                factor: "shared-understanding".into(),
            },
            FACTOR.to_owned(),
            key::AGREED_WEIGHT,
            0,
        ),
        (
            AgreeTarget::Quick {
                aspect: "capacity".into(),
            },
            "aspects/capacity".to_owned(),
            key::QUICK_AGREED,
            5,
        ),
        (
            AgreeTarget::Impact {
                item: item_id.clone(),
            },
            format!("items/{item_id}"),
            key::AGREED_IMPACT,
            2,
        ),
    ];
    for (target, map_at, agreed_key, value) in targets {
        let edit = Edit::Agree {
            target: target.clone(),
            value: Some(value),
        };
        let error = run(&doc, &EDITOR, &edit).unwrap_err();
        assert_eq!(
            error,
            EditError::FacilitatorOnly {
                action: "set an agreed value"
            }
        );
        assert_eq!(
            error.to_string(),
            "only the facilitator may set an agreed value"
        );

        run(&doc, &FACILITATOR, &edit).unwrap();
        assert_eq!(
            json(&doc, &format!("{map_at}/{agreed_key}")),
            Some(json!(value))
        );
        run(
            &doc,
            &FACILITATOR,
            &Edit::Agree {
                target,
                value: None,
            },
        )
        .unwrap();
        assert!(!has_key(&doc, &map_at, agreed_key), "{map_at}/{agreed_key}");
    }
    let weight = AgreeTarget::Weight {
        aspect: "capacity".into(),
        factor: "confidence".into(),
    };
    assert!(matches!(
        run(
            &doc,
            &FACILITATOR,
            &Edit::Agree {
                target: weight,
                value: Some(5)
            }
        ),
        Err(EditError::OutOfRange { what: "weight", .. })
    ));
    let missing = AgreeTarget::Impact {
        item: "nope".into(),
    };
    assert_eq!(
        run(
            &doc,
            &FACILITATOR,
            &Edit::Agree {
                target: missing,
                value: Some(3)
            }
        ),
        Err(EditError::UnknownItem { id: "nope".into() })
    );
}

#[test]
fn notes_are_appended_on_a_new_line() {
    let doc = document();
    let note = |factor: Option<&str>, text: &str| Edit::Note {
        aspect: "whole-system".into(),
        factor: factor.map(str::to_owned),
        text: text.into(),
    };
    run(
        &doc,
        &EDITOR,
        &note(Some("shared-understanding"), "First point"),
    )
    .unwrap();
    run(
        &doc,
        &EDITOR,
        &note(Some("shared-understanding"), "Second point"),
    )
    .unwrap();
    run(&doc, &EDITOR, &note(None, "About the aspect")).unwrap();
    assert_eq!(
        json(&doc, &format!("{FACTOR}/notes")),
        Some(json!("First point\nSecond point"))
    );
    assert_eq!(
        json(&doc, "aspects/whole-system/notes"),
        Some(json!("About the aspect"))
    );
    assert_eq!(
        run(&doc, &EDITOR, &note(None, "  \n")),
        Err(EditError::Empty { what: "note" })
    );
    assert!(matches!(
        run(&doc, &EDITOR, &note(Some("confidence"), "x")),
        Err(EditError::UnknownFactor { .. })
    ));
}

#[test]
fn unknown_aspects_and_factors_list_the_valid_ids_in_order() {
    let doc = document();
    let error = run(
        &doc,
        &EDITOR,
        &score("whole-sytem", "shared-understanding", Some(3)),
    )
    .unwrap_err();
    let EditError::UnknownAspect { id, valid } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(id, "whole-sytem");
    let expected: Vec<&str> = workshop_shared::template::ASPECTS
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(valid, &expected);
    assert!(error.to_string().starts_with(
        "there is no aspect `whole-sytem`; the aspects are: whole-system, relationships, capacity"
    ));

    let error = run(
        &doc,
        &EDITOR,
        &score("capacity", "shared-understanding", Some(3)),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "aspect `capacity` has no factor `shared-understanding`; its factors are: \
         skills-balance, change-management, data-skills, partner-skills, confidence"
    );
}

#[test]
fn a_new_factor_comes_last_with_all_its_nested_types() {
    let doc = document();
    let add = Edit::FactorAdd {
        aspect: "capacity".into(),
        title: "  Digital skills ".into(),
    };
    let id = created(&doc, &EDITOR, &add);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(
        json(&doc, &format!("aspects/capacity/factors/{id}")),
        Some(
            json!({"title": "Digital skills", "order": 6, "notes": "", "scores": {}, "weights": {}})
        )
    );
    run(&doc, &EDITOR, &score("capacity", &id, Some(5))).unwrap();
    let rename = Edit::FactorRename {
        aspect: "capacity".into(),
        factor: id.clone(),
        title: "Digital".into(),
    };
    run(&doc, &EDITOR, &rename).unwrap();
    assert_eq!(
        json(&doc, &format!("aspects/capacity/factors/{id}/title")),
        Some(json!("Digital"))
    );

    let empty = Edit::FactorAdd {
        aspect: "capacity".into(),
        title: " ".into(),
    };
    assert_eq!(
        run(&doc, &EDITOR, &empty),
        Err(EditError::Empty { what: "title" })
    );
    let empty = Edit::FactorRename {
        aspect: "capacity".into(),
        factor: id,
        title: "".into(),
    };
    assert_eq!(
        run(&doc, &EDITOR, &empty),
        Err(EditError::Empty { what: "title" })
    );
}

#[test]
fn an_editor_removes_only_a_factor_without_others_votes_or_agreed_values() {
    let doc = document();
    let remove = |factor: &str| Edit::FactorRemove {
        aspect: "capacity".into(),
        factor: factor.into(),
    };

    // Own vote only: allowed.
    run(&doc, &EDITOR, &score("capacity", "confidence", Some(2))).unwrap();
    run(&doc, &EDITOR, &remove("confidence")).unwrap();
    assert!(!has_key(&doc, "aspects/capacity/factors", "confidence"));

    // Another participant's vote: refused for the editor, allowed for the facilitator.
    run(
        &doc,
        &OTHER_EDITOR,
        &score("capacity", "data-skills", Some(2)),
    )
    .unwrap();
    let error = run(&doc, &EDITOR, &remove("data-skills")).unwrap_err();
    assert_eq!(
        error,
        EditError::OthersVotes {
            aspect: "capacity".into(),
            factor: "data-skills".into(),
            voters: vec![OTHER.into()],
        }
    );
    assert!(error
        .to_string()
        .contains("only the facilitator may remove it"));

    // An agreed value: refused too.
    let agree = AgreeTarget::Weight {
        aspect: "capacity".into(),
        factor: "skills-balance".into(),
    };
    run(
        &doc,
        &FACILITATOR,
        &Edit::Agree {
            target: agree,
            value: Some(2),
        },
    )
    .unwrap();
    assert_eq!(
        run(&doc, &EDITOR, &remove("skills-balance")),
        Err(EditError::AgreedValue {
            aspect: "capacity".into(),
            factor: "skills-balance".into(),
            path: "aspects/capacity/factors/skills-balance/agreed_weight".into(),
        })
    );

    run(&doc, &FACILITATOR, &remove("data-skills")).unwrap();
    run(&doc, &FACILITATOR, &remove("skills-balance")).unwrap();
    assert_eq!(
        json(&doc, "aspects/capacity/factors")
            .unwrap()
            .as_object()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn items_are_created_whole_and_take_impact_and_dots() {
    let doc = document();
    let add = Edit::ItemAdd {
        kind: "enabler".into(),
        aspect: Some("relationships".into()),
        control: Some("can_influence".into()),
        response: Some("boost".into()),
        title: "Strong VCS forum".into(),
    };
    let id = created(&doc, &EDITOR, &add);
    assert_eq!(
        json(&doc, &format!("items/{id}")),
        Some(json!({
            "kind": "enabler", "aspect": "relationships", "title": "Strong VCS forum", "notes": "",
            "control": "can_influence", "response": "boost", "impact": {}, "dots": {},
            "created_at": NOW,
        }))
    );
    let bare = Edit::ItemAdd {
        kind: "constraint".into(),
        aspect: None,
        control: Some(String::new()),
        response: None,
        title: "x".into(),
    };
    let bare_id = created(&doc, &EDITOR, &bare);
    assert_eq!(
        json(&doc, &format!("items/{bare_id}")),
        Some(
            json!({"kind": "constraint", "title": "x", "notes": "", "impact": {}, "dots": {}, "created_at": NOW})
        )
    );

    run(
        &doc,
        &EDITOR,
        &Edit::Impact {
            item: id.clone(),
            value: Some(5),
        },
    )
    .unwrap();
    run(
        &doc,
        &EDITOR,
        &Edit::Dots {
            item: id.clone(),
            value: 3,
        },
    )
    .unwrap();
    run(
        &doc,
        &OTHER_EDITOR,
        &Edit::Dots {
            item: id.clone(),
            value: 1,
        },
    )
    .unwrap();
    assert_eq!(
        json(&doc, &format!("items/{id}/impact")),
        Some(json!({ME: 5}))
    );
    assert_eq!(
        json(&doc, &format!("items/{id}/dots")),
        Some(json!({ME: 3, OTHER: 1}))
    );
    run(
        &doc,
        &EDITOR,
        &Edit::Dots {
            item: id.clone(),
            value: 0,
        },
    )
    .unwrap();
    run(
        &doc,
        &EDITOR,
        &Edit::Impact {
            item: id.clone(),
            value: None,
        },
    )
    .unwrap();
    assert_eq!(
        json(&doc, &format!("items/{id}/dots")),
        Some(json!({OTHER: 1}))
    );
    assert_eq!(json(&doc, &format!("items/{id}/impact")), Some(json!({})));

    let error = run(
        &doc,
        &EDITOR,
        &Edit::Dots {
            item: id.clone(),
            value: 4,
        },
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("a number of dots is 0 to 3"),
        "{error}"
    );
    let error = run(
        &doc,
        &EDITOR,
        &Edit::Impact {
            item: id,
            value: Some(0),
        },
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("0 is out of range: an impact is 1 to 5"),
        "{error}"
    );
    assert_eq!(
        run(
            &doc,
            &EDITOR,
            &Edit::Dots {
                item: "nope".into(),
                value: 1
            }
        ),
        Err(EditError::UnknownItem { id: "nope".into() })
    );
}

#[test]
fn item_words_are_checked_against_their_lists() {
    let doc = document();
    let with = |kind: &str, control: &str, response: &str| Edit::ItemAdd {
        kind: kind.into(),
        aspect: None,
        control: Some(control.into()),
        response: Some(response.into()),
        title: "t".into(),
    };
    let error = run(&doc, &EDITOR, &with("barrier", "in_control", "boost")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`barrier` is not a valid kind of item; use one of: constraint, enabler"
    );
    let error = run(&doc, &EDITOR, &with("enabler", "yes", "boost")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`yes` is not a valid control; use one of: in_control, can_influence, outside_control"
    );
    let error = run(&doc, &EDITOR, &with("enabler", "in_control", "pray")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`pray` is not a valid response; use one of: remove, boost, influence, experiment"
    );
    let unknown_aspect = Edit::ItemAdd {
        kind: "enabler".into(),
        aspect: Some("nope".into()),
        control: None,
        response: None,
        title: "t".into(),
    };
    assert!(matches!(
        run(&doc, &EDITOR, &unknown_aspect),
        Err(EditError::UnknownAspect { .. })
    ));
    assert_eq!(
        run(&doc, &EDITOR, &item("enabler", "")),
        Err(EditError::Empty { what: "title" })
    );
}

#[test]
fn a_creation_time_must_be_rfc_3339() {
    let doc = document();
    let before = state(&doc);
    let result = apply(
        &mut doc.transact_mut(),
        &EDITOR,
        &item("enabler", "x"),
        "yesterday",
    );
    assert_eq!(
        result,
        Err(EditError::BadTimestamp {
            value: "yesterday".into()
        })
    );
    assert_eq!(state(&doc), before);
}

#[test]
fn actions_are_created_whole_with_checked_dates_and_links() {
    let doc = document();
    let first = created(&doc, &EDITOR, &item("constraint", "A"));
    let second = created(&doc, &EDITOR, &item("enabler", "B"));
    let add = Edit::ActionAdd {
        title: "Map the market".into(),
        owner: Some("Sam".into()),
        due: Some("2028-02-29".into()),
        status: None,
        aspect: Some("models".into()),
        items: vec![first.clone(), second.clone(), first.clone()],
    };
    let id = created(&doc, &EDITOR, &add);
    assert_eq!(
        json(&doc, &format!("actions/{id}")),
        Some(json!({
            "title": "Map the market", "items": [first, second], "owner": "Sam",
            "due": "2028-02-29", "status": "proposed", "aspect": "models", "created_at": NOW,
        }))
    );
    let bare = created(&doc, &EDITOR, &action_add("Bare", Fields::default()));
    assert_eq!(
        json(&doc, &format!("actions/{bare}")),
        Some(json!({"title": "Bare", "items": [], "status": "proposed", "created_at": NOW}))
    );

    for due in [
        "2026-02-29",
        "2026-13-01",
        "2026-1-01",
        "tomorrow",
        "+2026-01-01",
        "2026-01-01T00:00",
    ] {
        let edit = action_add(
            "x",
            Fields {
                due: s(due),
                ..Fields::default()
            },
        );
        assert_eq!(
            run(&doc, &EDITOR, &edit),
            Err(EditError::BadDate { value: due.into() }),
            "{due}"
        );
    }
    let edit = action_add(
        "x",
        Fields {
            status: s("doing"),
            ..Fields::default()
        },
    );
    let error = run(&doc, &EDITOR, &edit).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`doing` is not a valid action status; use one of: proposed, agreed, in_progress, done, dropped"
    );
    let edit = action_add(
        "x",
        Fields {
            items: vec![first.clone(), "ghost".into()],
            ..Fields::default()
        },
    );
    assert_eq!(
        run(&doc, &EDITOR, &edit),
        Err(EditError::UnknownItem { id: "ghost".into() })
    );
    assert_eq!(
        run(&doc, &EDITOR, &action_add(" ", Fields::default())),
        Err(EditError::Empty { what: "title" })
    );
}

#[test]
fn actions_are_changed_field_by_field() {
    let doc = document();
    let first = created(&doc, &EDITOR, &item("constraint", "A"));
    let second = created(&doc, &EDITOR, &item("enabler", "B"));
    let id = created(
        &doc,
        &EDITOR,
        &action_add(
            "Map",
            Fields {
                owner: s("Sam"),
                due: s("2027-01-31"),
                aspect: s("models"),
                items: vec![first.clone()],
                ..Fields::default()
            },
        ),
    );
    let at = format!("actions/{id}");

    let change = action_set(
        &id,
        Fields {
            title: s("Map the market"),
            status: s("in_progress"),
            due: s("2027-02-28"),
            items: vec![second.clone(), first.clone()],
            ..Fields::default()
        },
    );
    run(&doc, &EDITOR, &change).unwrap();
    let action = json(&doc, &at).unwrap();
    assert_eq!(action["title"], json!("Map the market"));
    assert_eq!(action["status"], json!("in_progress"));
    assert_eq!(action["due"], json!("2027-02-28"));
    assert_eq!(action["owner"], json!("Sam"));
    assert_eq!(action["items"], json!([first, second]));

    let clear = action_set(
        &id,
        Fields {
            owner: s(""),
            due: s(""),
            aspect: s(""),
            unlink: vec![first.clone()],
            ..Fields::default()
        },
    );
    run(&doc, &EDITOR, &clear).unwrap();
    let action = json(&doc, &at).unwrap();
    assert_eq!(
        action,
        json!({"title": "Map the market", "items": [second], "status": "in_progress", "created_at": NOW})
    );

    // Unlinking an item that is not linked but exists does nothing; a stranger is refused.
    run(
        &doc,
        &EDITOR,
        &action_set(
            &id,
            Fields {
                unlink: vec![first.clone()],
                ..Fields::default()
            },
        ),
    )
    .unwrap();
    assert_eq!(
        run(
            &doc,
            &EDITOR,
            &action_set(
                &id,
                Fields {
                    unlink: vec!["ghost".into()],
                    ..Fields::default()
                }
            )
        ),
        Err(EditError::UnknownItem { id: "ghost".into() })
    );
    assert_eq!(
        run(&doc, &EDITOR, &action_set(&id, Fields::default())),
        Err(EditError::NothingToChange)
    );
    assert_eq!(
        run(
            &doc,
            &EDITOR,
            &action_set(
                "nope",
                Fields {
                    title: s("x"),
                    ..Fields::default()
                }
            )
        ),
        Err(EditError::UnknownAction { id: "nope".into() })
    );
    // One bad field refuses the whole change.
    let mixed = action_set(
        &id,
        Fields {
            title: s("Renamed"),
            due: s("2027-02-30"),
            ..Fields::default()
        },
    );
    assert_eq!(
        run(&doc, &EDITOR, &mixed),
        Err(EditError::BadDate {
            value: "2027-02-30".into()
        })
    );
    let mixed = action_set(
        &id,
        Fields {
            title: s("Renamed"),
            aspect: s("nope"),
            ..Fields::default()
        },
    );
    assert!(matches!(
        run(&doc, &EDITOR, &mixed),
        Err(EditError::UnknownAspect { .. })
    ));
}

#[test]
fn hypotheses_are_added_in_order_and_changed() {
    let doc = document();
    let first = created(
        &doc,
        &EDITOR,
        &Edit::HypothesisAdd {
            statement: "Users want choice".into(),
        },
    );
    let second = created(
        &doc,
        &EDITOR,
        &Edit::HypothesisAdd {
            statement: "Providers will adapt".into(),
        },
    );
    assert_eq!(
        json(&doc, &format!("hypotheses/{first}")),
        Some(
            json!({"statement": "Users want choice", "status": "proposed", "evidence": "", "order": 1})
        )
    );
    assert_eq!(
        json(&doc, &format!("hypotheses/{second}/order")),
        Some(json!(2))
    );

    let set = |statement: Option<&str>, status: Option<&str>, evidence: Option<&str>| {
        Edit::HypothesisSet {
            id: first.clone(),
            statement: statement.map(str::to_owned),
            status: status.map(str::to_owned),
            evidence_append: evidence.map(str::to_owned),
        }
    };
    run(
        &doc,
        &EDITOR,
        &set(None, Some("investigating"), Some("Survey of 200")),
    )
    .unwrap();
    run(
        &doc,
        &EDITOR,
        &set(
            Some("Most users want choice"),
            Some("accepted"),
            Some("Focus groups"),
        ),
    )
    .unwrap();
    assert_eq!(
        json(&doc, &format!("hypotheses/{first}")),
        Some(json!({
            "statement": "Most users want choice", "status": "accepted",
            "evidence": "Survey of 200\nFocus groups", "order": 1,
        }))
    );
    let error = run(&doc, &EDITOR, &set(None, Some("true"), None)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`true` is not a valid hypothesis status; use one of: proposed, investigating, accepted, refuted"
    );
    assert_eq!(
        run(&doc, &EDITOR, &set(None, None, None)),
        Err(EditError::NothingToChange)
    );
    assert_eq!(
        run(&doc, &EDITOR, &set(Some(""), None, None)),
        Err(EditError::Empty { what: "statement" })
    );
    assert_eq!(
        run(
            &doc,
            &EDITOR,
            &Edit::HypothesisSet {
                id: "nope".into(),
                statement: Some("x".into()),
                status: None,
                evidence_append: None
            }
        ),
        Err(EditError::UnknownHypothesis { id: "nope".into() })
    );
    assert_eq!(
        run(
            &doc,
            &EDITOR,
            &Edit::HypothesisAdd {
                statement: "".into()
            }
        ),
        Err(EditError::Empty { what: "statement" })
    );
}

#[test]
fn gaps_are_added_with_four_texts_and_replaced_field_by_field() {
    let doc = document();
    let id = created(
        &doc,
        &EDITOR,
        &Edit::GapAdd {
            objective: "Fewer hospital admissions".into(),
        },
    );
    assert_eq!(
        json(&doc, &format!("gaps/{id}")),
        Some(json!({
            "objective": "Fewer hospital admissions", "developments": "", "rationale": "",
            "implications": "", "order": 1,
        }))
    );
    let set = |field: &str, text: &str| Edit::GapSet {
        id: id.clone(),
        field: field.into(),
        text: text.into(),
    };
    run(&doc, &EDITOR, &set("rationale", "Costs rise")).unwrap();
    run(&doc, &EDITOR, &set("rationale", "Costs rise fast")).unwrap();
    run(&doc, &EDITOR, &set("objective", "Fewer admissions")).unwrap();
    run(&doc, &EDITOR, &set("developments", "Step-up beds")).unwrap();
    run(&doc, &EDITOR, &set("developments", "")).unwrap();
    assert_eq!(
        json(&doc, &format!("gaps/{id}")),
        Some(json!({
            "objective": "Fewer admissions", "developments": "", "rationale": "Costs rise fast",
            "implications": "", "order": 1,
        }))
    );
    let error = run(&doc, &EDITOR, &set("gap", "x")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`gap` is not a valid gap-analysis field; use one of: objective, developments, rationale, implications"
    );
    assert_eq!(
        run(&doc, &EDITOR, &set("objective", " ")),
        Err(EditError::Empty { what: "objective" })
    );
    assert_eq!(
        run(
            &doc,
            &EDITOR,
            &Edit::GapSet {
                id: "nope".into(),
                field: "rationale".into(),
                text: "x".into()
            }
        ),
        Err(EditError::UnknownGap { id: "nope".into() })
    );
    let second = created(
        &doc,
        &EDITOR,
        &Edit::GapAdd {
            objective: "More".into(),
        },
    );
    assert_eq!(json(&doc, &format!("gaps/{second}/order")), Some(json!(2)));
}

#[test]
fn the_facilitator_selects_an_existing_approach() {
    let doc = document();
    let select = |approach: Option<&str>| Edit::SelectApproach {
        approach: approach.map(str::to_owned),
    };
    assert_eq!(
        run(&doc, &EDITOR, &select(Some("market-management"))),
        Err(EditError::FacilitatorOnly {
            action: "select the approach"
        })
    );
    run(&doc, &FACILITATOR, &select(Some("market-management"))).unwrap();
    assert_eq!(
        json(&doc, "meta/selected_approach"),
        Some(json!("market-management"))
    );
    let error = run(&doc, &FACILITATOR, &select(Some("markets"))).unwrap_err();
    let EditError::UnknownApproach { valid, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(valid.len(), 8);
    assert_eq!(valid[0], "place-wellbeing");
    assert!(error
        .to_string()
        .starts_with("there is no approach `markets`; the approaches are: place-wellbeing, "));
    run(&doc, &FACILITATOR, &select(None)).unwrap();
    assert!(!has_key(&doc, "meta", key::SELECTED_APPROACH));
}

#[test]
fn a_document_without_the_expected_nested_type_is_reported_not_repaired() {
    let doc = document();
    {
        let mut txn = doc.transact_mut();
        let aspect = path::map_at(&txn, schema::ASPECTS, &["capacity"]).unwrap();
        aspect.insert(&mut txn, key::QUICK, "broken");
        aspect.remove(&mut txn, key::NOTES);
    }
    let error = run(
        &doc,
        &EDITOR,
        &Edit::Quick {
            aspect: "capacity".into(),
            score: Some(3),
        },
    )
    .unwrap_err();
    assert_eq!(
        error,
        EditError::Malformed {
            path: "aspects/capacity/quick".into(),
            expected: "map"
        }
    );
    assert!(error.to_string().contains("sync it from the server again"));
    let note = Edit::Note {
        aspect: "capacity".into(),
        factor: None,
        text: "x".into(),
    };
    assert_eq!(
        run(&doc, &EDITOR, &note),
        Err(EditError::Malformed {
            path: "aspects/capacity/notes".into(),
            expected: "text"
        })
    );
    // A document that was never filled has no aspects (the roots of entities created
    // during a workshop are made on first use: they are named, so that is safe).
    let empty = Doc::new();
    assert!(matches!(
        run(
            &empty,
            &EDITOR,
            &Edit::Quick {
                aspect: "capacity".into(),
                score: Some(3)
            }
        ),
        Err(EditError::Malformed { .. })
    ));
    assert!(run(
        &empty,
        &EDITOR,
        &Edit::HypothesisAdd {
            statement: "x".into()
        }
    )
    .is_ok());
}

#[test]
fn the_engine_sees_what_the_edits_wrote() {
    let doc = document();
    let factors = [
        "skills-balance",
        "change-management",
        "data-skills",
        "partner-skills",
        "confidence",
    ];
    for (factor, (mine, theirs)) in factors.iter().zip([(4, 4), (2, 4), (5, 5), (1, 1), (3, 3)]) {
        run(&doc, &EDITOR, &score("capacity", factor, Some(mine))).unwrap();
        run(
            &doc,
            &OTHER_EDITOR,
            &score("capacity", factor, Some(theirs)),
        )
        .unwrap();
    }
    // Weight `confidence` out; medians 4, 3, 5, 1 → mean 3.25.
    let weight = |participant: &Writer| {
        let edit = Edit::Weight {
            aspect: "capacity".into(),
            factor: "confidence".into(),
            weight: Some(0),
        };
        run(&doc, participant, &edit).unwrap();
    };
    weight(&EDITOR);
    weight(&OTHER_EDITOR);
    run(
        &doc,
        &EDITOR,
        &Edit::Quick {
            aspect: "capacity".into(),
            score: Some(2),
        },
    )
    .unwrap();
    let constraint = created(&doc, &EDITOR, &item("constraint", "Skills gap"));
    run(
        &doc,
        &EDITOR,
        &Edit::Impact {
            item: constraint.clone(),
            value: Some(5),
        },
    )
    .unwrap();
    run(
        &doc,
        &EDITOR,
        &Edit::Dots {
            item: constraint.clone(),
            value: 2,
        },
    )
    .unwrap();
    run(
        &doc,
        &FACILITATOR,
        &Edit::SelectApproach {
            approach: Some("unlocking-potential".into()),
        },
    )
    .unwrap();

    let txn = doc.transact();
    let workshop = Workshop::read(&txn);
    assert!(workshop.warnings.is_empty(), "{:?}", workshop.warnings);
    let capacity = workshop
        .aspects
        .iter()
        .find(|a| a.id == "capacity")
        .unwrap();
    assert_eq!(capacity.quick.get(ME), Some(&2));
    assert_eq!(
        capacity
            .factors
            .iter()
            .find(|f| f.id == "confidence")
            .unwrap()
            .weights
            .len(),
        2
    );

    let results = workshop_shared::compute(&workshop, date!(2026 - 11 - 23));
    let capacity = results.aspects.iter().find(|a| a.id == "capacity").unwrap();
    assert_eq!(capacity.score, Some(3.25));
    assert_eq!(capacity.quick, Some(2.0));
    assert_eq!(results.selected.as_deref(), Some("unlocking-potential"));
    let top = &results.constraints[0];
    assert_eq!(top.id, constraint);
    // I·C·R·(1 + 0.1·D) = 5 · 1.0 · (1 + 3/3) · 1.2
    assert_eq!(top.priority, 12.0);
}

#[test]
fn applied_and_edits_read_as_sentences() {
    assert_eq!(Applied::Done.to_string(), "done");
    assert_eq!(Applied::Created { id: "abc".into() }.to_string(), "abc");
    assert_eq!(
        score("capacity", "confidence", Some(4)).to_string(),
        "Set your score of capacity/confidence to 4."
    );
    assert_eq!(
        Edit::Dots {
            item: "i".into(),
            value: 0
        }
        .to_string(),
        "Cleared your dots on i."
    );
    let agree = Edit::Agree {
        target: AgreeTarget::Quick {
            aspect: "policy".into(),
        },
        value: Some(3),
    };
    assert_eq!(
        agree.to_string(),
        "Set the agreed quick score of policy to 3."
    );
}

#[test]
fn new_ids_are_uuid_v4() {
    let id = new_id();
    let parsed = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
    assert_ne!(id, new_id());
}

//! The editing subcommands as [`Edit`]s of the local document.

use workshop_client::edit::{AgreeTarget, Edit};

use crate::args::{
    doc_name, ActionCommand, Agree, Command, Factor, GapCommand, HypothesisCommand, ItemCommand,
};

/// The workshop id and the edit of an editing subcommand; `None` for the others.
pub fn edit_of(command: &Command) -> Option<(String, Edit)> {
    let edit = match command {
        Command::Quick(a) => (
            a.id.clone(),
            Edit::Quick {
                aspect: a.aspect.clone(),
                score: a.value.0,
            },
        ),
        Command::Score(a) => (
            a.id.clone(),
            Edit::Score {
                aspect: a.aspect.clone(),
                factor: a.factor.clone(),
                score: a.value.0,
            },
        ),
        Command::Weight(a) => (
            a.id.clone(),
            Edit::Weight {
                aspect: a.aspect.clone(),
                factor: a.factor.clone(),
                weight: a.value.0,
            },
        ),
        Command::Agree(agree) => agree_of(agree),
        Command::Note(a) => (
            a.id.clone(),
            Edit::Note {
                aspect: a.aspect.clone(),
                factor: (a.factor != "-").then(|| a.factor.clone()),
                text: a.text.clone(),
            },
        ),
        Command::Factor(Factor::Add { id, aspect, title }) => (
            id.clone(),
            Edit::FactorAdd {
                aspect: aspect.clone(),
                title: title.clone(),
            },
        ),
        Command::Factor(Factor::Rename {
            id,
            aspect,
            factor,
            title,
        }) => (
            id.clone(),
            Edit::FactorRename {
                aspect: aspect.clone(),
                factor: factor.clone(),
                title: title.clone(),
            },
        ),
        Command::Factor(Factor::Remove { id, aspect, factor }) => (
            id.clone(),
            Edit::FactorRemove {
                aspect: aspect.clone(),
                factor: factor.clone(),
            },
        ),
        Command::Item(ItemCommand::Add {
            id,
            kind,
            aspect,
            control,
            response,
            title,
        }) => (
            id.clone(),
            Edit::ItemAdd {
                kind: doc_name(kind),
                aspect: aspect.clone(),
                control: control.as_ref().map(doc_name),
                response: response.as_ref().map(doc_name),
                title: title.clone(),
            },
        ),
        Command::Impact(a) => (
            a.id.clone(),
            Edit::Impact {
                item: a.item.clone(),
                value: a.value.0,
            },
        ),
        Command::Dots(a) => (
            a.id.clone(),
            Edit::Dots {
                item: a.item.clone(),
                value: a.value.0.unwrap_or(0),
            },
        ),
        Command::Action(ActionCommand::Add {
            id,
            title,
            owner,
            due,
            status,
            aspect,
            items,
        }) => (
            id.clone(),
            Edit::ActionAdd {
                title: title.clone(),
                owner: owner.clone(),
                due: due.clone(),
                status: status.as_ref().map(doc_name),
                aspect: aspect.clone(),
                items: items.clone(),
            },
        ),
        Command::Action(ActionCommand::Set {
            id,
            action,
            title,
            owner,
            due,
            status,
            aspect,
            link,
            unlink,
        }) => (
            id.clone(),
            Edit::ActionSet {
                id: action.clone(),
                title: title.clone(),
                owner: owner.clone(),
                due: due.clone(),
                status: status.as_ref().map(doc_name),
                aspect: aspect.clone(),
                link: link.clone(),
                unlink: unlink.clone(),
            },
        ),
        Command::Hypothesis(HypothesisCommand::Add { id, statement }) => (
            id.clone(),
            Edit::HypothesisAdd {
                statement: statement.clone(),
            },
        ),
        Command::Hypothesis(HypothesisCommand::Set {
            id,
            hypothesis,
            statement,
            status,
            evidence,
        }) => (
            id.clone(),
            Edit::HypothesisSet {
                id: hypothesis.clone(),
                statement: statement.clone(),
                status: status.as_ref().map(doc_name),
                evidence_append: evidence.clone(),
            },
        ),
        Command::Gap(GapCommand::Add { id, objective }) => (
            id.clone(),
            Edit::GapAdd {
                objective: objective.clone(),
            },
        ),
        Command::Gap(GapCommand::Set {
            id,
            gap,
            field,
            text,
        }) => (
            id.clone(),
            Edit::GapSet {
                id: gap.clone(),
                field: doc_name(field),
                text: text.clone(),
            },
        ),
        Command::SelectApproach(a) => (
            a.id.clone(),
            Edit::SelectApproach {
                approach: a.approach.clone(),
            },
        ),
        _ => return None,
    };
    Some(edit)
}

fn agree_of(agree: &Agree) -> (String, Edit) {
    let (id, target, value) = match agree {
        Agree::Score(a) => (
            &a.id,
            AgreeTarget::Score {
                aspect: a.aspect.clone(),
                factor: a.factor.clone(),
            },
            a.value.0,
        ),
        Agree::Weight(a) => (
            &a.id,
            AgreeTarget::Weight {
                aspect: a.aspect.clone(),
                factor: a.factor.clone(),
            },
            a.value.0,
        ),
        Agree::Quick(a) => (
            &a.id,
            AgreeTarget::Quick {
                aspect: a.aspect.clone(),
            },
            a.value.0,
        ),
        Agree::Impact(a) => (
            &a.id,
            AgreeTarget::Impact {
                item: a.item.clone(),
            },
            a.value.0,
        ),
    };
    (id.clone(), Edit::Agree { target, value })
}

//! Who may change what in a workshop document: every write rule, in this one place.
//!
//! The server lists the changes a client's update would make (one [`Change`] per path, with
//! the full path of everything inside a nested map or array the update inserts or removes)
//! and asks [`check`] whether the writer's [`Capability`] allows all of them. One refused
//! change refuses the whole update: nothing of it is applied or relayed.
//!
//! | writer | may change | refused ([`Reason`]) |
//! |---|---|---|
//! | [`Capability::Facilitator`] (facilitator invite or personal token) | everything, votes on anyone's behalf included (a room's show of hands) | nothing |
//! | [`Capability::Viewer`] (viewer invite) | nothing: it reads | any change ([`Reason::ReadOnly`]) |
//! | [`Capability::EditorInvite`] (editor invite, before registering) | nothing: it joins and reads | any change ([`Reason::ReadOnly`]) |
//! | [`Capability::Participant`] `P` (editor personal token) | everything below, except what the rows after this one refuse | |
//! | | | `meta/…`, `results/…`, `approaches/…` (the approach matrix) ([`Reason::FacilitatorOnly`]) |
//! | | | `aspects/*/factors/*/agreed_score`, `aspects/*/factors/*/agreed_weight`, `aspects/*/quick_agreed`, `items/*/agreed_impact` ([`Reason::FacilitatorOnly`]) |
//! | | | `participants/*/role`, its own included ([`Reason::FacilitatorOnly`]) |
//! | | | a vote of anyone but `P`: a key of `aspects/*/factors/*/scores`, `…/weights`, `aspects/*/quick`, `items/*/impact`, `items/*/dots` other than `P` ([`Reason::OthersVote`]) |
//! | | | `participants/<other>` or anything in it ([`Reason::OthersParticipant`]) |
//! | | | a root other than the ten of [`schema::ROOTS`], or a root map edited as a whole rather than by key ([`Reason::OutsideSchema`]) |
//! | any writer, the facilitator included | | an update the server cannot integrate completely because it depends on changes it never received ([`Reason::Unverifiable`]: what it would change once they arrive cannot be known, so it is not taken) |
//! | any writer, the facilitator included | | content under a Yjs client id that another token or the server owns ([`Reason::ForeignClient`]), or more new client ids than one connection may bring ([`Reason::TooManyClients`]) |
//!
//! A removal counts like a write: removing a vote map, an item or an aspect counts as removing
//! every vote and agreed value inside it, so the server lists what it held. A vote inside a
//! newly inserted map counts as a vote too: an editor creating an item whose `dots` map
//! already holds another participant's dots is refused.
//!
//! ```
//! use workshop_shared::access::{check, Capability, Change, Reason};
//!
//! let me = Capability::Participant("p1".into());
//! let own = Change::set(["aspects", "capacity", "factors", "confidence", "scores", "p1"]);
//! assert!(check(&me, &[own.clone()]).is_ok());
//!
//! let agreed = Change::set(["aspects", "capacity", "factors", "confidence", "agreed_score"]);
//! let refusal = check(&me, &[own, agreed]).unwrap_err();
//! assert_eq!(refusal.reason, Reason::FacilitatorOnly);
//! assert_eq!(refusal.path, "aspects/capacity/factors/confidence/agreed_score");
//! ```

use std::fmt;

use thiserror::Error;

use crate::schema::{self, key};

/// What a connection may write, decided by the token it joined with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability {
    /// A viewer invite: reads everything live, writes nothing.
    Viewer,
    /// An editor invite that has not registered a participant: joins and reads only.
    EditorInvite,
    /// An editor's personal token, bound to this participant id.
    Participant(String),
    /// The facilitator (invite or personal token): writes everything.
    Facilitator,
}

impl Capability {
    /// Whether this writer skips the checks altogether.
    pub fn is_facilitator(&self) -> bool {
        matches!(self, Capability::Facilitator)
    }
}

/// How a change touches its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A value is set (inserted or replaced) at the path, or a nested map, array or text is
    /// created there.
    Set,
    /// The value at the path is removed (or replaced, for what it held).
    Remove,
    /// The text or array at the path has its content edited.
    Edit,
}

/// One change an update makes: a path in the document (root first) and how it touches it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    /// Path segments from the root type's name, e.g. `["items", "<id>", "dots", "<pid>"]`.
    /// Positions in an array are written as decimal numbers.
    pub path: Vec<String>,
    /// How the path is touched.
    pub kind: ChangeKind,
}

impl Change {
    /// A change of `kind` at `path`.
    pub fn new<S: Into<String>>(kind: ChangeKind, path: impl IntoIterator<Item = S>) -> Change {
        Change {
            path: path.into_iter().map(Into::into).collect(),
            kind,
        }
    }

    /// A value set at `path`.
    pub fn set<S: Into<String>>(path: impl IntoIterator<Item = S>) -> Change {
        Change::new(ChangeKind::Set, path)
    }

    /// A value removed at `path`.
    pub fn remove<S: Into<String>>(path: impl IntoIterator<Item = S>) -> Change {
        Change::new(ChangeKind::Remove, path)
    }

    /// Content of the text or array at `path` edited.
    pub fn edit<S: Into<String>>(path: impl IntoIterator<Item = S>) -> Change {
        Change::new(ChangeKind::Edit, path)
    }

    /// The path joined with `/`, as warnings and refusals spell it.
    pub fn joined_path(&self) -> String {
        self.path.join("/")
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.kind {
            ChangeKind::Set => "set",
            ChangeKind::Remove => "remove",
            ChangeKind::Edit => "edit",
        };
        write!(f, "{verb} {}", self.joined_path())
    }
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
pub enum Reason {
    /// The writer's token only reads (viewer invite, or editor invite before registering).
    #[error("this token may only read the workshop")]
    ReadOnly,
    /// Only the facilitator sets agreed values, the approach matrix, roles, meta and results.
    #[error("only the facilitator may change this")]
    FacilitatorOnly,
    /// A participant writes votes only under their own participant id.
    #[error("this is the vote of participant {0}; a participant may only cast their own votes")]
    OthersVote(String),
    /// A participant changes only their own registration.
    #[error("this is participant {0}'s registration")]
    OthersParticipant(String),
    /// The path is not part of the workshop document's shape.
    #[error("this is not part of the workshop document")]
    OutsideSchema,
    /// The update depends on changes the server never received, so what it would change
    /// cannot be checked.
    #[error("the update depends on changes the server does not have; reload the workshop")]
    Unverifiable,
    /// The update writes under a Yjs client id that another writer (or the server) owns.
    #[error("the update writes under another writer's client id")]
    ForeignClient,
    /// The connection has brought more new Yjs client ids than one connection may.
    #[error("this connection has brought too many new client ids; reconnect")]
    TooManyClients,
}

/// A refused update: the first refused path and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[error("permission denied: {path}: {reason}")]
pub struct Refusal {
    /// The refused path, segments joined with `/` (empty when no single path is to blame).
    pub path: String,
    /// Why it was refused.
    pub reason: Reason,
}

impl Refusal {
    /// A refusal of the whole update, not of one path ([`Reason::Unverifiable`]).
    pub fn whole(reason: Reason) -> Refusal {
        Refusal {
            path: String::new(),
            reason,
        }
    }

    /// A short stable name of the reason, for logs and metrics labels.
    pub fn code(&self) -> &'static str {
        match self.reason {
            Reason::ReadOnly => "read_only",
            Reason::FacilitatorOnly => "facilitator_only",
            Reason::OthersVote(_) => "others_vote",
            Reason::OthersParticipant(_) => "others_participant",
            Reason::OutsideSchema => "outside_schema",
            Reason::Unverifiable => "unverifiable",
            Reason::ForeignClient => "foreign_client",
            Reason::TooManyClients => "too_many_clients",
        }
    }
}

/// Decides whether `writer` may make every change of one update. The first refused change
/// (in the order given) names the refusal; an empty list is always allowed.
pub fn check(writer: &Capability, changes: &[Change]) -> Result<(), Refusal> {
    for change in changes {
        if let Err(reason) = check_one(writer, &change.path) {
            return Err(Refusal {
                path: change.joined_path(),
                reason,
            });
        }
    }
    Ok(())
}

/// The rule for one path; the kind of change does not matter (a removal is a write).
fn check_one(writer: &Capability, path: &[String]) -> Result<(), Reason> {
    let me = match writer {
        Capability::Facilitator => return Ok(()),
        Capability::Viewer | Capability::EditorInvite => return Err(Reason::ReadOnly),
        Capability::Participant(me) => me.as_str(),
    };
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let Some((&root, rest)) = segments.split_first() else {
        return Err(Reason::OutsideSchema);
    };
    if !schema::ROOTS.contains(&root) || rest.is_empty() {
        return Err(Reason::OutsideSchema);
    }
    if [schema::META, schema::RESULTS, schema::APPROACHES].contains(&root) {
        return Err(Reason::FacilitatorOnly);
    }
    match (root, rest) {
        // aspects/<a>/factors/<f>/agreed_score|agreed_weight[/...]
        (schema::ASPECTS, [_, key::FACTORS, _, agreed, ..])
            if *agreed == key::AGREED_SCORE || *agreed == key::AGREED_WEIGHT =>
        {
            Err(Reason::FacilitatorOnly)
        }
        // aspects/<a>/factors/<f>/scores|weights/<voter>[/...]
        (schema::ASPECTS, [_, key::FACTORS, _, votes, voter, ..])
            if *votes == key::SCORES || *votes == key::WEIGHTS =>
        {
            own_vote(me, voter)
        }
        (schema::ASPECTS, [_, key::QUICK_AGREED, ..]) => Err(Reason::FacilitatorOnly),
        (schema::ASPECTS, [_, key::QUICK, voter, ..]) => own_vote(me, voter),
        (schema::ITEMS, [_, key::AGREED_IMPACT, ..]) => Err(Reason::FacilitatorOnly),
        (schema::ITEMS, [_, votes, voter, ..]) if *votes == key::IMPACT || *votes == key::DOTS => {
            own_vote(me, voter)
        }
        (schema::PARTICIPANTS, [participant, ..]) if *participant != me => {
            Err(Reason::OthersParticipant((*participant).to_owned()))
        }
        (schema::PARTICIPANTS, [_, key::ROLE, ..]) => Err(Reason::FacilitatorOnly),
        _ => Ok(()),
    }
}

fn own_vote(me: &str, voter: &str) -> Result<(), Reason> {
    if voter == me {
        Ok(())
    } else {
        Err(Reason::OthersVote(voter.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    const ME: &str = "11111111-1111-4111-8111-111111111111";
    const OTHER: &str = "22222222-2222-4222-8222-222222222222";

    fn me() -> Capability {
        Capability::Participant(ME.into())
    }

    fn refused(writer: &Capability, path: &str) -> Option<Reason> {
        check(writer, &[Change::set(path.split('/'))])
            .err()
            .map(|refusal| {
                assert_eq!(refusal.path, path);
                refusal.reason
            })
    }

    #[test]
    fn a_participant_casts_only_their_own_votes() {
        let writer = me();
        for template in [
            "aspects/capacity/factors/confidence/scores/{}",
            "aspects/capacity/factors/confidence/weights/{}",
            "aspects/capacity/quick/{}",
            "items/i1/impact/{}",
            "items/i1/dots/{}",
        ] {
            assert_eq!(refused(&writer, &template.replace("{}", ME)), None);
            assert_eq!(
                refused(&writer, &template.replace("{}", OTHER)),
                Some(Reason::OthersVote(OTHER.into())),
                "{template}"
            );
        }
    }

    #[test]
    fn agreed_values_meta_results_and_the_matrix_are_the_facilitators() {
        let writer = me();
        for path in [
            "aspects/capacity/factors/confidence/agreed_score",
            "aspects/capacity/factors/confidence/agreed_weight",
            "aspects/capacity/quick_agreed",
            "items/i1/agreed_impact",
            "approaches/market-management/relevance/capacity",
            "approaches/new-one",
            "meta/title",
            "meta/selected_approach",
            "results/recommended",
            "results/stray",
        ] {
            assert_eq!(
                refused(&writer, path),
                Some(Reason::FacilitatorOnly),
                "{path}"
            );
            assert_eq!(refused(&Capability::Facilitator, path), None, "{path}");
        }
    }

    #[test]
    fn a_participant_edits_their_own_registration_but_not_its_role() {
        let writer = me();
        assert_eq!(refused(&writer, &format!("participants/{ME}/name")), None);
        assert_eq!(refused(&writer, &format!("participants/{ME}/world")), None);
        assert_eq!(
            refused(&writer, &format!("participants/{ME}/role")),
            Some(Reason::FacilitatorOnly)
        );
        for path in [
            format!("participants/{OTHER}"),
            format!("participants/{OTHER}/name"),
        ] {
            assert_eq!(
                refused(&writer, &path),
                Some(Reason::OthersParticipant(OTHER.into()))
            );
        }
    }

    #[test]
    fn ordinary_content_is_open_to_participants() {
        let writer = me();
        for path in [
            "aspects/capacity/factors/confidence/notes",
            "aspects/capacity/notes",
            "items/i1",
            "items/i1/title",
            "items/i1/control",
            "actions/a1/items/0",
            "hypotheses/h1/evidence",
            "gaps/g1/objective",
            "groups/g1/aspects",
            // A vote map itself (created with a new item) holds no vote yet.
            "items/i1/dots",
        ] {
            assert_eq!(refused(&writer, path), None, "{path}");
        }
    }

    #[test]
    fn unknown_roots_and_whole_roots_are_outside_the_schema() {
        let writer = me();
        assert_eq!(refused(&writer, "scratch"), Some(Reason::OutsideSchema));
        assert_eq!(refused(&writer, "scratch/x"), Some(Reason::OutsideSchema));
        assert_eq!(refused(&writer, "items"), Some(Reason::OutsideSchema));
        assert_eq!(
            check(&writer, &[Change::set(Vec::<String>::new())])
                .unwrap_err()
                .reason,
            Reason::OutsideSchema
        );
    }

    #[test]
    fn readers_may_change_nothing_but_an_empty_update_is_fine() {
        for reader in [Capability::Viewer, Capability::EditorInvite] {
            assert_eq!(
                refused(&reader, "aspects/capacity/notes"),
                Some(Reason::ReadOnly)
            );
            assert!(check(&reader, &[]).is_ok());
        }
    }

    #[test]
    fn a_mixed_update_is_refused_at_its_first_refused_change() {
        let changes = [
            Change::set(["aspects", "capacity", "factors", "confidence", "scores", ME]),
            Change::remove(["items", "i1", "dots", OTHER]),
            Change::set(["meta", "title"]),
        ];
        let refusal = check(&me(), &changes).unwrap_err();
        assert_eq!(refusal.path, format!("items/i1/dots/{OTHER}"));
        assert_eq!(refusal.reason, Reason::OthersVote(OTHER.into()));
        assert_eq!(refusal.code(), "others_vote");
        assert!(refusal.to_string().contains("permission denied"));
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(ME.to_owned()),
            Just(OTHER.to_owned()),
            Just("capacity".to_owned()),
            Just("i1".to_owned()),
            proptest::sample::select(vec![
                key::FACTORS,
                key::SCORES,
                key::WEIGHTS,
                key::QUICK,
                key::QUICK_AGREED,
                key::AGREED_SCORE,
                key::AGREED_WEIGHT,
                key::IMPACT,
                key::DOTS,
                key::AGREED_IMPACT,
                key::ROLE,
                key::NAME,
                key::NOTES,
            ])
            .prop_map(str::to_owned),
            "[a-z0-9-]{0,8}",
        ]
    }

    fn any_change() -> impl Strategy<Value = Change> {
        let root = prop_oneof![
            proptest::sample::select(schema::ROOTS.to_vec()).prop_map(str::to_owned),
            "[a-z]{1,6}",
        ];
        let kind =
            proptest::sample::select(vec![ChangeKind::Set, ChangeKind::Remove, ChangeKind::Edit]);
        (root, proptest::collection::vec(segment(), 0..7), kind).prop_map(|(root, rest, kind)| {
            let mut path = vec![root];
            path.extend(rest);
            Change { path, kind }
        })
    }

    proptest! {
        #[test]
        fn the_facilitator_may_do_anything_and_readers_nothing(
            changes in proptest::collection::vec(any_change(), 0..12)
        ) {
            prop_assert!(check(&Capability::Facilitator, &changes).is_ok());
            for reader in [Capability::Viewer, Capability::EditorInvite] {
                let verdict = check(&reader, &changes);
                prop_assert_eq!(verdict.is_ok(), changes.is_empty());
            }
        }

        #[test]
        fn an_update_is_allowed_exactly_when_each_of_its_changes_is(
            changes in proptest::collection::vec(any_change(), 0..12)
        ) {
            let writer = me();
            let first_refused = changes
                .iter()
                .find(|change| check(&writer, std::slice::from_ref(*change)).is_err());
            match (check(&writer, &changes), first_refused) {
                (Ok(()), None) => {}
                (Err(refusal), Some(change)) => prop_assert_eq!(refusal.path, change.joined_path()),
                (verdict, first) => prop_assert!(false, "{verdict:?} but first refused {first:?}"),
            }
        }

        #[test]
        fn nothing_under_a_facilitator_only_path_or_another_vote_is_ever_allowed(
            tail in proptest::collection::vec(segment(), 0..3),
            which in 0usize..6,
        ) {
            let prefix: Vec<String> = match which {
                0 => vec!["aspects", "a", "factors", "f", "agreed_score"],
                1 => vec!["aspects", "a", "quick_agreed"],
                2 => vec!["items", "i", "agreed_impact"],
                3 => vec!["aspects", "a", "factors", "f", "scores", OTHER],
                4 => vec!["items", "i", "dots", OTHER],
                _ => vec!["participants", ME, "role"],
            }
            .into_iter()
            .map(str::to_owned)
            .collect();
            let mut path = prefix;
            path.extend(tail);
            let change = Change { path, kind: ChangeKind::Set };
            prop_assert!(check(&me(), &[change]).is_err());
        }
    }
}

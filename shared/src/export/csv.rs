//! Every vote as one row of a long-format table, for analysis elsewhere (CSV, RFC 4180).
//!
//! Columns, after a header row with these names: `kind` (`quick`, `score`, `weight`,
//! `impact` or `dots`), `aspect_id`, `aspect_title`, `factor_or_item_id`,
//! `factor_or_item_title`, `participant_id`, `participant_name`, `organisation`, `world`,
//! `value`. Only valid votes appear. Rows come in entity order: aspects in aspect order, each
//! with its quick votes and then its factors in factor order (scores, then weights); then
//! constraints and enablers in id order (impact, then dots); within each, by participant id.
//!
//! A text cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) is prefixed with `'`, so opening the file never runs anything.

use std::borrow::Cow;
use std::collections::BTreeMap;

use yrs::ReadTxn;

use super::report::{factor_label, label, read_people, Person};
use super::ExportError;
use crate::model::{Votes, Workshop};

/// The header row.
pub const HEADER: [&str; 10] = [
    "kind",
    "aspect_id",
    "aspect_title",
    "factor_or_item_id",
    "factor_or_item_title",
    "participant_id",
    "participant_name",
    "organisation",
    "world",
    "value",
];

/// Every valid vote of the document as CSV, one row per vote, header first.
pub fn votes_csv<T: ReadTxn>(txn: &T) -> Result<String, ExportError> {
    let workshop = Workshop::read(txn);
    let people = read_people(txn, &workshop);
    let by_id: BTreeMap<&str, &Person> = people.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    let mut rows = Rows {
        writer: &mut writer,
        people: &by_id,
    };

    for aspect in &workshop.aspects {
        let title = label(aspect.title.as_deref(), &aspect.id);
        let on = On {
            aspect_id: &aspect.id,
            aspect_title: &title,
            target_id: "",
            target_title: "",
        };
        rows.votes("quick", &on, &aspect.quick)?;
        for factor in &aspect.factors {
            let factor_title = factor_label(txn, &aspect.id, &factor.id);
            let on = On {
                target_id: &factor.id,
                target_title: &factor_title,
                ..on
            };
            rows.votes("score", &on, &factor.scores)?;
            rows.votes("weight", &on, &factor.weights)?;
        }
    }
    for item in &workshop.items {
        let aspect_id = item.aspect.as_deref().unwrap_or("");
        let aspect_title = workshop
            .aspects
            .iter()
            .find(|a| a.id == aspect_id)
            .map(|a| label(a.title.as_deref(), &a.id))
            .unwrap_or_default();
        let on = On {
            aspect_id,
            aspect_title: &aspect_title,
            target_id: &item.id,
            target_title: &item.title,
        };
        rows.votes("impact", &on, &item.impact)?;
        rows.votes("dots", &on, &item.dots)?;
    }

    let bytes = writer
        .into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))?;
    // Every field written is a Rust string, so the bytes are UTF-8.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

/// What a vote is on.
#[derive(Clone, Copy)]
struct On<'a> {
    aspect_id: &'a str,
    aspect_title: &'a str,
    target_id: &'a str,
    target_title: &'a str,
}

/// The writer and what it needs to name participants.
struct Rows<'a> {
    writer: &'a mut ::csv::Writer<Vec<u8>>,
    people: &'a BTreeMap<&'a str, &'a Person>,
}

impl Rows<'_> {
    /// One row per vote, in participant id order (a vote map is keyed by it).
    fn votes(&mut self, kind: &str, on: &On<'_>, votes: &Votes) -> Result<(), ExportError> {
        for (participant, value) in votes.by_id() {
            let person = self.people.get(participant.as_str());
            let name = person.and_then(|p| p.name.as_deref()).unwrap_or("");
            let organisation = person.and_then(|p| p.organisation.as_deref()).unwrap_or("");
            let world = person.and_then(|p| p.world).map_or("", |w| w.as_str());
            let value = value.to_string();
            self.writer.write_record([
                kind,
                &*safe(on.aspect_id),
                &*safe(on.aspect_title),
                &*safe(on.target_id),
                &*safe(on.target_title),
                &*safe(&participant),
                &*safe(name),
                &*safe(organisation),
                world,
                &value,
            ])?;
        }
        Ok(())
    }
}

/// A text cell that no spreadsheet reads as a formula.
fn safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use yrs::Transact;

    use super::*;
    use crate::export::fixtures::{junk_document, sample_document};

    fn rows(text: &str) -> Vec<Vec<String>> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("a record").iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn one_row_per_vote_in_entity_then_participant_order() {
        let doc = sample_document();
        let text = votes_csv(&doc.transact()).expect("csv");
        let rows = rows(&text);
        assert_eq!(rows[0], HEADER);
        let line = |fields: &[&str]| fields.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rows[1],
            line(&[
                "quick",
                "capacity",
                "Capacity, capability and confidence",
                "",
                "",
                "p-ann",
                "Ann",
                "Council",
                "management",
                "3"
            ])
        );
        let kinds: Vec<(&str, &str, &str)> = rows[1..]
            .iter()
            .map(|r| (r[0].as_str(), r[3].as_str(), r[5].as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("quick", "", "p-ann"),
                ("quick", "", "p-ann2"),
                ("quick", "", "p-bob"),
                ("score", "skills-balance", "ghost-voter"),
                ("score", "skills-balance", "p-ann"),
                ("score", "skills-balance", "p-bob"),
                ("weight", "skills-balance", "p-ann"),
                ("weight", "skills-balance", "p-bob"),
                ("score", "change-management", "p-ann"),
                ("score", "data-skills", "p-ann2"),
                ("score", "confidence", "p-bob"),
                ("weight", "confidence", "p-bob"),
                ("dots", "c1", "p-ann"),
                ("dots", "c1", "p-bob"),
                ("impact", "e1", "p-ann"),
                ("impact", "e1", "p-bob"),
            ]
        );
        let ghost = &rows[4];
        assert_eq!(ghost[4], "Balance and distribution of commissioning skills");
        assert_eq!((ghost[6].as_str(), ghost[8].as_str()), ("", ""));
        assert_eq!(ghost[9], "5");
        // A float vote (2.0) comes out as the integer it is.
        assert_eq!(rows[6][9], "2");
        let dots = &rows[13];
        assert_eq!(
            (dots[1].as_str(), dots[2].as_str(), dots[4].as_str()),
            (
                "policy",
                "Managing the policy and compliance landscape",
                "Short-term funding"
            )
        );
        assert!(text.ends_with("\r\n"));
        assert_eq!(text, votes_csv(&doc.transact()).expect("csv"));
    }

    #[test]
    fn junk_leaves_invalid_votes_out_and_defuses_formulas() {
        let doc = junk_document();
        let text = votes_csv(&doc.transact()).expect("csv");
        let rows = rows(&text);
        assert!(rows.iter().all(|r| r.len() == HEADER.len()));
        assert!(rows[1..]
            .iter()
            .all(|r| r[9].parse::<u8>().is_ok_and(|v| v <= 5)));
        let skills: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == "score" && r[3] == "skills-balance")
            .map(|r| r[5].as_str())
            .collect();
        assert_eq!(skills, ["'=cmd|' /C calc'!A0", "ghost-voter"]);
        // The junk item's dots: only the valid one.
        let junk: Vec<&str> = rows
            .iter()
            .filter(|r| r[3] == "i-junk")
            .map(|r| r[9].as_str())
            .collect();
        assert_eq!(junk, ["2"]);
        assert_eq!(safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe("plain"), "plain");
    }
}

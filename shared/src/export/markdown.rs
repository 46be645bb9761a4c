//! The workshop as a written report in Markdown (CommonMark with GitHub tables).
//!
//! Sections: title, place and date; summary (recommended approach and blend, selected
//! approach); aspect scores; approach fit; each aspect with its factors and their notes
//! quoted; the four worlds and their perspective gaps; the top constraints and enablers; the
//! development plan; hypotheses; gap analysis; warnings.
//!
//! Everything the participants typed is escaped: Markdown punctuation is backslash-escaped
//! (so no text can open a link, an HTML tag or a table column), and line breaks inside table
//! cells become `<br>`.

use time::Date;
use yrs::ReadTxn;

use super::report::{kind_label, words, world_label, AspectView, ItemView, Report};
use crate::results::{ItemResult, WarningKind};
use crate::schema::{ItemKind, World};

/// Shown for an unknown figure.
const UNKNOWN: &str = "–";

/// The workshop as a Markdown report, its figures computed by the engine as of `today`.
pub fn markdown<T: ReadTxn>(txn: &T, today: Date) -> String {
    let report = Report::read(txn, today);
    let mut out = Out::default();
    title(&mut out, &report, today);
    summary(&mut out, &report);
    aspect_scores(&mut out, &report);
    approach_fit(&mut out, &report);
    aspects(&mut out, &report);
    worlds(&mut out, &report);
    top_items(&mut out, &report);
    plan(&mut out, &report);
    hypotheses(&mut out, &report);
    gap_analysis(&mut out, &report);
    warnings(&mut out, &report);
    out.text
}

/// The report being written, line by line.
#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    /// Ends the current block: one empty line, never two.
    fn blank(&mut self) {
        if !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
    }

    /// A table: a header row, its alignment row and the rows (cells already escaped).
    fn table(&mut self, header: &[&str], align: &str, rows: &[Vec<String>]) {
        self.line(format!("| {} |", header.join(" | ")));
        let marks: Vec<&str> = align
            .chars()
            .map(|a| if a == 'r' { "---:" } else { "---" })
            .collect();
        self.line(format!("|{}|", marks.join("|")));
        for row in rows {
            self.line(format!("| {} |", row.join(" | ")));
        }
        self.blank();
    }

    /// Free text as a block quote, line by line, indented by `indent`.
    fn quote(&mut self, text: &str, indent: &str) {
        for line in text.trim_end().lines() {
            let line = line.trim_end();
            if line.is_empty() {
                self.line(format!("{indent}>"));
            } else {
                self.line(format!("{indent}> {}", inline(line)));
            }
        }
        self.blank();
    }
}

/// Text escaped for Markdown inline content: punctuation that could start markup is
/// backslash-escaped, line breaks become spaces.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text escaped for a table cell: as [`inline`], with line breaks kept as `<br>`.
fn cell(text: &str) -> String {
    text.trim()
        .lines()
        .map(inline)
        .collect::<Vec<_>>()
        .join("<br>")
}

/// A path or id in a code span, or escaped text when it holds a backtick.
fn code(text: &str) -> String {
    if text.contains('`') || text.contains('\n') {
        inline(text)
    } else {
        format!("`{text}`")
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| UNKNOWN.to_owned(), |v| format!("{v}"))
}

fn signed(value: Option<f64>) -> String {
    value.map_or_else(|| UNKNOWN.to_owned(), |v| format!("{v:+}"))
}

fn percent(value: f64) -> String {
    format!("{:.0}%", value * 100.0)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn long_date(date: Date) -> String {
    format!("{} {} {}", date.day(), date.month(), date.year())
}

fn title(out: &mut Out, report: &Report, today: Date) {
    out.line(format!("# {}", inline(report.display_title())));
    out.blank();
    if let Some(place) = report.place.as_deref().filter(|p| !p.trim().is_empty()) {
        out.line(format!("**Place:** {}  ", inline(place)));
    }
    if let Some(date) = report.date {
        out.line(format!("**Workshop date:** {}  ", long_date(date)));
    }
    out.line(format!("**Figures as of:** {}", long_date(today)));
    out.blank();
}

fn summary(out: &mut Out, report: &Report) {
    let results = &report.results;
    let approach = |id: &str| inline(report.approach_label(id));
    out.line("## Summary");
    out.blank();
    match &results.recommended {
        Some(id) => {
            let figures = results.approaches.iter().find(|a| a.id == *id);
            let fit = figures.and_then(|a| a.fit);
            let coverage = figures.map_or(0.0, |a| a.coverage);
            out.line(format!(
                "- **Recommended approach:** {} (fit {}, coverage {})",
                approach(id),
                number(fit),
                percent(coverage)
            ));
        }
        None => out.line(
            "- **Recommended approach:** none yet: no approach has three quarters of its \
             relevance resting on scored aspects",
        ),
    }
    let blend: Vec<String> = results.blend.iter().map(|id| approach(id)).collect();
    out.line(format!(
        "- **Blend:** {}",
        if blend.is_empty() {
            "none".to_owned()
        } else {
            blend.join(", ")
        }
    ));
    match &results.selected {
        Some(id) if report.selected_by_facilitator => out.line(format!(
            "- **Selected approach:** {} (chosen by the facilitator)",
            approach(id)
        )),
        Some(id) => out.line(format!(
            "- **Selected approach:** {} (the recommended one)",
            approach(id)
        )),
        None => out.line("- **Selected approach:** none yet"),
    }
    let factors: usize = report.aspects.iter().map(|a| a.factors.len()).sum();
    let scored: usize = report
        .aspects
        .iter()
        .flat_map(|a| &a.factors)
        .filter(|f| f.figures.score.is_some())
        .count();
    out.line(format!(
        "- **Participants:** {}; **factors scored:** {scored} of {factors}",
        report.people.len()
    ));
    if !results.warnings.is_empty() {
        out.line(format!(
            "- **Warnings:** {} (listed at the end)",
            results.warnings.len()
        ));
    }
    out.blank();
}

fn aspect_scores(out: &mut Out, report: &Report) {
    out.line("## Aspect scores");
    out.blank();
    let rows: Vec<Vec<String>> = report
        .aspects
        .iter()
        .map(|aspect| {
            let r = &aspect.result;
            vec![
                cell(&aspect.label),
                number(r.score),
                number(r.quick),
                signed(r.delta),
                percent(r.confidence),
            ]
        })
        .collect();
    out.table(
        &["Aspect", "Workshop", "Quick", "Delta", "Confidence"],
        "lrrrr",
        &rows,
    );
}

fn approach_fit(out: &mut Out, report: &Report) {
    let results = &report.results;
    out.line("## Approach fit");
    out.blank();
    let rows: Vec<Vec<String>> = results
        .approaches
        .iter()
        .map(|a| {
            let mut marks = Vec::new();
            if results.recommended.as_deref() == Some(a.id.as_str()) {
                marks.push("recommended");
            }
            if results.blend.contains(&a.id) {
                marks.push("blend");
            }
            if results.selected.as_deref() == Some(a.id.as_str()) {
                marks.push("selected");
            }
            let aspect = |id: &Option<String>| {
                id.as_deref()
                    .map_or_else(|| UNKNOWN.to_owned(), |id| cell(report.aspect_label(id)))
            };
            vec![
                a.rank.to_string(),
                cell(report.approach_label(&a.id)),
                number(a.fit),
                percent(a.coverage),
                aspect(&a.limiting),
                aspect(&a.strongest),
                marks.join(", "),
            ]
        })
        .collect();
    out.table(
        &[
            "Rank",
            "Approach",
            "Fit",
            "Coverage",
            "Limiting aspect",
            "Strongest aspect",
            "Note",
        ],
        "rlrrlll",
        &rows,
    );
}

fn aspects(out: &mut Out, report: &Report) {
    out.line("## Aspects");
    out.blank();
    for aspect in &report.aspects {
        aspect_section(out, aspect);
    }
}

fn aspect_section(out: &mut Out, aspect: &AspectView) {
    let r = &aspect.result;
    out.line(format!("### {}", inline(&aspect.label)));
    out.blank();
    let score = match r.score {
        Some(score) => format!("Workshop score **{score}**"),
        None => "Not scored in the workshop yet".to_owned(),
    };
    let quick = match (r.quick, r.delta) {
        (Some(quick), Some(delta)) => format!(" (quick score {quick}, delta {delta:+})"),
        (Some(quick), None) => format!(" (quick score {quick})"),
        _ => String::new(),
    };
    out.line(format!(
        "{score}{quick}; confidence {}.",
        percent(r.confidence)
    ));
    out.blank();
    if !aspect.notes.trim().is_empty() {
        out.quote(&aspect.notes, "");
    }
    if aspect.factors.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = aspect
        .factors
        .iter()
        .map(|f| {
            vec![
                cell(&f.label),
                number(f.figures.score),
                number(Some(f.figures.weight)),
                f.scores.len().to_string(),
                if f.figures.contested {
                    "⚠ contested"
                } else {
                    ""
                }
                .to_owned(),
            ]
        })
        .collect();
    out.table(
        &["Factor", "Score", "Weight", "Votes", "Contested"],
        "lrrrl",
        &rows,
    );
    for factor in aspect.factors.iter().filter(|f| !f.notes.trim().is_empty()) {
        out.line(format!("**{}**", inline(&factor.label)));
        out.blank();
        out.quote(&factor.notes, "");
    }
}

fn worlds(out: &mut Out, report: &Report) {
    out.line("## Four worlds");
    out.blank();
    out.line(
        "Each world's score of an aspect from its participants' votes; the perspective gap is \
         the highest minus the lowest.",
    );
    out.blank();
    let flagged = |id: &str| {
        report
            .results
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::PerspectiveGap && w.path == format!("aspects/{id}"))
    };
    let rows: Vec<Vec<String>> = report
        .aspects
        .iter()
        .map(|aspect| {
            let w = &aspect.result.worlds;
            let gap = match aspect.result.perspective_gap {
                Some(gap) if flagged(&aspect.id) => format!("**{gap}** ⚠"),
                other => number(other),
            };
            vec![
                cell(&aspect.label),
                number(w.customer),
                number(w.service),
                number(w.management),
                number(w.political),
                gap,
            ]
        })
        .collect();
    let mut header = vec!["Aspect"];
    header.extend(World::ALL.iter().map(|w| world_label(*w)));
    header.push("Perspective gap");
    out.table(&header, "lrrrrr", &rows);
}

fn top_items(out: &mut Out, report: &Report) {
    out.line("## Top constraints and enablers");
    out.blank();
    let count = |kind: ItemKind| report.items.iter().filter(|i| i.kind == kind).count();
    out.line(format!(
        "{} and {} listed; the top five of each by priority.",
        plural(count(ItemKind::Constraint), "constraint"),
        plural(count(ItemKind::Enabler), "enabler")
    ));
    out.blank();
    for (kind, top) in [
        (ItemKind::Constraint, &report.results.constraints),
        (ItemKind::Enabler, &report.results.enablers),
    ] {
        out.line(format!("### {}s", kind_label(kind)));
        out.blank();
        if top.is_empty() {
            out.line("None yet.");
            out.blank();
            continue;
        }
        let rows: Vec<Vec<String>> = top
            .iter()
            .enumerate()
            .map(|(rank, item)| item_row(report, rank + 1, item))
            .collect();
        out.table(
            &[
                "Rank", "Title", "Aspect", "Impact", "Control", "Response", "Dots", "Priority",
            ],
            "rllrllrr",
            &rows,
        );
        for (rank, item) in top.iter().enumerate() {
            let notes = report
                .items
                .iter()
                .find(|i| i.id == item.id)
                .map_or("", |i: &ItemView| i.notes.as_str());
            if !notes.trim().is_empty() {
                out.line(format!("**{}. {}**", rank + 1, inline(&item.title)));
                out.blank();
                out.quote(notes, "");
            }
        }
    }
}

fn item_row(report: &Report, rank: usize, item: &ItemResult) -> Vec<String> {
    let dots = report
        .items
        .iter()
        .find(|i| i.id == item.id)
        .map_or(0, |i| i.dots);
    vec![
        rank.to_string(),
        cell(&item.title),
        item.aspect
            .as_deref()
            .map_or_else(String::new, |a| cell(report.aspect_label(a))),
        number(Some(item.impact)),
        item.control.map_or_else(String::new, |c| words(c.as_str())),
        item.response.as_deref().map_or_else(String::new, cell),
        dots.to_string(),
        number(Some(item.priority)),
    ]
}

fn plan(out: &mut Out, report: &Report) {
    out.line("## Development plan");
    out.blank();
    if report.actions.is_empty() {
        out.line("No actions yet.");
        out.blank();
        return;
    }
    let rows: Vec<Vec<String>> = report
        .actions
        .iter()
        .map(|a| {
            let due = match (a.due, a.overdue) {
                (Some(due), true) => format!("{due} **(overdue)**"),
                (Some(due), false) => due.to_string(),
                (None, _) => String::new(),
            };
            vec![
                cell(&a.title),
                cell(&a.owner),
                due,
                a.status.map_or_else(String::new, |s| words(s.as_str())),
                cell(&a.items.join("\n")),
                a.aspect
                    .as_deref()
                    .map_or_else(String::new, |id| cell(report.aspect_label(id))),
            ]
        })
        .collect();
    out.table(
        &["Action", "Owner", "Due", "Status", "Linked items", "Aspect"],
        "llllll",
        &rows,
    );
}

fn hypotheses(out: &mut Out, report: &Report) {
    out.line("## Hypotheses");
    out.blank();
    if report.hypotheses.is_empty() {
        out.line("No hypotheses yet.");
        out.blank();
        return;
    }
    for (n, h) in report.hypotheses.iter().enumerate() {
        let status = h
            .status
            .map_or_else(String::new, |s| format!(" (*{}*)", words(s.as_str())));
        let statement = if h.statement.trim().is_empty() {
            "(no statement)".to_owned()
        } else {
            inline(h.statement.trim())
        };
        out.line(format!("{}. {statement}{status}", n + 1));
        if !h.evidence.trim().is_empty() {
            out.blank();
            out.quote(&h.evidence, "   ");
        }
    }
    out.blank();
}

fn gap_analysis(out: &mut Out, report: &Report) {
    out.line("## Gap analysis");
    out.blank();
    if report.gaps.is_empty() {
        out.line("No objectives yet.");
        out.blank();
        return;
    }
    for (n, gap) in report.gaps.iter().enumerate() {
        let objective = if gap.objective.trim().is_empty() {
            "(no objective)".to_owned()
        } else {
            inline(gap.objective.trim())
        };
        out.line(format!("### Objective {}: {objective}", n + 1));
        out.blank();
        for (name, text) in [
            ("Gap / service developments", &gap.developments),
            ("Rationale", &gap.rationale),
            ("Commissioning implications", &gap.implications),
        ] {
            out.line(format!("- **{name}:** {}", cell(text)));
        }
        out.blank();
    }
}

fn warnings(out: &mut Out, report: &Report) {
    out.line("## Warnings");
    out.blank();
    if report.results.warnings.is_empty() {
        out.line("None.");
        return;
    }
    for w in &report.results.warnings {
        out.line(format!(
            "- **{}** {}: {}",
            words(w.kind.as_str()),
            code(&w.path),
            inline(&w.message)
        ));
    }
}

#[cfg(test)]
mod tests {
    use yrs::Transact;

    use super::*;
    use crate::export::fixtures::{junk_document, sample_document, TODAY};
    use crate::{compute, Workshop};

    #[test]
    fn reads_as_a_report_with_the_engine_figures() {
        let doc = sample_document();
        let text = markdown(&doc.transact(), TODAY);
        let results = compute(&Workshop::read(&doc.transact()), TODAY);
        assert!(
            text.starts_with("# Title\n\n**Place:** Place  \n"),
            "{text}"
        );
        assert!(text.contains("**Workshop date:** 23 November 2026"));
        for section in [
            "## Summary",
            "## Aspect scores",
            "## Approach fit",
            "## Aspects",
            "### Capacity, capability and confidence",
            "## Four worlds",
            "## Top constraints and enablers",
            "## Development plan",
            "## Hypotheses",
            "## Gap analysis",
            "## Warnings",
        ] {
            assert!(text.contains(&format!("\n{section}\n")), "{section}");
        }
        let recommended = results.recommended.as_deref().expect("a recommendation");
        let title = crate::template::APPROACHES
            .iter()
            .find(|a| a.id == recommended)
            .expect("built-in")
            .title;
        assert!(text.contains(&format!("- **Recommended approach:** {}", inline(title))));
        assert!(text.contains("| Capacity, capability and confidence | 3.273 | 3 | +0.273 | 75% |"));
        assert!(text.contains(
            "| Balance and distribution of commissioning skills | 4 | 2.5 | 3 | ⚠ contested |"
        ));
        // Notes are quoted line by line, their pipes escaped.
        assert!(text.contains("> Skills sit in two teams \\| mostly\n> finance\n"));
        assert!(text.contains("| 1 | Short-term funding | Managing the policy and compliance landscape | 5 | in control | remove | 5 |"));
        assert!(text.contains("| Pool the analysts | Ann | 2026-11-01 **(overdue)** | agreed | Short-term funding | Capacity, capability and confidence |"));
        assert!(text.contains(
            "1. Prevention saves money (*investigating*)\n\n   > Two pilots \\| one\n   > more\n"
        ));
        assert!(text.contains("### Objective 1: Early help for families"));
        assert!(text.contains("- **Rationale:** Demand is rising"));
        assert!(text.contains("`aspects/capacity/factors/skills-balance`"));
        assert_eq!(text, markdown(&doc.transact(), TODAY), "deterministic");
    }

    #[test]
    fn table_cells_escape_pipes_newlines_and_markup() {
        assert_eq!(cell("a | b\nc"), "a \\| b<br>c");
        assert_eq!(
            cell("<script>[x](y)</script>"),
            "\\<script\\>\\[x\\](y)\\</script\\>"
        );
        assert_eq!(inline("two\r\nlines"), "two lines");
        assert_eq!(code("a`b"), "a\\`b");
        assert_eq!(signed(Some(-0.5)), "-0.5");
        assert_eq!(number(None), UNKNOWN);
    }

    #[test]
    fn junk_documents_do_not_panic_and_stay_tables() {
        let doc = junk_document();
        let text = markdown(&doc.transact(), TODAY);
        assert!(text.starts_with("# Commissioning workshop\n"));
        assert!(text.contains("Junk \\| approach"));
        assert!(!text.contains("\u{0}"));
        // Every table row has as many unescaped pipes as its header.
        for block in text.split("\n\n").filter(|b| b.starts_with("| ")) {
            let pipes = |line: &str| line.replace("\\|", "").matches('|').count();
            let mut lines = block.lines();
            let header = pipes(lines.next().expect("header"));
            for line in lines {
                assert_eq!(pipes(line), header, "{line}");
            }
        }
    }
}

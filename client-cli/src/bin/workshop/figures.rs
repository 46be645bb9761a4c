//! The figures as text: computed on this device by the shared engine from the local copy, so
//! they need no connection.

use std::fmt::Write;

use time::Date;
use workshop_shared::engine;
use workshop_shared::model::{read_meta_summary, Workshop};
use workshop_shared::results::{ItemResult, Results};
use yrs::{Doc, Transact};

/// The engine's figures for `doc` as of `today`.
pub fn compute(doc: &Doc, today: Date) -> Results {
    let txn = doc.transact();
    engine::compute(&Workshop::read(&txn), today)
}

/// "Title (place)" of `doc`.
pub fn heading(doc: &Doc) -> String {
    let txn = doc.transact();
    let meta = read_meta_summary(&txn);
    let title = meta.title.unwrap_or_else(|| "Untitled workshop".into());
    match meta.place {
        Some(place) if !place.is_empty() => format!("{title} ({place})"),
        _ => title,
    }
}

fn figure(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

fn percent(value: f64) -> String {
    format!("{:.0}%", value * 100.0)
}

/// The figures as a plain-text report; `online` lists who is connected (the live view).
pub fn render(doc: &Doc, results: &Results, status: &str, online: Option<&[String]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(doc));
    let _ = writeln!(out, "{status}");
    let _ = writeln!(out);

    let _ = writeln!(
        out,
        "Aspect scores (workshop, quick, difference, confidence)"
    );
    for aspect in &results.aspects {
        let title = aspect.title.clone().unwrap_or_else(|| aspect.id.clone());
        let contested = if aspect.contested.is_empty() {
            String::new()
        } else {
            format!("  contested: {}", aspect.contested.join(", "))
        };
        let delta = aspect
            .delta
            .map_or_else(|| "—".into(), |d| format!("{d:+.2}"));
        let _ = writeln!(
            out,
            "  {title:<52} {:>5}  {:>5}  {:>6}  {:>4}{contested}",
            figure(aspect.score, 2),
            figure(aspect.quick, 1),
            delta,
            percent(aspect.confidence),
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "Approaches by fit");
    for approach in &results.approaches {
        let title = approach
            .title
            .clone()
            .unwrap_or_else(|| approach.id.clone());
        let mut marks = Vec::new();
        if results.recommended.as_deref() == Some(approach.id.as_str()) {
            marks.push("recommended".to_owned());
        }
        if results.blend.contains(&approach.id) {
            marks.push("blend".to_owned());
        }
        if results.selected.as_deref() == Some(approach.id.as_str()) {
            marks.push("selected".to_owned());
        }
        if let Some(limiting) = &approach.limiting {
            marks.push(format!("limited by {limiting}"));
        }
        let _ = writeln!(
            out,
            "  {:>2}. {title:<50} {:>5}  {}",
            approach.rank,
            figure(approach.fit, 1),
            marks.join(", ")
        );
    }
    let _ = writeln!(out);

    items(&mut out, "Top constraints", &results.constraints);
    items(&mut out, "Top enablers", &results.enablers);

    if let Some(online) = online {
        let _ = writeln!(out, "Online now ({})", online.len());
        for person in online {
            let _ = writeln!(out, "  {person}");
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "Warnings ({})", results.warnings.len());
    for warning in &results.warnings {
        let _ = writeln!(out, "  {}", warning.message);
    }
    out
}

fn items(out: &mut String, title: &str, items: &[ItemResult]) {
    let _ = writeln!(out, "{title}");
    if items.is_empty() {
        let _ = writeln!(out, "  none yet");
    }
    for (rank, item) in items.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {} (priority {:.2}, impact {:.1})",
            rank + 1,
            item.title,
            item.priority,
            item.impact
        );
    }
    let _ = writeln!(out);
}

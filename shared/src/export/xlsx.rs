//! The workshop as an Excel workbook, laid out like the original self-assessment tool.
//!
//! Sheets, in this order:
//!
//! | sheet | one row per | columns |
//! |---|---|---|
//! | `Quick assessment` | aspect | aspect, each participant's quick score, agreed quick, quick result |
//! | one per aspect, named by its title (31 characters at most, made unique) | factor | factor, discussion notes, each participant's score, each participant's weight, agreed score, agreed weight, effective score, effective weight, contested; below: provisional aspect score, confidence, quick score, delta, aspect notes |
//! | `Approach fit` | approach, in ranking order | rank, approach, fit, coverage, limiting aspect, strongest aspect, recommended, blend, selected; below: the relevance matrix |
//! | `Constraints and enablers` | item, in ranking order | kind, title, aspect, control, response, impact votes, impact median, agreed impact, impact, dots, priority, rank (top five), notes |
//! | `Development plan` | action | action, owner, due (an Excel date), status, linked items, aspect, overdue |
//! | `Hypotheses` | hypothesis | statement, status, evidence |
//! | `Gap analysis` | objective | strategic objective, gap / service developments, rationale, commissioning implications |
//!
//! Numbers are written as numbers, dates as dates; a value that is not valid is left blank.
//! Header rows are bold and frozen. Cells beyond Excel's grid are left out and text beyond
//! its cell limit is cut, so no document makes the export fail.

use std::collections::BTreeSet;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use time::Date;
use yrs::ReadTxn;

use super::report::{kind_label, words, AspectView, Report};
use super::ExportError;

/// Name of the quick assessment sheet.
pub const QUICK_SHEET: &str = "Quick assessment";
/// Name of the approach fit sheet.
pub const APPROACH_SHEET: &str = "Approach fit";
/// Name of the constraints and enablers sheet.
pub const ITEMS_SHEET: &str = "Constraints and enablers";
/// Name of the development plan sheet.
pub const PLAN_SHEET: &str = "Development plan";
/// Name of the hypotheses sheet.
pub const HYPOTHESES_SHEET: &str = "Hypotheses";
/// Name of the gap analysis sheet.
pub const GAPS_SHEET: &str = "Gap analysis";

/// Excel's longest sheet name, in UTF-16 code units.
const MAX_SHEET_NAME: usize = 31;
/// Excel's longest cell text, in characters.
const MAX_CELL_CHARS: usize = 32_767;
/// Excel's grid: rows and columns.
const MAX_ROWS: usize = 1_048_576;
const MAX_COLS: usize = 16_384;

/// The workshop as an `.xlsx` file, its figures computed by the engine as of `today`.
pub fn workbook<T: ReadTxn>(txn: &T, today: Date) -> Result<Vec<u8>, ExportError> {
    let report = Report::read(txn, today);
    let styles = Styles::new();
    let mut book = Workbook::new();
    book.set_properties(&properties(&report, today));

    let mut names = SheetNames::new();
    quick_sheet(&mut Sheet::add(&mut book, &styles, QUICK_SHEET)?, &report)?;
    for aspect in &report.aspects {
        let name = names.unique(&aspect.label);
        aspect_sheet(&mut Sheet::add(&mut book, &styles, &name)?, &report, aspect)?;
    }
    approach_sheet(
        &mut Sheet::add(&mut book, &styles, APPROACH_SHEET)?,
        &report,
    )?;
    items_sheet(&mut Sheet::add(&mut book, &styles, ITEMS_SHEET)?, &report)?;
    plan_sheet(&mut Sheet::add(&mut book, &styles, PLAN_SHEET)?, &report)?;
    hypotheses_sheet(
        &mut Sheet::add(&mut book, &styles, HYPOTHESES_SHEET)?,
        &report,
    )?;
    gaps_sheet(&mut Sheet::add(&mut book, &styles, GAPS_SHEET)?, &report)?;
    Ok(book.save_to_buffer()?)
}

/// Document properties, with a creation time fixed to `today` so the bytes are deterministic.
fn properties(report: &Report, today: Date) -> DocProperties {
    let mut properties = DocProperties::new()
        .set_title(report.display_title())
        .set_subject("Strengths-based commissioning self-assessment");
    if let Ok(created) = excel_date(today) {
        properties = properties.set_creation_datetime(&created);
    }
    properties
}

fn excel_date(date: Date) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(date.year()).map_err(|_| {
        XlsxError::DateTimeRangeError(format!("year {} outside Excel's range", date.year()))
    })?;
    ExcelDateTime::from_ymd(year, u8::from(date.month()), date.day())
}

/// The formats every sheet shares.
struct Styles {
    header: Format,
    wrap: Format,
    percent: Format,
    date: Format,
    label: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            header: Format::new().set_bold().set_text_wrap(),
            wrap: Format::new().set_text_wrap(),
            percent: Format::new().set_num_format("0%"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            label: Format::new().set_bold(),
        }
    }
}

/// Sheet names in use, compared as Excel does (ignoring case).
struct SheetNames {
    taken: BTreeSet<String>,
}

impl SheetNames {
    fn new() -> SheetNames {
        // The fixed sheets are reserved from the start, so an aspect cannot take their name;
        // "History" is reserved by Excel itself.
        let taken = [
            QUICK_SHEET,
            APPROACH_SHEET,
            ITEMS_SHEET,
            PLAN_SHEET,
            HYPOTHESES_SHEET,
            GAPS_SHEET,
            "History",
        ]
        .iter()
        .map(|name| name.to_lowercase())
        .collect();
        SheetNames { taken }
    }

    /// A valid sheet name from a title: forbidden characters replaced, control characters
    /// dropped, cut to 31 code units, and numbered when taken.
    fn unique(&mut self, title: &str) -> String {
        let cleaned: String = title
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| match c {
                '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '-',
                other => other,
            })
            .collect();
        let cleaned = cleaned.trim().trim_matches('\'').trim();
        let base = if cleaned.is_empty() {
            "Aspect"
        } else {
            cleaned
        };
        for n in 1u32.. {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!(" ({n})")
            };
            let stem = truncate_utf16(base, MAX_SHEET_NAME - suffix.len());
            let stem = stem.trim_end().trim_end_matches('\'').trim_end();
            let name = format!("{stem}{suffix}");
            if !stem.is_empty() && self.taken.insert(name.to_lowercase()) {
                return name;
            }
        }
        // Unreachable in practice: every number above gives a new name.
        base.to_owned()
    }
}

/// The longest prefix of `text` of at most `units` UTF-16 code units.
fn truncate_utf16(text: &str, units: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += c.len_utf16();
        if used > units {
            return &text[..at];
        }
    }
    text
}

/// A worksheet with cell writers that never fail on the workshop's content: cells outside
/// the grid are left out, long text is cut, non-finite numbers are left blank.
struct Sheet<'a> {
    sheet: &'a mut Worksheet,
    styles: &'a Styles,
}

impl<'a> Sheet<'a> {
    fn add(book: &'a mut Workbook, styles: &'a Styles, name: &str) -> Result<Self, XlsxError> {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        Ok(Sheet { sheet, styles })
    }

    fn at(row: usize, col: usize) -> Option<(u32, u16)> {
        if row >= MAX_ROWS || col >= MAX_COLS {
            return None;
        }
        Some((u32::try_from(row).ok()?, u16::try_from(col).ok()?))
    }

    fn write_text(
        &mut self,
        row: usize,
        col: usize,
        text: &str,
        format: Option<&Format>,
    ) -> Result<(), XlsxError> {
        let Some((row, col)) = Self::at(row, col) else {
            return Ok(());
        };
        let text: String = text.chars().take(MAX_CELL_CHARS).collect();
        match format {
            Some(format) => self
                .sheet
                .write_string_with_format(row, col, text, format)?,
            None => self.sheet.write_string(row, col, text)?,
        };
        Ok(())
    }

    fn text(&mut self, row: usize, col: usize, text: &str) -> Result<(), XlsxError> {
        self.write_text(row, col, text, None)
    }

    /// Free text that may run to paragraphs: wrapped.
    fn long_text(&mut self, row: usize, col: usize, text: &str) -> Result<(), XlsxError> {
        if text.is_empty() {
            return Ok(());
        }
        let wrap = &self.styles.wrap;
        let Some((r, c)) = Self::at(row, col) else {
            return Ok(());
        };
        let text: String = text.chars().take(MAX_CELL_CHARS).collect();
        self.sheet.write_string_with_format(r, c, text, wrap)?;
        Ok(())
    }

    fn label(&mut self, row: usize, col: usize, text: &str) -> Result<(), XlsxError> {
        let Some((r, c)) = Self::at(row, col) else {
            return Ok(());
        };
        self.sheet
            .write_string_with_format(r, c, text, &self.styles.label)?;
        Ok(())
    }

    fn number(&mut self, row: usize, col: usize, value: Option<f64>) -> Result<(), XlsxError> {
        let (Some((row, col)), Some(value)) = (Self::at(row, col), value) else {
            return Ok(());
        };
        if value.is_finite() {
            self.sheet.write_number(row, col, value)?;
        }
        Ok(())
    }

    fn percent(&mut self, row: usize, col: usize, value: Option<f64>) -> Result<(), XlsxError> {
        let (Some((row, col)), Some(value)) = (Self::at(row, col), value) else {
            return Ok(());
        };
        if value.is_finite() {
            self.sheet
                .write_number_with_format(row, col, value, &self.styles.percent)?;
        }
        Ok(())
    }

    /// A date as a real Excel date; one outside Excel's range is left blank.
    fn date(&mut self, row: usize, col: usize, date: Option<Date>) -> Result<(), XlsxError> {
        let (Some((row, col)), Some(date)) = (Self::at(row, col), date) else {
            return Ok(());
        };
        if let Ok(excel) = excel_date(date) {
            self.sheet
                .write_datetime_with_format(row, col, excel, &self.styles.date)?;
        }
        Ok(())
    }

    fn mark(&mut self, row: usize, col: usize, on: bool) -> Result<(), XlsxError> {
        if on {
            self.text(row, col, "yes")?;
        }
        Ok(())
    }

    /// A bold header row.
    fn header<S: AsRef<str>>(&mut self, row: usize, headings: &[S]) -> Result<(), XlsxError> {
        for (col, heading) in headings.iter().enumerate() {
            let header = &self.styles.header;
            let Some((r, c)) = Self::at(row, col) else {
                break;
            };
            let text: String = heading.as_ref().chars().take(MAX_CELL_CHARS).collect();
            self.sheet.write_string_with_format(r, c, text, header)?;
        }
        Ok(())
    }

    /// Freezes the rows above `row` and the columns left of `col`.
    fn freeze(&mut self, row: u32, col: u16) -> Result<(), XlsxError> {
        self.sheet.set_freeze_panes(row, col)?;
        Ok(())
    }

    /// Sets the widths of columns `from..` (in characters).
    fn widths(&mut self, from: usize, widths: &[f64]) -> Result<(), XlsxError> {
        for (offset, width) in widths.iter().enumerate() {
            let Some((_, col)) = Self::at(0, from + offset) else {
                break;
            };
            self.sheet.set_column_width(col, *width)?;
        }
        Ok(())
    }
}

fn quick_sheet(sheet: &mut Sheet<'_>, report: &Report) -> Result<(), XlsxError> {
    let people = report.people.len();
    let mut headings = vec!["Aspect".to_owned()];
    headings.extend(report.people.iter().map(|p| p.label.clone()));
    headings.extend(["Agreed quick".to_owned(), "Quick result".to_owned()]);
    sheet.header(0, &headings)?;
    for (index, aspect) in report.aspects.iter().enumerate() {
        let row = index + 1;
        sheet.text(row, 0, &aspect.label)?;
        for (col, person) in report.people.iter().enumerate() {
            let vote = aspect.quick.get(&person.id).map(|v| f64::from(*v));
            sheet.number(row, col + 1, vote)?;
        }
        sheet.number(row, people + 1, aspect.quick_agreed.map(f64::from))?;
        sheet.number(row, people + 2, aspect.result.quick)?;
    }
    sheet.freeze(1, 1)?;
    sheet.widths(0, &[45.0])?;
    sheet.widths(1, &vec![12.0; people])?;
    sheet.widths(people + 1, &[13.0, 13.0])
}

fn aspect_sheet(
    sheet: &mut Sheet<'_>,
    report: &Report,
    aspect: &AspectView,
) -> Result<(), XlsxError> {
    let people = report.people.len();
    let mut headings = vec!["Factor".to_owned(), "Discussion notes".to_owned()];
    headings.extend(report.people.iter().map(|p| format!("{} score", p.label)));
    headings.extend(report.people.iter().map(|p| format!("{} weight", p.label)));
    headings.extend(
        [
            "Agreed score",
            "Agreed weight",
            "Effective score",
            "Effective weight",
            "Contested",
        ]
        .map(String::from),
    );
    sheet.header(0, &headings)?;
    let first_figure = 2 + 2 * people;
    for (offset, factor) in aspect.factors.iter().enumerate() {
        let row = offset + 1;
        sheet.text(row, 0, &factor.label)?;
        sheet.long_text(row, 1, &factor.notes)?;
        for (col, person) in report.people.iter().enumerate() {
            let score = factor.scores.get(&person.id).map(|v| f64::from(*v));
            let weight = factor.weights.get(&person.id).map(|v| f64::from(*v));
            sheet.number(row, 2 + col, score)?;
            sheet.number(row, 2 + people + col, weight)?;
        }
        sheet.number(row, first_figure, factor.agreed_score.map(f64::from))?;
        sheet.number(row, first_figure + 1, factor.agreed_weight.map(f64::from))?;
        sheet.number(row, first_figure + 2, factor.figures.score)?;
        sheet.number(row, first_figure + 3, Some(factor.figures.weight))?;
        sheet.mark(row, first_figure + 4, factor.figures.contested)?;
    }

    let summary = aspect.factors.len() + 2;
    let result = &aspect.result;
    sheet.label(summary, 0, "Provisional aspect score")?;
    sheet.number(summary, 1, result.score)?;
    sheet.label(summary + 1, 0, "Confidence")?;
    sheet.percent(summary + 1, 1, Some(result.confidence))?;
    sheet.label(summary + 2, 0, "Quick score")?;
    sheet.number(summary + 2, 1, result.quick)?;
    sheet.label(summary + 3, 0, "Delta (workshop − quick)")?;
    sheet.number(summary + 3, 1, result.delta)?;
    if !aspect.notes.is_empty() {
        sheet.label(summary + 4, 0, "Aspect notes")?;
        sheet.long_text(summary + 4, 1, &aspect.notes)?;
    }

    sheet.freeze(1, 1)?;
    sheet.widths(0, &[45.0, 50.0])?;
    sheet.widths(2, &vec![11.0; 2 * people])?;
    sheet.widths(first_figure, &[10.0, 10.0, 10.0, 10.0, 11.0])
}

fn approach_sheet(sheet: &mut Sheet<'_>, report: &Report) -> Result<(), XlsxError> {
    let results = &report.results;
    sheet.header(
        0,
        &[
            "Rank",
            "Approach",
            "Fit",
            "Coverage",
            "Limiting aspect",
            "Strongest aspect",
            "Recommended",
            "Blend",
            "Selected",
        ],
    )?;
    for (offset, approach) in results.approaches.iter().enumerate() {
        let row = offset + 1;
        sheet.number(row, 0, Some(f64::from(approach.rank)))?;
        sheet.text(row, 1, report.approach_label(&approach.id))?;
        sheet.number(row, 2, approach.fit)?;
        sheet.percent(row, 3, Some(approach.coverage))?;
        if let Some(limiting) = &approach.limiting {
            sheet.text(row, 4, report.aspect_label(limiting))?;
        }
        if let Some(strongest) = &approach.strongest {
            sheet.text(row, 5, report.aspect_label(strongest))?;
        }
        let is = |id: &Option<String>| id.as_deref() == Some(approach.id.as_str());
        sheet.mark(row, 6, is(&results.recommended))?;
        sheet.mark(row, 7, results.blend.contains(&approach.id))?;
        sheet.mark(row, 8, is(&results.selected))?;
    }

    let matrix = results.approaches.len() + 2;
    let mut headings = vec!["Relevance of each aspect (0 to 3)".to_owned()];
    headings.extend(report.aspects.iter().map(|a| a.label.clone()));
    sheet.header(matrix, &headings)?;
    for (offset, approach) in report.approaches.iter().enumerate() {
        let row = matrix + 1 + offset;
        sheet.text(row, 0, &approach.label)?;
        for (col, relevance) in approach.relevance.iter().enumerate() {
            sheet.number(row, col + 1, relevance.map(f64::from))?;
        }
    }

    sheet.freeze(1, 0)?;
    sheet.widths(0, &[45.0, 45.0, 9.0, 10.0, 30.0, 30.0, 13.0, 8.0, 9.0])?;
    let beyond = report.aspects.len().saturating_sub(8);
    sheet.widths(9, &vec![14.0; beyond])
}

fn items_sheet(sheet: &mut Sheet<'_>, report: &Report) -> Result<(), XlsxError> {
    sheet.header(
        0,
        &[
            "Kind",
            "Title",
            "Aspect",
            "Control",
            "Response",
            "Impact votes",
            "Impact median",
            "Agreed impact",
            "Impact",
            "Dots",
            "Priority",
            "Rank (top 5)",
            "Notes",
        ],
    )?;
    let mut items: Vec<_> = report.items.iter().collect();
    // Constraints first, then enablers; each in the engine's ranking order.
    items.sort_by_key(|item| item.kind);
    for (offset, item) in items.into_iter().enumerate() {
        let row = offset + 1;
        sheet.text(row, 0, kind_label(item.kind))?;
        sheet.text(row, 1, &item.title)?;
        if let Some(aspect) = &item.aspect {
            sheet.text(row, 2, report.aspect_label(aspect))?;
        }
        if let Some(control) = item.control {
            sheet.text(row, 3, &words(control.as_str()))?;
        }
        if let Some(response) = &item.response {
            sheet.text(row, 4, response)?;
        }
        sheet.number(row, 5, Some(item.impact_votes.len() as f64))?;
        sheet.number(row, 6, item.impact_median)?;
        sheet.number(row, 7, item.agreed_impact.map(f64::from))?;
        sheet.number(row, 8, Some(item.impact))?;
        sheet.number(row, 9, Some(f64::from(item.dots)))?;
        sheet.number(row, 10, Some(item.priority))?;
        sheet.number(row, 11, item.rank.map(|r| r as f64))?;
        sheet.long_text(row, 12, &item.notes)?;
    }
    sheet.freeze(1, 0)?;
    sheet.widths(
        0,
        &[
            12.0, 40.0, 30.0, 15.0, 18.0, 8.0, 8.0, 8.0, 8.0, 8.0, 9.0, 8.0, 50.0,
        ],
    )
}

fn plan_sheet(sheet: &mut Sheet<'_>, report: &Report) -> Result<(), XlsxError> {
    sheet.header(
        0,
        &[
            "Action",
            "Owner",
            "Due",
            "Status",
            "Linked items",
            "Aspect",
            "Overdue",
        ],
    )?;
    for (offset, action) in report.actions.iter().enumerate() {
        let row = offset + 1;
        sheet.text(row, 0, &action.title)?;
        sheet.text(row, 1, &action.owner)?;
        sheet.date(row, 2, action.due)?;
        if let Some(status) = action.status {
            sheet.text(row, 3, &words(status.as_str()))?;
        }
        sheet.long_text(row, 4, &action.items.join("; "))?;
        if let Some(aspect) = &action.aspect {
            sheet.text(row, 5, report.aspect_label(aspect))?;
        }
        sheet.mark(row, 6, action.overdue)?;
    }
    sheet.freeze(1, 0)?;
    sheet.widths(0, &[45.0, 20.0, 12.0, 13.0, 45.0, 30.0, 9.0])
}

fn hypotheses_sheet(sheet: &mut Sheet<'_>, report: &Report) -> Result<(), XlsxError> {
    sheet.header(0, &["Statement", "Status", "Evidence"])?;
    for (offset, hypothesis) in report.hypotheses.iter().enumerate() {
        let row = offset + 1;
        sheet.long_text(row, 0, &hypothesis.statement)?;
        if let Some(status) = hypothesis.status {
            sheet.text(row, 1, &words(status.as_str()))?;
        }
        sheet.long_text(row, 2, &hypothesis.evidence)?;
    }
    sheet.freeze(1, 0)?;
    sheet.widths(0, &[60.0, 14.0, 70.0])
}

fn gaps_sheet(sheet: &mut Sheet<'_>, report: &Report) -> Result<(), XlsxError> {
    sheet.header(
        0,
        &[
            "Strategic objective",
            "Gap / service developments",
            "Rationale",
            "Commissioning implications",
        ],
    )?;
    for (offset, gap) in report.gaps.iter().enumerate() {
        let row = offset + 1;
        sheet.long_text(row, 0, &gap.objective)?;
        sheet.long_text(row, 1, &gap.developments)?;
        sheet.long_text(row, 2, &gap.rationale)?;
        sheet.long_text(row, 3, &gap.implications)?;
    }
    sheet.freeze(1, 0)?;
    sheet.widths(0, &[40.0, 45.0, 45.0, 45.0])
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
    use time::macros::date;
    use yrs::Transact;

    use super::*;
    use crate::export::fixtures::{junk_document, sample_document, TODAY};
    use crate::{compute, Workshop};

    fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        open_workbook_from_rs(Cursor::new(bytes)).expect("a readable workbook")
    }

    fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
        book.worksheet_range(name).expect(name)
    }

    fn cell(range: &Range<Data>, row: u32, col: u32) -> Data {
        range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
    }

    /// The column whose header (row 0) is `heading`.
    fn column(range: &Range<Data>, heading: &str) -> u32 {
        (0..range.end().map_or(0, |(_, c)| c + 1))
            .find(|c| cell(range, 0, *c) == Data::String(heading.into()))
            .unwrap_or_else(|| panic!("no column {heading}"))
    }

    /// The row whose first cell is `label`.
    fn row(range: &Range<Data>, label: &str) -> u32 {
        (0..range.end().map_or(0, |(r, _)| r + 1))
            .find(|r| cell(range, *r, 0) == Data::String(label.into()))
            .unwrap_or_else(|| panic!("no row {label}"))
    }

    #[test]
    fn sheets_cells_and_figures_match_the_engine() {
        let doc = sample_document();
        let bytes = workbook(&doc.transact(), TODAY).expect("workbook");
        let mut book = open(bytes);
        let names = book.sheet_names();
        assert_eq!(
            names,
            [
                "Quick assessment",
                "Whole system design",
                "Relationships and organisation",
                "Capacity, capability and confid",
                "User and outcome-centred",
                "Information, insight and innova",
                "Managing the policy and complia",
                "Commissioning process",
                "Models and tactics",
                "Approach fit",
                "Constraints and enablers",
                "Development plan",
                "Hypotheses",
                "Gap analysis",
            ]
        );

        let results = compute(&Workshop::read(&doc.transact()), TODAY);
        let capacity_result = &results.aspects[2];

        let quick = sheet(&mut book, "Quick assessment");
        let bob = column(&quick, "Bob");
        let capacity = row(&quick, "Capacity, capability and confidence");
        assert_eq!(cell(&quick, capacity, bob), Data::Float(4.0));
        let result = column(&quick, "Quick result");
        assert_eq!(cell(&quick, capacity, result), Data::Float(3.0));
        let whole = row(&quick, "Whole system design");
        assert_eq!(
            cell(&quick, whole, column(&quick, "Agreed quick")),
            Data::Float(4.0)
        );

        let aspect = sheet(&mut book, "Capacity, capability and confid");
        let skills = row(&aspect, "Balance and distribution of commissioning skills");
        assert_eq!(
            cell(&aspect, skills, column(&aspect, "Ann (p-ann) score")),
            Data::Float(4.0)
        );
        assert_eq!(
            cell(&aspect, skills, column(&aspect, "Bob weight")),
            Data::Float(2.0)
        );
        assert_eq!(
            cell(&aspect, skills, column(&aspect, "ghost-voter score")),
            Data::Float(5.0)
        );
        assert_eq!(
            cell(&aspect, skills, column(&aspect, "Effective weight")),
            Data::Float(2.5)
        );
        assert_eq!(
            cell(&aspect, skills, column(&aspect, "Contested")),
            Data::String("yes".into())
        );
        assert_eq!(
            cell(&aspect, skills, 1),
            Data::String("Skills sit in two teams | mostly\nfinance".into())
        );
        let provisional = row(&aspect, "Provisional aspect score");
        let score = capacity_result.score.expect("capacity is scored");
        assert_eq!(cell(&aspect, provisional, 1), Data::Float(score));
        assert_eq!(score, 3.273);
        let confidence = row(&aspect, "Confidence");
        assert_eq!(
            cell(&aspect, confidence, 1),
            Data::Float(capacity_result.confidence)
        );
        let delta = row(&aspect, "Delta (workshop − quick)");
        assert_eq!(
            cell(&aspect, delta, 1),
            Data::Float(capacity_result.delta.expect("delta"))
        );

        let fit = sheet(&mut book, "Approach fit");
        let first = &results.approaches[0];
        assert_eq!(cell(&fit, 1, 0), Data::Float(1.0));
        assert_eq!(cell(&fit, 1, 2), first.fit.map_or(Data::Empty, Data::Float));
        let matrix = row(&fit, "Unlocking potential");
        assert_eq!(cell(&fit, matrix, 3), Data::Float(3.0), "capacity column");
        assert_eq!(cell(&fit, matrix, 6), Data::Float(0.0), "policy column");

        let items = sheet(&mut book, "Constraints and enablers");
        let funding = row(&items, "Constraint");
        assert_eq!(
            cell(&items, funding, 1),
            Data::String("Short-term funding".into())
        );
        assert_eq!(
            cell(&items, funding, column(&items, "Dots")),
            Data::Float(5.0)
        );
        assert_eq!(
            cell(&items, funding, column(&items, "Priority")),
            Data::Float(results.constraints[0].priority)
        );
        assert_eq!(
            cell(&items, funding, column(&items, "Rank (top 5)")),
            Data::Float(1.0)
        );
        assert_eq!(
            cell(&items, funding, column(&items, "Control")),
            Data::String("in control".into())
        );

        let plan = sheet(&mut book, "Development plan");
        let pool = row(&plan, "Pool the analysts");
        let Data::DateTime(due) = cell(&plan, pool, 2) else {
            panic!("due is a date: {:?}", cell(&plan, pool, 2));
        };
        let serial = (date!(2026 - 11 - 01) - date!(1899 - 12 - 30)).whole_days() as f64;
        assert_eq!(due.as_f64(), serial);
        assert_eq!(
            cell(&plan, pool, 4),
            Data::String("Short-term funding".into())
        );
        assert_eq!(cell(&plan, pool, 6), Data::String("yes".into()));
        assert_eq!(
            cell(&plan, row(&plan, "Map the market"), 6),
            Data::Empty,
            "not overdue"
        );

        let hypotheses = sheet(&mut book, "Hypotheses");
        assert_eq!(
            cell(&hypotheses, 1, 0),
            Data::String("Prevention saves money".into())
        );
        assert_eq!(
            cell(&hypotheses, 1, 1),
            Data::String("investigating".into())
        );
        let gaps = sheet(&mut book, "Gap analysis");
        assert_eq!(
            cell(&gaps, 1, 3),
            Data::String("Recommission by April".into())
        );
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let doc = sample_document();
        let first = workbook(&doc.transact(), TODAY).expect("workbook");
        let second = workbook(&doc.transact(), TODAY).expect("workbook");
        assert_eq!(first, second);
    }

    #[test]
    fn junk_documents_export_without_panicking() {
        let doc = junk_document();
        let bytes = workbook(&doc.transact(), TODAY).expect("junk still exports");
        let mut book = open(bytes);
        let names = book.sheet_names();
        for expected in [
            "-Draft-- what-why- - - 'quoted",
            "A very long aspect title that g",
            "A very long aspect title th (2)",
            "Hypotheses (2)",
            "History (2)",
            "a-empty",
            "a-number",
            "Bell and tab",
            "Aspect",
            "Managing the policy and complia",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        let lower: BTreeSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len(), "names are unique");
        assert!(names.iter().all(|n| n.encode_utf16().count() <= 31));

        let aspect = sheet(&mut book, "Capacity, capability and confid");
        // The factor's title is a number: the row is labelled by its id; invalid votes blank.
        let skills = row(&aspect, "skills-balance");
        assert_eq!(
            cell(&aspect, skills, column(&aspect, "Bob score")),
            Data::Empty
        );
        let plan = sheet(&mut book, "Development plan");
        let dates = (1..=6)
            .filter(|r| matches!(cell(&plan, *r, 2), Data::DateTime(_)))
            .count();
        assert_eq!(
            dates, 2,
            "only the sample's two valid dates in Excel's range"
        );
        let gaps = sheet(&mut book, "Gap analysis");
        let Data::String(long) = cell(&gaps, 2, 0) else {
            panic!("the long objective");
        };
        assert_eq!(long.chars().count(), MAX_CELL_CHARS);
    }

    #[test]
    fn sheet_names_are_cut_cleaned_and_numbered() {
        let mut names = SheetNames::new();
        assert_eq!(names.unique("Gap analysis"), "Gap analysis (2)");
        assert_eq!(names.unique("gap ANALYSIS"), "gap ANALYSIS (3)");
        assert_eq!(names.unique("é".repeat(40).as_str()), "é".repeat(31));
        // Characters outside the BMP count two units, as in Excel.
        assert_eq!(names.unique(&"😀".repeat(20)), "😀".repeat(15));
        assert_eq!(names.unique("  '  "), "Aspect");
        assert_eq!(names.unique(""), "Aspect (2)");
        assert_eq!(truncate_utf16("abc", 2), "ab");
    }
}

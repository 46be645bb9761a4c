//! Exports of a workshop: bytes and strings built in memory, never written anywhere here.
//!
//! - [`document_json`] ([`json`]): the whole document as JSON.
//! - [`workbook`] ([`xlsx`]): an Excel workbook mirroring the original self-assessment tool.
//! - [`markdown()`] ([`mod@markdown`]): a written report of the workshop.
//! - [`votes_csv`] ([`csv`]): every vote as one row of a long-format table.
//!
//! The figures come from the engine ([`crate::engine::compute`]) as of the `today` the caller
//! passes; nothing here re-implements a formula. Every export is deterministic (the same
//! document and `today` give the same bytes) and tolerant: a value that is not valid is left
//! out or shown blank, never a panic.

pub mod csv;
pub mod json;
pub mod markdown;
mod report;
pub mod xlsx;

#[cfg(test)]
mod fixtures;

pub use self::csv::votes_csv;
pub use self::json::document_json;
pub use self::markdown::markdown;
pub use self::xlsx::workbook;

/// What can fail while an export is written (reading the document never fails).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The Excel writer refused the workbook.
    #[error("could not write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer failed.
    #[error("could not write the CSV: {0}")]
    Csv(#[from] ::csv::Error),
}

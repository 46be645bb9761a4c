//! `workshop export`: the local copy as a file.

use std::path::Path;

use time::Date;
use yrs::{Doc, Transact};

use crate::args::Format;
use crate::error::CliError;

/// The bytes of `doc` in `format`, as of `today`.
pub fn render(doc: &Doc, format: Format, today: Date) -> Result<Vec<u8>, CliError> {
    let txn = doc.transact();
    let export = |error: workshop_shared::export::ExportError| CliError::Export(error.to_string());
    Ok(match format {
        Format::Xlsx => workshop_shared::export::workbook(&txn, today).map_err(export)?,
        Format::Md => workshop_shared::export::markdown(&txn, today).into_bytes(),
        Format::Csv => workshop_shared::export::votes_csv(&txn)
            .map_err(export)?
            .into_bytes(),
        Format::Json => {
            let json = workshop_shared::export::document_json(&txn);
            serde_json::to_vec_pretty(&json).map_err(|error| CliError::Export(error.to_string()))?
        }
    })
}

/// Writes `bytes` to `path` (replacing it whole).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let failed = |error: std::io::Error| CliError::Write {
        path: path.display().to_string(),
        reason: error.to_string(),
    };
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, bytes).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}

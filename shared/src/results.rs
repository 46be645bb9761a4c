//! Results shape and writer.
use serde::Serialize;
use yrs::TransactionMut;

/// The engine's output (DOMAIN.md section 7).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Results {
    /// Increases with every recompute that changed anything.
    pub revision: u64,
}

/// A warning.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Warning {}

/// What a recompute did.
#[derive(Debug, Clone)]
pub struct Recomputed {
    /// The results as now stored in the document.
    pub results: Results,
    /// Whether anything in `results` was written.
    pub changed: bool,
}

/// Reads the document, runs the engine and writes the changed results into `results`.
pub fn recompute(_txn: &mut TransactionMut, _today: time::Date) -> Recomputed {
    Recomputed { results: Results::default(), changed: false }
}

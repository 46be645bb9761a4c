//! Typed view of a workshop document.
use yrs::ReadTxn;

/// A workshop read from its document.
#[derive(Debug, Clone, Default)]
pub struct Workshop {}

/// Title and place of a workshop, from `meta`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetaSummary {
    /// `meta/title` when it is a string.
    pub title: Option<String>,
    /// `meta/place` when it is a string.
    pub place: Option<String>,
}

/// Reads `meta/title` and `meta/place`.
pub fn read_meta_summary<T: ReadTxn>(_txn: &T) -> MetaSummary {
    MetaSummary::default()
}

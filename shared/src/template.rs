//! Built-in template.
use yrs::TransactionMut;

/// What a new workshop is created with.
#[derive(Debug, Clone)]
pub struct WorkshopMeta {
    /// Title of the workshop.
    pub title: String,
    /// The place being assessed.
    pub place: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// Fills a fresh document with the built-in template.
pub fn fill(_txn: &mut TransactionMut, _meta: &WorkshopMeta) {}

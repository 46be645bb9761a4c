//! Names of the document's root types.
/// The `results` root map.
pub const RESULTS: &str = "results";

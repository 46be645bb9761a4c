//! The pure domain of the strengths-based commissioning workshop.
//!
//! Everything here works on a [`yrs::Doc`] and plain values: no I/O, no clock, no randomness.
//! The caller passes in what the outside world knows (today's date, a new workshop's
//! creation time).
//!
//! - [`schema`] spells the document's root types, keys and enumerated values.
//! - [`template`] fills a fresh document with the built-in aspects, factors and approaches.
//! - [`model`] reads a document tolerantly into a typed [`Workshop`], collecting warnings.
//! - [`engine`] computes the figures of the method into [`Results`].
//! - [`results`] holds the results shape and writes only what changed into the document; its
//!   [`Recomputer`] keeps the model of an open document and re-reads only what changed.
//! - [`export`] turns a workshop into JSON, an Excel workbook, a Markdown report and a votes CSV.
//! - [`access`] holds every write rule: who may change which paths of the document.
//!
//! ```
//! use workshop_shared::{recompute, template, Doc, Transact};
//! use time::macros::date;
//!
//! let doc = Doc::new();
//! let meta = template::WorkshopMeta {
//!     title: "Autumn workshop".into(),
//!     place: "Northshire".into(),
//!     created_at: "2026-11-23T09:00:00Z".into(),
//! };
//! template::fill(&mut doc.transact_mut(), &meta);
//! let outcome = recompute(&mut doc.transact_mut(), date!(2026 - 11 - 23));
//! assert!(outcome.changed);
//! assert_eq!(outcome.results.aspects.len(), 8);
//! ```

pub mod access;
pub mod engine;
pub mod export;
pub mod model;
pub mod results;
pub mod schema;
pub mod template;
mod value;

pub use engine::compute;
pub use model::Workshop;
pub use results::{recompute, Recomputed, Recomputer, Results, Warning};
pub use yrs::{Doc, ReadTxn, Transact, TransactionMut};

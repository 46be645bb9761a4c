//! [`Recomputer`]: [`recompute`](super::recompute) for a document that stays open, reading
//! again only what changed since the last run.
//!
//! Attaching puts a Yrs deep observer on each root map the reader reads entities from. Every
//! committed transaction on the document (local edits and updates applied from elsewhere
//! alike) reports the paths of the shared types it changed; the observer turns them into
//! [`Changes`] (which entity, factor or list of entries) in a shared, locked set. A recompute
//! takes that set, has the model cache re-read those parts, runs the engine (working out again
//! only the figures of aspects that changed) and writes the results as the stateless path
//! does. `results` and
//! `meta` are not observed: the first is output, and the reader reads one value of the
//! second every time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use time::Date;
use yrs::types::{DeepObservable, Event};
use yrs::{Doc, MapRef, Origin, Transact, TransactionMut, WriteTxn};

use super::{write, Recomputed};
use crate::engine::kept::KeptFigures;
use crate::model::cache::ModelCache;
use crate::model::changes::{Changes, Root};
use crate::model::Workshop;

/// Why a [`Recomputer`] could not attach to a document.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// Another transaction is open on the document: attach before or after it.
    #[error("the document has a transaction open: {0}")]
    Busy(#[from] yrs::TransactionAcqError),
}

/// Recomputes the results of one document after each change, reading again only what the
/// change touched. Its results are those of [`recompute`](super::recompute) on the same
/// document, and it writes them the same way.
///
/// Attach it once (when the document is loaded), then call [`Recomputer::recompute`] in a
/// transaction of its own or after the edits of that transaction's callers have been committed
/// in earlier ones. Dropping it stops the observing.
///
/// ```
/// use time::macros::date;
/// use workshop_shared::{recompute, template, Doc, Recomputer, Transact};
/// use yrs::{Map, WriteTxn};
///
/// let doc = Doc::new();
/// let meta = template::WorkshopMeta {
///     title: "Autumn workshop".into(),
///     place: "Northshire".into(),
///     created_at: "2026-11-23T09:00:00Z".into(),
/// };
/// template::fill(&mut doc.transact_mut(), &meta);
/// let mut recomputer = Recomputer::attach(&doc)?;
/// let today = date!(2026 - 11 - 23);
/// assert!(recomputer.recompute(&mut doc.transact_mut(), today).changed);
///
/// // An edit, committed: the next recompute reads again only what it touched.
/// {
///     let mut txn = doc.transact_mut();
///     let meta = txn.get_or_insert_map("meta");
///     meta.insert(&mut txn, "selected_approach", "market-management");
/// }
/// let outcome = recomputer.recompute(&mut doc.transact_mut(), today);
/// assert_eq!(outcome.results.selected.as_deref(), Some("market-management"));
/// assert!(!recompute(&mut doc.transact_mut(), today).changed);
/// # Ok::<(), workshop_shared::results::AttachError>(())
/// ```
pub struct Recomputer {
    /// The document observed; kept so the root maps below stay valid until they are released.
    doc: Doc,
    /// The observed roots.
    roots: Vec<MapRef>,
    /// The key the observers were registered under.
    key: Origin,
    /// What changed since the last recompute, filled by the observers.
    changes: Arc<Mutex<Changes>>,
    /// The model as last read.
    cache: ModelCache,
    /// The aspects' figures as last worked out.
    figures: KeptFigures,
}

/// Numbers the observers of each recomputer, so several can observe one document.
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

impl Recomputer {
    /// Starts observing `doc`. Types the root maps the reader reads as maps (a root known only
    /// by name emits no events); typing a root writes nothing to the document. Fails when a
    /// transaction is open on the document.
    pub fn attach(doc: &Doc) -> Result<Recomputer, AttachError> {
        let number = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let key = Origin::from(format!("workshop-shared/recomputer/{number}"));
        let changes = Arc::new(Mutex::new(Changes::all()));
        // Registering with the document's exclusive lock held: an observer list is not
        // changed while another thread's transaction runs it.
        let mut txn = doc.try_transact_mut()?;
        let mut roots = Vec::with_capacity(Root::ALL.len());
        for root in Root::ALL {
            let map = txn.get_or_insert_map(root.name());
            let sink = Arc::clone(&changes);
            map.observe_deep(key.clone(), move |txn, events| {
                let mut changes = sink.lock().unwrap_or_else(PoisonError::into_inner);
                for event in events.iter() {
                    let mut path = event.path();
                    let path = path.make_contiguous();
                    let keys = match event {
                        Event::Map(votes) if Changes::is_vote_map(root, path) => {
                            Some(votes.keys(txn).keys().map(|k| k.to_string()).collect())
                        }
                        _ => None,
                    };
                    changes.note(root, path, keys);
                }
            });
            roots.push(map);
        }
        drop(txn);
        Ok(Recomputer {
            doc: doc.clone(),
            roots,
            key,
            changes,
            cache: ModelCache::default(),
            figures: KeptFigures::default(),
        })
    }

    /// Brings the results up to date in `txn`: reads again what changed since the last call
    /// (everything on the first), runs the engine as of `today` and writes what changed into
    /// `results`, exactly as [`recompute`](super::recompute) would.
    ///
    /// Changes already made in `txn` itself have not reached the observers yet: when `txn`
    /// holds any, everything is read again. A transaction of another document is recomputed
    /// the stateless way.
    pub fn recompute(&mut self, txn: &mut TransactionMut, today: Date) -> Recomputed {
        if !Doc::ptr_eq(txn.doc(), &self.doc) {
            return super::recompute(txn, today);
        }
        let mut changes =
            std::mem::take(&mut *self.changes.lock().unwrap_or_else(PoisonError::into_inner));
        if txn.has_changes() {
            changes = Changes::all();
        }
        self.cache.refresh(txn, &changes);
        let mut results = self
            .figures
            .compute(self.cache.workshop(), &self.cache, today);
        let changed = write(txn, &mut results);
        Recomputed { results, changed }
    }

    /// The workshop as read by the last [`Recomputer::recompute`] (empty before the first).
    pub fn workshop(&self) -> &Workshop {
        self.cache.workshop()
    }
}

impl Drop for Recomputer {
    fn drop(&mut self) {
        // With a transaction open elsewhere the observers stay: they only ever record into a
        // set nobody reads any more.
        if let Ok(txn) = self.doc.try_transact_mut() {
            for root in &self.roots {
                root.unobserve_deep(self.key.clone());
            }
            drop(txn);
        }
    }
}

impl std::fmt::Debug for Recomputer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recomputer")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

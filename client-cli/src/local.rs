//! The command-line tool's local state: every workshop it has joined, kept on disk so that
//! every command works with no server.
//!
//! Under a home directory (`--home`, `WORKSHOP_HOME`, else the platform's data directory
//! followed by `workshop`), each workshop has a directory named by its id holding:
//!
//! - `document.ydoc`: the whole document in the Yrs update encoding (v1);
//! - `workshop.json`: the server's address, the token to use there, the participant this
//!   device joined as, and what the last sync left on the server ([`Synced`]).
//!
//! Both files are replaced atomically (written beside, then renamed), so an interrupted
//! command leaves the previous state intact, and a failed command leaves the files untouched.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// Environment variable naming the home directory.
pub const HOME_ENV: &str = "WORKSHOP_HOME";

const DOCUMENT: &str = "document.ydoc";
const META: &str = "workshop.json";

/// What can go wrong with the local state.
#[derive(Debug, Error)]
pub enum LocalError {
    /// No platform data directory and no `--home`.
    #[error("there is no home directory for local workshops: pass --home or set {HOME_ENV}")]
    NoHome,
    /// The workshop was never joined or created on this device.
    #[error("workshop {0} is not on this device: `workshop join` it first")]
    Unknown(String),
    /// A file could not be read or written.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The document file is not a Yrs update.
    #[error("the local copy {path} is corrupt ({reason}): delete its directory and `workshop join` again")]
    CorruptDocument {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The metadata file is not what this tool writes.
    #[error("the local file {path} is corrupt ({reason}): delete its directory and `workshop join` again")]
    CorruptMeta {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// What this device knows about one workshop besides its document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// The workshop id.
    pub id: String,
    /// The server's base address, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// The token this device uses there: the participant's personal token once joined, else
    /// the invite it was given.
    pub token: String,
    /// Its role: `facilitator`, `editor` or `viewer`.
    pub access: String,
    /// Invite tokens of a workshop created on this device.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub invites: BTreeMap<String, String>,
    /// The participant this device joined as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<String>,
    /// That participant's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the server held after the last sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced: Option<Synced>,
    /// Editing commands applied on this device since the last sync: what a person counts as
    /// their changes (one vote, one note), unlike the document's own units.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unsynced_edits: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// The state of the document the last time a sync finished: everything in it is on the
/// server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Synced {
    /// RFC 3339 time of that sync.
    pub at: String,
    /// The document's state vector then, client id → clock.
    pub state_vector: BTreeMap<u64, u32>,
    /// How many deleted elements the document knew of then.
    pub deleted: u64,
}

/// How much one state of a document holds beyond another: new elements (by state vector)
/// and new deletions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// Elements (characters, map entries, array items) added.
    pub added: u64,
    /// Elements deleted.
    pub deleted: u64,
}

impl Changes {
    /// Whether there is nothing.
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.deleted == 0
    }

    /// Added plus deleted.
    pub fn total(&self) -> u64 {
        self.added + self.deleted
    }
}

/// A state vector as a map (for [`Synced`] and comparisons).
pub fn state_vector_map(sv: &StateVector) -> BTreeMap<u64, u32> {
    sv.iter()
        .map(|(client, clock)| (client.get(), *clock))
        .collect()
}

/// Elements in `now` beyond `before`, per client.
pub fn added_since(before: &BTreeMap<u64, u32>, now: &BTreeMap<u64, u32>) -> u64 {
    now.iter()
        .map(|(client, clock)| u64::from(clock.saturating_sub(*before.get(client).unwrap_or(&0))))
        .sum()
}

/// How many elements the document's delete set covers.
pub fn deleted_count<T: ReadTxn>(txn: &T) -> u64 {
    // The delete set of a full-state update is the document's.
    let update = txn.encode_state_as_update_v1(&StateVector::default());
    match Update::decode_v1(&update) {
        Ok(update) => update
            .delete_set()
            .iter()
            .map(|(_, ranges)| {
                ranges
                    .iter()
                    .map(|range| u64::from(range.end.saturating_sub(range.start)))
                    .sum::<u64>()
            })
            .sum(),
        Err(_) => 0,
    }
}

/// The home directory of local workshops.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// `explicit` if given, else `$WORKSHOP_HOME`, else `<data dir>/workshop`.
    pub fn locate(explicit: Option<PathBuf>) -> Result<Home, LocalError> {
        let root = explicit
            .or_else(|| std::env::var_os(HOME_ENV).map(PathBuf::from))
            .or_else(|| dirs::data_dir().map(|dir| dir.join("workshop")))
            .ok_or(LocalError::NoHome)?;
        Ok(Home { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Whether workshop `id` is on this device.
    pub fn has(&self, id: &str) -> bool {
        self.dir(id).join(META).is_file()
    }

    /// Every workshop on this device, by id.
    pub fn list(&self) -> Result<Vec<Meta>, LocalError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(LocalError::Io {
                    action: "read",
                    path: self.root.clone(),
                    source,
                })
            }
        };
        let mut metas = Vec::new();
        for entry in entries.flatten() {
            let Some(id) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if self.has(&id) {
                metas.push(self.meta(&id)?);
            }
        }
        metas.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(metas)
    }

    /// The metadata of workshop `id`.
    pub fn meta(&self, id: &str) -> Result<Meta, LocalError> {
        let path = self.dir(id).join(META);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(LocalError::Unknown(id.to_owned()))
            }
            Err(source) => {
                return Err(LocalError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        };
        serde_json::from_slice(&bytes).map_err(|error| LocalError::CorruptMeta {
            path,
            reason: error.to_string(),
        })
    }

    /// The local copy of workshop `id` as a document (empty if there is none yet).
    pub fn document(&self, id: &str) -> Result<Doc, LocalError> {
        let path = self.dir(id).join(DOCUMENT);
        let doc = Doc::new();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(doc),
            Err(source) => {
                return Err(LocalError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        };
        let corrupt = |reason: String| LocalError::CorruptDocument {
            path: path.clone(),
            reason,
        };
        let update = Update::decode_v1(&bytes).map_err(|error| corrupt(error.to_string()))?;
        {
            let mut txn = doc.transact_mut();
            txn.apply_update(update)
                .map_err(|error| corrupt(error.to_string()))?;
            if txn.store().pending_update().is_some() {
                return Err(corrupt("it refers to changes it does not hold".into()));
            }
        }
        Ok(doc)
    }

    /// Writes workshop `id`'s metadata.
    pub fn save_meta(&self, meta: &Meta) -> Result<(), LocalError> {
        let bytes = serde_json::to_vec_pretty(meta).map_err(|error| LocalError::CorruptMeta {
            path: self.dir(&meta.id).join(META),
            reason: error.to_string(),
        })?;
        self.replace(&meta.id, META, &bytes)
    }

    /// Writes workshop `id`'s document.
    pub fn save_document(&self, id: &str, doc: &Doc) -> Result<(), LocalError> {
        let bytes = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        self.replace(id, DOCUMENT, &bytes)
    }

    /// Atomically replaces one file of workshop `id`.
    fn replace(&self, id: &str, name: &str, bytes: &[u8]) -> Result<(), LocalError> {
        let dir = self.dir(id);
        let io = |action, path: &Path| {
            let path = path.to_owned();
            move |source| LocalError::Io {
                action,
                path,
                source,
            }
        };
        fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let target = dir.join(name);
        let temporary = dir.join(format!(".{name}.tmp"));
        let mut file = fs::File::create(&temporary).map_err(io("write", &temporary))?;
        file.write_all(bytes).map_err(io("write", &temporary))?;
        file.sync_all().map_err(io("write", &temporary))?;
        drop(file);
        fs::rename(&temporary, &target).map_err(io("replace", &target))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use yrs::{Map, Text};

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::locate(Some(dir.path().to_owned())).unwrap();
        (dir, home)
    }

    #[test]
    fn a_document_and_its_meta_round_trip() {
        let (_dir, home) = home();
        assert!(!home.has("w"));
        assert!(matches!(home.meta("w"), Err(LocalError::Unknown(_))));
        let doc = Doc::new();
        doc.get_or_insert_map("meta")
            .insert(&mut doc.transact_mut(), "title", "T");
        home.save_document("w", &doc).unwrap();
        let meta = Meta {
            id: "w".into(),
            server: "http://127.0.0.1:1".into(),
            token: "t".into(),
            access: "editor".into(),
            participant_id: Some("p".into()),
            ..Meta::default()
        };
        home.save_meta(&meta).unwrap();
        assert!(home.has("w"));
        assert_eq!(home.meta("w").unwrap(), meta);
        assert_eq!(home.list().unwrap(), vec![meta]);
        let loaded = home.document("w").unwrap();
        let txn = loaded.transact();
        assert_eq!(
            txn.get_map("meta")
                .unwrap()
                .get(&txn, "title")
                .unwrap()
                .to_string(&txn),
            "T"
        );
    }

    #[test]
    fn corrupt_files_are_reported_not_loaded() {
        let (dir, home) = home();
        fs::create_dir_all(dir.path().join("w")).unwrap();
        fs::write(dir.path().join("w").join(DOCUMENT), b"\xff\xff\xff").unwrap();
        fs::write(dir.path().join("w").join(META), b"{").unwrap();
        assert!(matches!(
            home.document("w"),
            Err(LocalError::CorruptDocument { .. })
        ));
        assert!(matches!(
            home.meta("w"),
            Err(LocalError::CorruptMeta { .. })
        ));
    }

    #[test]
    fn changes_count_additions_and_deletions() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        let before = state_vector_map(&doc.transact().state_vector());
        text.insert(&mut doc.transact_mut(), 0, "hello");
        let after = state_vector_map(&doc.transact().state_vector());
        assert_eq!(added_since(&before, &after), 5);
        assert_eq!(added_since(&after, &after), 0);
        assert_eq!(deleted_count(&doc.transact()), 0);
        text.remove_range(&mut doc.transact_mut(), 1, 3);
        assert_eq!(deleted_count(&doc.transact()), 3);
    }
}

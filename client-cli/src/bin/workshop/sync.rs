//! One exchange with the server: connect with the local copy, let the y-sync handshake move
//! what each side lacks (state vectors first, then only the missing updates), make sure the
//! server has applied what was sent, and record what moved.

use std::time::Duration;

use workshop_client::local::{
    added_since, deleted_count, state_vector_map, Changes, Home, Meta, Synced,
};
use workshop_client::ClientError;
use yrs::{Doc, ReadTxn, Transact};

use crate::error::CliError;
use crate::net::Net;

/// How long connecting and the handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the server may take to confirm it applied what was sent.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(20);

/// What one sync moved.
#[derive(Debug, Clone, Copy, Default)]
pub struct Report {
    /// From the server to this device.
    pub arrived: Changes,
    /// From this device to the server.
    pub sent: Changes,
    /// Editing commands that were waiting on this device, now on the server.
    pub sent_edits: u64,
}

/// The WebSocket address of workshop `meta.id`, with its token.
pub fn url(meta: &Meta) -> Result<String, CliError> {
    let base =
        workshop_client::workshop_url(&meta.server, &meta.id).map_err(|error| CliError::Sync {
            server: meta.server.clone(),
            source: error,
        })?;
    Ok(format!("{base}?token={}", encode(&meta.token)))
}

/// Percent-encodes everything but URL-safe characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Turns a connection failure into the sentence the user needs.
pub fn connect_error(meta: &Meta, error: ClientError) -> CliError {
    match error.close_info().map(|close| close.code) {
        Some(4404) | Some(4400) => CliError::UnknownWorkshop(meta.id.clone()),
        Some(4401) | Some(4403) => CliError::NeedsToken(format!(
            "the server refused this device's token for workshop {} (revoked or wrong): join again with a new invite",
            meta.id
        )),
        _ => match error {
            ClientError::Connect { source, .. } => CliError::Unreachable {
                server: meta.server.clone(),
                reason: innermost(source.as_ref()),
            },
            other => CliError::Sync {
                server: meta.server.clone(),
                source: other,
            },
        },
    }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// Counts of what `doc` holds now, for comparisons.
fn snapshot(doc: &Doc) -> (std::collections::BTreeMap<u64, u32>, u64) {
    let txn = doc.transact();
    (state_vector_map(&txn.state_vector()), deleted_count(&txn))
}

/// Records in `meta` that everything in `doc` is on the server as of `at`.
pub fn mark_synced(meta: &mut Meta, doc: &Doc, at: String) {
    let (state_vector, deleted) = snapshot(doc);
    meta.synced = Some(Synced {
        at,
        state_vector,
        deleted,
    });
    meta.unsynced_edits = 0;
}

/// What `doc` holds that the last sync did not leave on the server.
pub fn unsent(meta: &Meta, doc: &Doc) -> Changes {
    let (now, deleted) = snapshot(doc);
    match &meta.synced {
        Some(synced) => Changes {
            added: added_since(&synced.state_vector, &now),
            deleted: deleted.saturating_sub(synced.deleted),
        },
        None => Changes {
            added: added_since(&Default::default(), &now),
            deleted,
        },
    }
}

/// Exchanges `doc` with the server both ways, saves it and the new sync state in `home`, and
/// says what moved. Nothing is marked synced unless the server confirmed it applied all of it.
pub async fn exchange(
    home: &Home,
    net: &Net,
    meta: &mut Meta,
    doc: Doc,
    now: impl FnOnce() -> String,
) -> Result<Report, CliError> {
    let (before, deleted_before) = snapshot(&doc);
    let unsent_deletes =
        deleted_before.saturating_sub(meta.synced.as_ref().map_or(0, |synced| synced.deleted));
    let url = url(meta)?;
    let mut client = net.sync_client(doc.clone(), CONNECT_TIMEOUT);
    client
        .connect(&url)
        .await
        .map_err(|error| connect_error(meta, error))?;
    client
        .flush(FLUSH_TIMEOUT)
        .await
        .map_err(|error| connect_error(meta, error))?;
    let denied = client.denied();
    let server_had = client
        .server_state_vector()
        .map(|sv| state_vector_map(&sv))
        .unwrap_or_default();
    client.disconnect().await;
    if let Some(reason) = denied.first() {
        return Err(CliError::Refused(reason.clone()));
    }

    let (after, deleted_after) = snapshot(&doc);
    let report = Report {
        arrived: Changes {
            added: added_since(&before, &after),
            deleted: deleted_after.saturating_sub(deleted_before),
        },
        sent: Changes {
            added: added_since(&server_had, &before),
            deleted: unsent_deletes,
        },
        sent_edits: meta.unsynced_edits,
    };
    home.save_document(&meta.id, &doc)?;
    mark_synced(meta, &doc, now());
    home.save_meta(meta)?;
    Ok(report)
}

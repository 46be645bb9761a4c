//! `workshop watch`: stay connected and redraw the figures whenever the document or the
//! presence of others changes, until Ctrl-C.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde_json::{json, Value};
use workshop_client::local::{Home, Meta};
use workshop_client::{ClientError, ConnectionState, SyncClient, DEFAULT_CONNECT_TIMEOUT};
use yrs::Doc;

use crate::error::CliError;
use crate::net::Net;
use crate::{figures, sync};

/// Changes arriving within this much of each other are drawn once.
const SETTLE: Duration = Duration::from_millis(50);

/// How long to wait before reconnecting after the connection was lost.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);

/// How the connection stands, for the status line.
fn status_line(client: &SyncClient, server: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let clock = format!(
        "{:02}:{:02}:{:02} UTC",
        now.hour(),
        now.minute(),
        now.second()
    );
    match client.state() {
        ConnectionState::Synced => format!("live from {server} · {clock} · Ctrl-C to stop"),
        ConnectionState::Connecting | ConnectionState::Syncing => {
            format!("connecting to {server}… · {clock}")
        }
        _ => format!("offline: reconnecting to {server} · {clock}"),
    }
}

/// "Name (organisation) · where" for each connected person, from their presence.
fn online(client: &SyncClient) -> Vec<String> {
    let mut people: Vec<String> = client
        .peers()
        .into_iter()
        .filter_map(|(_, state)| {
            let user = state.get("user")?;
            let name = user.get("name")?.as_str()?.to_owned();
            let mut line = name;
            if let Some(org) = user.get("organisation").and_then(Value::as_str) {
                if !org.is_empty() {
                    line.push_str(&format!(" ({org})"));
                }
            }
            if let Some(group) = user.get("group").and_then(Value::as_str) {
                if !group.is_empty() {
                    line.push_str(&format!(" · {group}"));
                }
            }
            if let Some(place) = state.get("where").and_then(where_text) {
                line.push_str(&format!(" · {place}"));
            }
            Some(line)
        })
        .collect();
    people.sort();
    people
}

fn where_text(place: &Value) -> Option<String> {
    let step = place.get("step")?.as_str()?;
    let aspect = place.get("aspect").and_then(Value::as_str);
    let factor = place.get("factor").and_then(Value::as_str);
    Some(match (aspect, factor) {
        (Some(aspect), Some(factor)) => format!("{aspect}/{factor}"),
        (Some(aspect), None) => aspect.to_owned(),
        _ => step.to_owned(),
    })
}

fn draw(client: &SyncClient, doc: &Doc, meta: &Meta, terminal: bool) {
    let results = figures::compute(doc, time::OffsetDateTime::now_utc().date());
    let people = online(client);
    let text = figures::render(
        doc,
        &results,
        &status_line(client, &meta.server),
        Some(&people),
    );
    let mut stdout = std::io::stdout().lock();
    if terminal {
        let _ = write!(stdout, "\x1b[2J\x1b[H");
    } else {
        let _ = writeln!(stdout, "----");
    }
    let _ = write!(stdout, "{text}");
    let _ = stdout.flush();
}

/// Watches workshop `meta.id` until Ctrl-C; then saves what arrived as the local copy.
pub async fn watch(home: &Home, net: &Net, meta: &mut Meta, doc: Doc) -> Result<(), CliError> {
    let url = sync::url(meta)?;
    let terminal = std::io::stdout().is_terminal();
    let mut client = net.sync_client(doc.clone(), DEFAULT_CONNECT_TIMEOUT);
    let name = meta.name.clone().unwrap_or_else(|| "Observer".into());
    client
        .set_awareness(&json!({
            "user": {"id": meta.participant_id, "name": name, "organisation": "", "group": ""},
            "where": {"step": "overview", "aspect": null, "factor": null},
        }))
        .map_err(|error| sync::connect_error(meta, error))?;
    client
        .connect(&url)
        .await
        .map_err(|error| sync::connect_error(meta, error))?;

    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    let mut seen = client.revision();
    loop {
        draw(&client, &doc, meta, terminal);
        tokio::select! {
            _ = &mut stop => break,
            changed = client.wait_changed(seen, Duration::from_secs(3600)) => match changed {
                Ok(revision) => seen = revision,
                Err(ClientError::Timeout { .. }) => {}
                Err(error) => return Err(sync::connect_error(meta, error)),
            },
        }
        if matches!(client.state(), ConnectionState::Ended(_)) {
            draw(&client, &doc, meta, terminal);
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(RECONNECT_AFTER) => {}
            }
            // A failed attempt is drawn as offline and tried again on the next round.
            let _ = client.connect(&url).await;
            seen = client.revision();
            continue;
        }
        tokio::time::sleep(SETTLE).await;
    }

    // Keep what arrived; if the server confirms it has everything, this was a sync too.
    let confirmed = client.flush(Duration::from_secs(5)).await.is_ok();
    let _ = client.clear_awareness();
    client.disconnect().await;
    home.save_document(&meta.id, &doc)?;
    if confirmed && client.denied().is_empty() {
        sync::mark_synced(meta, &doc, crate::commands::now());
        home.save_meta(meta)?;
    }
    eprintln!("workshop: stopped watching; the local copy is up to date");
    Ok(())
}

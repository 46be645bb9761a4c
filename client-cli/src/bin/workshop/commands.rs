//! What each subcommand does.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use workshop_client::edit::{self, Applied, Writer};
use workshop_client::local::{Changes, Home, Meta};
use yrs::{Doc, Transact};

use crate::args::{Cli, Command, Create, Export, Join, List};
use crate::error::CliError;
use crate::net::Net;
use crate::{api, edits, export, figures, sync, watch};

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// A spinner on stderr for work that may take more than a moment (hidden when stderr is not
/// a terminal).
fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let home = Home::locate(cli.home)?;
    if let Some((id, edit)) = edits::edit_of(&cli.command) {
        return apply_edit(&home, &id, &edit);
    }
    // Only the commands that reach a server read the certificates.
    let net = || Net::new(cli.ca_cert.as_deref());
    match cli.command {
        Command::Create(args) => create(&home, &net()?, args).await,
        Command::List(args) => list(&home, &net()?, args).await,
        Command::Join(args) => join(&home, &net()?, args).await,
        Command::Sync(args) => sync_workshop(&home, &net()?, &args.id).await,
        Command::Results(args) => results(&home, &args.id, args.json),
        Command::Watch(args) => {
            let mut meta = home.meta(&args.id)?;
            let doc = home.document(&args.id)?;
            watch::watch(&home, &net()?, &mut meta, doc).await
        }
        Command::Export(args) => export_workshop(&home, args),
        // Every editing command was handled above.
        _ => Ok(()),
    }
}

/// Validates and applies one edit to the local copy; the files change only if it succeeds.
fn apply_edit(home: &Home, id: &str, edit: &edit::Edit) -> Result<(), CliError> {
    let mut meta = home.meta(id)?;
    let doc = home.document(id)?;
    let writer = Writer {
        participant: meta.participant_id.as_deref(),
        facilitator: meta.access == "facilitator",
    };
    let applied = {
        let mut txn = doc.transact_mut();
        edit::apply(&mut txn, &writer, edit, &now())?
    };
    home.save_document(id, &doc)?;
    meta.unsynced_edits += 1;
    home.save_meta(&meta)?;
    match applied {
        Applied::Created { id: created } => {
            println!("{created}");
            eprintln!("workshop: saved on this device; `workshop sync {id}` shares it");
        }
        Applied::Done => println!("saved on this device; `workshop sync {id}` shares it"),
    }
    Ok(())
}

async fn create(home: &Home, net: &Net, args: Create) -> Result<(), CliError> {
    let server = api::base(&args.server)?;
    let created = api::create(
        net,
        &server,
        &args.title,
        &args.place,
        args.create_token.as_deref(),
    )
    .await?;
    let facilitator = created
        .tokens
        .get("facilitator")
        .cloned()
        .unwrap_or_default();
    let mut meta = Meta {
        id: created.id.clone(),
        server: server.clone(),
        token: facilitator,
        access: "facilitator".into(),
        invites: created.tokens.clone(),
        ..Meta::default()
    };
    let bar = spinner("downloading the new workshop");
    let outcome = sync::exchange(home, net, &mut meta, Doc::new(), now).await;
    bar.finish_and_clear();
    outcome?;
    println!("{}", created.id);
    println!("Created “{}” ({}). Invite links:", args.title, args.place);
    for (role, who) in [
        ("editor", "participants"),
        ("viewer", "observers"),
        ("facilitator", "facilitators"),
    ] {
        if let Some(token) = created.tokens.get(role) {
            println!("  {who:<13} {server}/w/{}?token={token}", created.id);
        }
    }
    println!(
        "Join it yourself with: workshop join --server {server} {} --name NAME --role facilitator --world WORLD",
        created.id
    );
    Ok(())
}

async fn list(home: &Home, net: &Net, args: List) -> Result<(), CliError> {
    let server = api::base(&args.server)?;
    let local = home.list()?;
    let mut tokens: Vec<String> = local
        .iter()
        .filter(|meta| meta.server == server)
        .flat_map(|meta| std::iter::once(meta.token.clone()).chain(meta.invites.values().cloned()))
        .collect();
    tokens.extend(args.token);
    tokens.sort();
    tokens.dedup();
    if tokens.is_empty() {
        return Err(CliError::NeedsToken(format!(
            "no workshop of {server} is on this device: pass --token (or WORKSHOP_TOKEN) to list with an invite"
        )));
    }
    let workshops = api::list(net, &server, &tokens).await?;
    if workshops.is_empty() {
        println!("no workshops on {server} open to this device's tokens");
    }
    for workshop in workshops {
        let here = if home.has(&workshop.id) {
            "  (on this device)"
        } else {
            ""
        };
        println!(
            "{}  {}  {}  updated {}{here}",
            workshop.id, workshop.title, workshop.place, workshop.updated_at
        );
    }
    Ok(())
}

async fn join(home: &Home, net: &Net, args: Join) -> Result<(), CliError> {
    let server = api::base(&args.server)?;
    let known = home.meta(&args.id).ok();
    if let Some(meta) = known.as_ref().filter(|meta| meta.participant_id.is_some()) {
        return Err(CliError::NeedsToken(format!(
            "this device has already joined workshop {} as {}",
            args.id,
            meta.name.clone().unwrap_or_default()
        )));
    }
    let token = args
        .token
        .clone()
        .or_else(|| {
            known.as_ref().and_then(|meta| {
                meta.invites
                    .get("facilitator")
                    .or_else(|| meta.invites.get("editor"))
                    .cloned()
            })
        })
        .ok_or_else(|| {
            CliError::NeedsToken(
                "joining needs the invite token from your invite link: pass --token or set WORKSHOP_TOKEN".into(),
            )
        })?;
    let registered = api::register(
        net,
        &server,
        &args.id,
        &token,
        &json!({
            "name": args.name,
            "organisation": args.org,
            "role": args.role.as_str(),
            "world": args.world.as_str(),
            "group": args.group,
        }),
    )
    .await?;
    let mut meta = known.unwrap_or_default();
    meta.id = args.id.clone();
    meta.server = server;
    meta.token = registered.token;
    meta.access = registered.role;
    meta.participant_id = Some(registered.participant_id.clone());
    meta.name = Some(args.name.clone());
    let doc = home.document(&args.id)?;
    let bar = spinner("downloading the workshop");
    let outcome = sync::exchange(home, net, &mut meta, doc, now).await;
    bar.finish_and_clear();
    outcome?;
    let doc = home.document(&args.id)?;
    println!(
        "Joined “{}” as {} (participant {}); it is on this device now.",
        figures::heading(&doc),
        args.name,
        registered.participant_id
    );
    Ok(())
}

/// `count` of `what`, with an `s` unless it is one.
fn counted(count: u64, what: &str) -> String {
    format!("{count} {what}{}", if count == 1 { "" } else { "s" })
}

/// What this device has that the server lacks, in edits (editing commands) when they were
/// counted, as a person counts their changes.
fn describe_local(changes: Changes, edits: u64) -> String {
    if changes.is_empty() {
        "nothing".into()
    } else if edits > 0 {
        counted(edits, "edit")
    } else {
        "local changes".into()
    }
}

/// Whether anything arrived from the server (others' edits, the server's figures).
fn describe_arrived(report: &sync::Report) -> String {
    if report.arrived.is_empty() {
        "nothing".into()
    } else {
        "new changes".into()
    }
}

async fn sync_workshop(home: &Home, net: &Net, id: &str) -> Result<(), CliError> {
    let mut meta = home.meta(id)?;
    let doc = home.document(id)?;
    let bar = spinner(&format!("syncing with {}", meta.server));
    let outcome = sync::exchange(home, net, &mut meta, doc, now).await;
    bar.finish_and_clear();
    let report = outcome?;
    println!(
        "synced with {}: received {}, sent {}",
        meta.server,
        describe_arrived(&report),
        describe_local(report.sent, report.sent_edits)
    );
    Ok(())
}

/// How stale the local copy is, in words.
fn staleness(meta: &Meta, doc: &Doc) -> String {
    let unsent = sync::unsent(meta, doc);
    let pending = if unsent.is_empty() {
        "no local changes waiting".to_owned()
    } else {
        format!(
            "{} waiting to be sent",
            describe_local(unsent, meta.unsynced_edits)
        )
    };
    match &meta.synced {
        Some(synced) => {
            let ago = OffsetDateTime::parse(&synced.at, &Rfc3339)
                .map(|at| OffsetDateTime::now_utc() - at)
                .map(|elapsed| {
                    let minutes = elapsed.whole_minutes();
                    if minutes < 1 {
                        "less than a minute ago".to_owned()
                    } else if minutes < 120 {
                        format!("{minutes} minutes ago")
                    } else {
                        format!("{} hours ago", elapsed.whole_hours())
                    }
                })
                .unwrap_or_else(|_| "at an unknown time".into());
            format!("local copy, last synced {ago} ({}); {pending}", synced.at)
        }
        None => format!("local copy, never synced; {pending}"),
    }
}

fn results(home: &Home, id: &str, as_json: bool) -> Result<(), CliError> {
    let meta = home.meta(id)?;
    let doc = home.document(id)?;
    let results = figures::compute(&doc, today());
    if as_json {
        let text = serde_json::to_string_pretty(&results)
            .map_err(|error| CliError::Export(error.to_string()))?;
        println!("{text}");
    } else {
        print!(
            "{}",
            figures::render(&doc, &results, &staleness(&meta, &doc), None)
        );
    }
    Ok(())
}

fn export_workshop(home: &Home, args: Export) -> Result<(), CliError> {
    home.meta(&args.id)?;
    let doc = home.document(&args.id)?;
    let bar = spinner(&format!("writing {}", args.out.display()));
    let outcome = export::render(&doc, args.format, today())
        .and_then(|bytes| export::write(&args.out, &bytes).map(|()| bytes.len()));
    bar.finish_and_clear();
    let size = outcome?;
    println!("wrote {} ({size} bytes)", args.out.display());
    Ok(())
}

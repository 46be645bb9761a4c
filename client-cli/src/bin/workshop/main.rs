//! `workshop`: take part in a strengths-based commissioning workshop from the command line.
//!
//! Every workshop created or joined is kept on this device ([`workshop_client::local`]), so
//! every editing command works offline and is stored locally first; `workshop sync` exchanges
//! changes with the server over y-sync; `results` computes the figures locally with the
//! shared engine; `watch` stays connected and redraws them; `export` writes the workbook.
//!
//! | file | what it holds |
//! |---|---|
//! | `args.rs` | the command line (clap) |
//! | `commands.rs` | what each subcommand does |
//! | `edits.rs` | editing subcommands as [`workshop_client::edit::Edit`]s |
//! | `api.rs` | the server's HTTP API |
//! | `sync.rs` | one exchange with the server, and what it moved |
//! | `figures.rs` | the figures as text |
//! | `watch.rs` | the live view |
//! | `export.rs` | the export formats |
//! | `error.rs` | [`error::CliError`], one sentence per failure |

mod api;
mod args;
mod commands;
mod edits;
mod error;
mod export;
mod figures;
mod net;
mod sync;
mod watch;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("workshop: {error}");
            ExitCode::FAILURE
        }
    }
}

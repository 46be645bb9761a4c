//! `workshop-stored`: what one workshop's document takes in a stopped server's data
//! directory, as JSON (the cold-load benchmark compares it with the encoded state).
//!
//! ```text
//! workshop-stored --data-dir DIR WORKSHOP_ID
//! ```

use std::path::PathBuf;

use clap::Parser;
use serde_json::json;
use uuid::Uuid;
use workshop_server::store::Store;

/// Prints the stored size of one workshop's document.
#[derive(Debug, Parser)]
struct Args {
    /// The server's data directory (the server must be stopped: sled locks it).
    #[arg(long)]
    data_dir: PathBuf,
    /// The workshop.
    workshop: Uuid,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let size = Store::open(&args.data_dir).and_then(|store| store.stored_size(args.workshop));
    match size {
        Ok(Some(size)) => {
            let report = json!({
                "snapshot_bytes": size.snapshot_bytes,
                "log_entries": size.log_entries,
                "log_bytes": size.log_bytes,
                "stored_bytes": size.snapshot_bytes + size.log_bytes,
            });
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!(
                "workshop-stored: no workshop {} in {}",
                args.workshop,
                args.data_dir.display()
            );
            std::process::ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("workshop-stored: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! The long crash run: hundreds of SIGKILLs of the real server while clients write.
//!
//! Runs [`workshop_tests::crash::run`] (see that module for what happens in each round and
//! what is checked) and prints its figures: kills, updates written, updates observed, updates
//! lost (must be 0), convergence checks, total time and restart-to-first-sync times.
//!
//! ```text
//! cargo run --release -p workshop-tests --example crash_soak -- [--kills N] [--writers W]
//!     [--min-run-ms A] [--max-run-ms B] [--check-every C] [--seed S] [--redis-servers R]
//! ```
//!
//! The server binary is `WORKSHOP_SERVER_BIN` if set, else built with
//! `cargo build --release -p workshop-server` into this example's target directory. Every wait
//! is bounded, so the run ends by itself; it exits 1 if anything observed was lost or the
//! clients did not converge.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use workshop_tests::crash::{self, CrashConfig};

const USAGE: &str = "usage: crash_soak [--kills N] [--writers W] [--min-run-ms A] [--max-run-ms B]
                  [--check-every C] [--seed S] [--redis-servers R]
  --kills N        times the server is killed with SIGKILL and restarted (default 300)
  --writers W      clients writing at once (default 4)
  --min-run-ms A   shortest time of writing between two kills (default 50)
  --max-run-ms B   longest time of writing between two kills (default 500)
  --check-every C  also check convergence after every C kills (default 25; 0: only at the end)
  --seed S         seed of the run's random choices (default: from the clock, printed)
  --redis-servers R  run R servers sharing one Redis (Debian's redis-server), killed in turn,
                   instead of one server on sled (default 0: one server on sled)";

fn parse_args(args: &[String]) -> Result<Option<CrashConfig>, String> {
    let mut config = CrashConfig {
        kills: 300,
        writers: 4,
        min_run: Duration::from_millis(50),
        max_run: Duration::from_millis(500),
        check_every: 25,
        seed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64),
        ..CrashConfig::default()
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let value = match inline.or_else(|| rest.next().cloned()) {
            Some(value) => value,
            None => return Err(format!("`{flag}` needs a value\n{USAGE}")),
        };
        let number: u64 = value
            .parse()
            .map_err(|_| format!("`{flag}` needs a whole number, got `{value}`\n{USAGE}"))?;
        let count = usize::try_from(number).map_err(|_| format!("`{flag}` is too large"))?;
        match flag {
            "--kills" => config.kills = count,
            "--writers" if number >= 1 => config.writers = count,
            "--writers" => return Err("`--writers` must be at least 1".into()),
            "--min-run-ms" => config.min_run = Duration::from_millis(number),
            "--max-run-ms" => config.max_run = Duration::from_millis(number),
            "--check-every" => config.check_every = count,
            "--seed" => config.seed = number,
            "--redis-servers" => config.redis_servers = count,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if config.max_run < config.min_run {
        return Err("`--max-run-ms` must not be below `--min-run-ms`".into());
    }
    Ok(Some(config))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "crash soak: {} kills, {} writers, {}-{} ms of writing between kills, \
         convergence check every {} kills, seed {}",
        config.kills,
        config.writers,
        config.min_run.as_millis(),
        config.max_run.as_millis(),
        config.check_every,
        config.seed
    );
    let every = (config.kills / 20).max(1);
    let result = runtime.block_on(crash::run(&config, |report| {
        if report.kills % every == 0 {
            println!(
                "  {:>4} kills, {:>7} written, {:>7} observed, {} lost, {:.0} s",
                report.kills,
                report.updates_written,
                report.updates_observed,
                report.updates_lost,
                report.total.as_secs_f64()
            );
        }
    }));
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("crash run failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{report}");
    if report.updates_lost > 0 || report.content_lost > 0 {
        eprintln!("LOST:\n{}", report.lost.join("\n"));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

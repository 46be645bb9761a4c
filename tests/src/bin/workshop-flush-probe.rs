//! `workshop-flush-probe`: what one flush to disk costs on this machine, for the benchmarks:
//! appends a small record to a file in `--dir` and waits for `fdatasync`, `--count` times,
//! pausing `--pause-ms` between, and prints the latency percentiles as one JSON object. The
//! durable scenarios cannot relay faster than this; `tests/bench/run.sh` runs it beside them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::json;

/// Times small appends made durable with fdatasync.
#[derive(Debug, Parser)]
#[command(name = "workshop-flush-probe")]
struct Args {
    /// Directory to write in (on the disk the servers' data is on); the file is removed after.
    #[arg(long)]
    dir: PathBuf,
    /// Flushes to time.
    #[arg(long, default_value_t = 2000)]
    count: u32,
    /// Milliseconds between flushes.
    #[arg(long, default_value_t = 5)]
    pause_ms: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let path = args.dir.join(format!("flush-probe-{}", std::process::id()));
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let record = [7u8; 256];
    for _ in 0..args.count {
        let started = Instant::now();
        file.write_all(&record)?;
        file.sync_data()?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        histogram.saturating_record(micros.max(1));
        std::thread::sleep(Duration::from_millis(args.pause_ms));
    }
    drop(file);
    std::fs::remove_file(&path)?;
    let ms = |micros: u64| micros as f64 / 1000.0;
    let report = json!({
        "flushes": args.count,
        "p50_ms": ms(histogram.value_at_quantile(0.5)),
        "p99_ms": ms(histogram.value_at_quantile(0.99)),
        "max_ms": ms(histogram.max()),
    });
    println!("{report}");
    Ok(())
}

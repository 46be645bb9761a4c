//! The server's resident memory and CPU time, read from `/proc/<pid>` (Linux).

use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of a process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When it was taken.
    pub at: Instant,
    /// Resident set size in bytes.
    pub rss: u64,
    /// User plus system CPU time in seconds.
    pub cpu: f64,
}

/// Reads process `pid`, or `None` if it is gone or unreadable.
pub fn sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(Sample {
        at: Instant::now(),
        rss: rss_kib * 1024,
        cpu: (utime + stime) / TICKS_PER_SECOND,
    })
}

/// Reads every process of `pids` and adds them up (several servers, and the store they
/// share); `None` if there are none or one is gone.
pub fn sample_all(pids: &[u32]) -> Option<Sample> {
    let mut samples = pids.iter().map(|pid| sample(*pid));
    let mut total = samples.next()??;
    for sample in samples {
        let sample = sample?;
        total.rss += sample.rss;
        total.cpu += sample.cpu;
    }
    Some(total)
}

/// What a series of samples says: peak memory and mean CPU use between the first and last.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Usage {
    /// Highest resident set size seen, bytes.
    pub peak_rss_bytes: u64,
    /// Mean CPU use, percent of one core.
    pub cpu_percent: f64,
}

/// Summarises `samples` (in time order).
pub fn usage(samples: &[Sample]) -> Usage {
    let peak_rss_bytes = samples.iter().map(|s| s.rss).max().unwrap_or(0);
    let cpu_percent = match (samples.first(), samples.last()) {
        (Some(first), Some(last)) if last.at > first.at => {
            100.0 * (last.cpu - first.cpu) / (last.at - first.at).as_secs_f64()
        }
        _ => 0.0,
    };
    Usage {
        peak_rss_bytes,
        cpu_percent,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn this_process_can_be_read() {
        let me = sample(std::process::id()).unwrap();
        assert!(me.rss > 0);
        assert!(me.cpu >= 0.0);
        let later = Sample {
            at: me.at + std::time::Duration::from_secs(2),
            rss: me.rss * 2,
            cpu: me.cpu + 1.0,
        };
        let usage = usage(&[me, later]);
        assert_eq!(usage.peak_rss_bytes, me.rss * 2);
        assert!((usage.cpu_percent - 50.0).abs() < 1e-9);
    }
}

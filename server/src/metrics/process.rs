//! The process's own figures, in the names Prometheus's client libraries use for them
//! (`process_*`), and the build's: read on each scrape of `GET /metrics`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `process_cpu_seconds_total` | counter | user and system CPU time spent |
//! | `process_resident_memory_bytes` | gauge | resident set size |
//! | `process_virtual_memory_bytes` | gauge | virtual memory size |
//! | `process_open_fds` | gauge | open file descriptors (sockets included) |
//! | `process_max_fds` | gauge | the soft limit on them |
//! | `process_start_time_seconds` | gauge | start time, in seconds since the Unix epoch |
//! | `workshop_build_info{version, profile}` | gauge | always 1; the labels name the build |
//!
//! The process figures come from `/proc` (Linux); elsewhere, or if `/proc` cannot be read,
//! they are left out rather than reported as zero.

use std::fmt::Write as _;

/// Appends the process's and the build's figures to `out`.
pub fn render(out: &mut String) {
    #[cfg(target_os = "linux")]
    if let Err(error) = linux::render(out) {
        tracing::debug!(%error, "cannot read the process's figures from /proc");
    }
    super::header(
        out,
        "workshop_build_info",
        "The build of this server: its version and profile. Always 1.",
        "gauge",
    );
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let _ = writeln!(
        out,
        "workshop_build_info{{version=\"{}\",profile=\"{profile}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fmt::Write as _;

    use procfs::process::{LimitValue, Process};
    use procfs::ProcResult;

    use super::super::{gauge, header};

    pub(super) fn render(out: &mut String) -> ProcResult<()> {
        let me = Process::myself()?;
        let stat = me.stat()?;
        let ticks = procfs::ticks_per_second() as f64;
        // Read everything first, so that a failure leaves out all of it, not half.
        let cpu_seconds = (stat.utime + stat.stime) as f64 / ticks;
        let resident = stat.rss * procfs::page_size();
        let open_fds = me.fd_count()? as u64;
        let max_fds = match me.limits()?.max_open_files.soft_limit {
            LimitValue::Value(limit) => Some(limit),
            LimitValue::Unlimited => None,
        };
        let started = procfs::boot_time_secs()? as f64 + stat.starttime as f64 / ticks;

        header(
            out,
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            "counter",
        );
        let _ = writeln!(out, "process_cpu_seconds_total {cpu_seconds}");
        gauge(
            out,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            resident,
        );
        gauge(
            out,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            stat.vsize,
        );
        gauge(
            out,
            "process_open_fds",
            "Number of open file descriptors.",
            open_fds,
        );
        if let Some(limit) = max_fds {
            gauge(
                out,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                limit,
            );
        }
        header(
            out,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            "gauge",
        );
        let _ = writeln!(out, "process_start_time_seconds {started}");
        Ok(())
    }
}

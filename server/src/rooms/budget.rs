//! How often a room may run the engine after changes: a budget of a few runs that refills
//! at one run per `--recompute-interval-ms` (the generic cell rate algorithm, a token bucket
//! kept as one instant).
//!
//! A change is recomputed at once, with its figures in the same frame, while the room has
//! budget; a room that keeps changing faster than one run per interval spends it, and its
//! changes then wait for the next run the budget allows, which gathers all of them. So ten
//! votes a second spread over a room of ten each go out with their figures, while a room of
//! two hundred people editing at once is held to one run per interval.
//!
//! A fixed gap would serve the hot room as well but not the common one: votes that come
//! about one interval apart would nearly all fall short of the gap, and each go out alone,
//! its figures in a frame of their own one interval later (96% of the runs in docs/performance.md's
//! 100 × 10 case).

use std::time::Duration;

use tokio::time::Instant;

/// Runs a room may make back to back after a quiet spell before it has to wait.
pub(crate) const RECOMPUTE_BURST: u32 = 4;

/// One room's budget of engine runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Budget {
    /// When the budget will be whole again if nothing more runs (the theoretical arrival
    /// time of the algorithm); `None` before the first run.
    full_at: Option<Instant>,
}

impl Budget {
    /// The earliest instant at which a run fits the budget: `now` or earlier if one fits now.
    pub(crate) fn ready_at(&self, interval: Duration, now: Instant) -> Instant {
        let allowance = interval * (RECOMPUTE_BURST - 1);
        match self.full_at {
            Some(full_at) => full_at.checked_sub(allowance).unwrap_or(now),
            None => now,
        }
    }

    /// Whether a run fits the budget at `now`.
    pub(crate) fn allows(&self, interval: Duration, now: Instant) -> bool {
        self.ready_at(interval, now) <= now
    }

    /// Spends one run at `now`.
    pub(crate) fn spend(&mut self, interval: Duration, now: Instant) {
        let from = self.full_at.map_or(now, |full_at| full_at.max(now));
        self.full_at = Some(from + interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(100);

    #[test]
    fn a_quiet_room_may_run_a_burst_at_once_and_then_one_run_per_interval() {
        let start = Instant::now();
        let mut budget = Budget::default();
        for _ in 0..RECOMPUTE_BURST {
            assert!(budget.allows(INTERVAL, start));
            budget.spend(INTERVAL, start);
        }
        assert!(!budget.allows(INTERVAL, start), "the burst is spent");
        assert_eq!(budget.ready_at(INTERVAL, start), start + INTERVAL);
        assert!(!budget.allows(INTERVAL, start + INTERVAL / 2));
        assert!(budget.allows(INTERVAL, start + INTERVAL));
        budget.spend(INTERVAL, start + INTERVAL);
        assert!(!budget.allows(INTERVAL, start + INTERVAL));
    }

    #[test]
    fn runs_one_interval_apart_never_wait() {
        let start = Instant::now();
        let mut budget = Budget::default();
        for step in 0..100 {
            let now = start + INTERVAL * step;
            assert!(budget.allows(INTERVAL, now), "run {step}");
            budget.spend(INTERVAL, now);
        }
    }

    #[test]
    fn runs_faster_than_the_interval_are_held_to_it_once_the_burst_is_spent() {
        let start = Instant::now();
        let mut budget = Budget::default();
        let mut runs = 0;
        // Asked every 10 ms for 10 intervals.
        for step in 0..100 {
            let now = start + INTERVAL / 10 * step;
            if budget.allows(INTERVAL, now) {
                budget.spend(INTERVAL, now);
                runs += 1;
            }
        }
        assert_eq!(runs, RECOMPUTE_BURST + 9);
    }

    #[test]
    fn a_zero_interval_never_waits() {
        let now = Instant::now();
        let mut budget = Budget::default();
        for _ in 0..10 {
            assert!(budget.allows(Duration::ZERO, now));
            budget.spend(Duration::ZERO, now);
        }
    }
}

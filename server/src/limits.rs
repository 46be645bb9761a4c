//! What one client may cost the server: the limits, the per-connection update rate (a token
//! bucket) and the count of open connections, per workshop and in total.
//!
//! Everything here is synchronous and takes the time as a parameter, so the rules are tested
//! without sleeping. [`crate::ws`] applies them and closes the offending connection with the
//! code documented there; the other connections never notice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::per_address::AddressLimits;

/// Close code for a connection that sent updates faster than its rate limit.
pub const CLOSE_RATE_LIMITED: u16 = 4429;
/// Close code for a join refused because the workshop has its maximum of connections.
pub const CLOSE_WORKSHOP_FULL: u16 = 4409;
/// Close code for a join refused because the server has its maximum of connections.
pub const CLOSE_SERVER_FULL: u16 = 4503;

/// Presence (awareness) states one connection may speak for at once. A page has one; a client
/// that reconnects keeps its id, and a few more leave room for clients that keep several
/// documents' presence over one socket. Without a cap, one connection could fill every
/// peer's awareness with made-up participants.
pub const MAX_PRESENCES_PER_CONNECTION: usize = 8;

/// The limits on what clients may send and hold open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many y-sync document messages one connection may send.
    pub updates: RateLimit,
    /// Open WebSocket connections on one workshop.
    pub max_connections_per_workshop: usize,
    /// Open WebSocket connections on the whole server.
    pub max_connections: usize,
    /// Bytes queued for one connection before it is cut from the live relay and resynced
    /// once it has caught up.
    pub max_pending_bytes: usize,
    /// How long a connection may stay cut from the relay (or take to write one frame)
    /// before it is closed as too far behind.
    pub slow_client_timeout: Duration,
    /// Participants one workshop may have (entries of its `participants` map); registering
    /// one more is refused.
    pub max_participants_per_workshop: usize,
    /// What one client address may hold and do ([`crate::per_address`]).
    pub per_address: AddressLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            updates: RateLimit {
                per_sec: 50,
                burst: 200,
            },
            max_connections_per_workshop: 200,
            max_connections: 2000,
            max_pending_bytes: 8 * 1024 * 1024,
            slow_client_timeout: Duration::from_secs(30),
            max_participants_per_workshop: 500,
            per_address: AddressLimits::default(),
        }
    }
}

/// A sustained rate with room for bursts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages per second on average.
    pub per_sec: u32,
    /// Messages that may arrive at once after a quiet spell.
    pub burst: u32,
}

/// A token bucket: starts full with `burst` tokens and refills at `per_sec`. Each message
/// takes a token; a message that finds the bucket empty is over the limit.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit, now: Instant) -> TokenBucket {
        TokenBucket {
            limit,
            tokens: f64::from(limit.burst),
            refilled_at: now,
        }
    }

    /// Takes `count` tokens if the bucket holds them. Returns false, taking nothing, if not.
    pub fn take(&mut self, count: usize, now: Instant) -> bool {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.refilled_at = self.refilled_at.max(now);
        self.tokens = (self.tokens + elapsed * f64::from(self.limit.per_sec))
            .min(f64::from(self.limit.burst));
        // Counts are small (frames in one read batch), so the conversion is exact.
        let wanted = count as f64;
        if wanted > self.tokens {
            return false;
        }
        self.tokens -= wanted;
        true
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The server holds its maximum of connections.
    #[error("the server has too many connections; try again later")]
    ServerFull,
    /// The workshop holds its maximum of connections.
    #[error("the workshop has too many connections; try again later")]
    WorkshopFull,
}

impl Refused {
    /// The WebSocket close code that reports this refusal.
    pub fn close_code(self) -> u16 {
        match self {
            Refused::ServerFull => CLOSE_SERVER_FULL,
            Refused::WorkshopFull => CLOSE_WORKSHOP_FULL,
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_workshop: HashMap<Uuid, usize>,
}

/// The open WebSocket connections, counted so the limits can refuse new ones; cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Connections {
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_workshop: usize,
}

impl Connections {
    /// No connections yet, with these maxima.
    pub fn new(limits: &Limits) -> Connections {
        Connections {
            counts: Arc::default(),
            max_total: limits.max_connections,
            max_per_workshop: limits.max_connections_per_workshop,
        }
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // Every update leaves the counts consistent, so a panic elsewhere cannot corrupt them.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection on `workshop` if both limits allow it. The connection is
    /// counted until the returned [`Admission`] is dropped.
    pub fn admit(&self, workshop: Uuid) -> Result<Admission, Refused> {
        let mut counts = self.counts();
        if counts.total >= self.max_total {
            return Err(Refused::ServerFull);
        }
        let in_workshop = counts.per_workshop.entry(workshop).or_default();
        if *in_workshop >= self.max_per_workshop {
            return Err(Refused::WorkshopFull);
        }
        *in_workshop += 1;
        counts.total += 1;
        Ok(Admission {
            connections: self.clone(),
            workshop,
        })
    }

    /// Open connections on the whole server.
    pub fn total(&self) -> usize {
        self.counts().total
    }

    /// Open connections on one workshop.
    pub fn in_workshop(&self, workshop: Uuid) -> usize {
        self.counts()
            .per_workshop
            .get(&workshop)
            .copied()
            .unwrap_or(0)
    }
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Admission {
    connections: Connections,
    workshop: Uuid,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut counts = self.connections.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(count) = counts.per_workshop.get_mut(&self.workshop) {
            *count = count.saturating_sub(1);
            // Workshops come and go; the map holds only those with someone connected.
            if *count == 0 {
                counts.per_workshop.remove(&self.workshop);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const LIMIT: RateLimit = RateLimit {
        per_sec: 10,
        burst: 20,
    };

    #[test]
    fn a_bucket_allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(LIMIT, start);
        assert!(bucket.take(20, start));
        assert!(!bucket.take(1, start));
        // A tenth of a second refills one token at 10 per second.
        let later = start + Duration::from_millis(100);
        assert!(bucket.take(1, later));
        assert!(!bucket.take(1, later));
        // A long pause refills only up to the burst.
        let much_later = later + Duration::from_secs(3600);
        assert!(!bucket.take(21, much_later));
        assert!(bucket.take(20, much_later));
    }

    #[test]
    fn a_refused_take_takes_nothing() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(LIMIT, start);
        assert!(!bucket.take(21, start));
        assert!(bucket.take(20, start));
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let start = Instant::now() + Duration::from_secs(10);
        let mut bucket = TokenBucket::new(LIMIT, start);
        assert!(bucket.take(20, start));
        assert!(!bucket.take(1, start - Duration::from_secs(5)));
        assert!(!bucket.take(1, start));
    }

    #[test]
    fn sustained_sending_at_the_rate_is_never_refused() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(LIMIT, start);
        for tick in 1..=1000 {
            assert!(bucket.take(1, start + Duration::from_millis(100 * tick)));
        }
    }

    fn connections(total: usize, per_workshop: usize) -> Connections {
        Connections::new(&Limits {
            max_connections: total,
            max_connections_per_workshop: per_workshop,
            ..Limits::default()
        })
    }

    #[test]
    fn a_full_workshop_refuses_but_others_still_admit() {
        let connections = connections(10, 2);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let first = connections.admit(a).unwrap();
        let _second = connections.admit(a).unwrap();
        assert_eq!(connections.admit(a).unwrap_err(), Refused::WorkshopFull);
        let _other = connections.admit(b).unwrap();
        assert_eq!(connections.in_workshop(a), 2);
        assert_eq!(connections.total(), 3);
        drop(first);
        assert_eq!(connections.in_workshop(a), 1);
        let _again = connections.admit(a).unwrap();
    }

    #[test]
    fn a_full_server_refuses_every_workshop() {
        let connections = connections(2, 10);
        let held: Vec<Admission> = (0..2)
            .map(|_| connections.admit(Uuid::new_v4()).unwrap())
            .collect();
        assert_eq!(
            connections.admit(Uuid::new_v4()).unwrap_err(),
            Refused::ServerFull
        );
        drop(held);
        assert_eq!(connections.total(), 0);
        assert!(connections.counts().per_workshop.is_empty());
        connections.admit(Uuid::new_v4()).unwrap();
    }
}

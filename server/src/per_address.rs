//! What one client address may hold and do: open WebSocket connections, and workshop
//! creations per minute.
//!
//! The server-wide limits of [`crate::limits`] keep the server standing, but one outsider
//! could still take all of it: hold every connection the server allows (so every other
//! workshop's joins are refused) or create workshops without end. These limits are per
//! client address ([`crate::forwarded`] says which address a request comes from). An IPv6
//! client is counted by its /64 prefix, since one host commonly holds a whole /64.
//!
//! Loopback is limited like any other address unless `--exempt-loopback` says otherwise (for
//! benchmarks and load tests run on the server's own machine).
//!
//! Everything here is synchronous and takes the time as a parameter, so the rules are tested
//! without sleeping. Every map holds only addresses that hold something: an address leaves
//! the connection counts when its last connection closes, and the creation log once its
//! creations are older than the window.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Close code for a join refused because its address holds its maximum of connections.
pub const CLOSE_ADDRESS_FULL: u16 = 4430;

/// The window workshop creations are counted over.
pub const CREATION_WINDOW: Duration = Duration::from_secs(60);

/// The limits per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressLimits {
    /// Open WebSocket connections one address may hold.
    pub max_connections: usize,
    /// Workshops one address may create in any [`CREATION_WINDOW`].
    pub max_creations_per_minute: usize,
    /// Whether loopback addresses are exempt from both.
    pub exempt_loopback: bool,
}

impl Default for AddressLimits {
    fn default() -> Self {
        AddressLimits {
            // A council office behind one NAT: a few dozen people, some with several tabs.
            max_connections: 100,
            max_creations_per_minute: 10,
            exempt_loopback: false,
        }
    }
}

impl AddressLimits {
    /// The key `address` is counted under, or `None` if it is exempt.
    pub fn key(&self, address: IpAddr) -> Option<IpAddr> {
        let address = address.to_canonical();
        if self.exempt_loopback && address.is_loopback() {
            return None;
        }
        Some(match address {
            IpAddr::V4(_) => address,
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        })
    }
}

/// A join refused because its address holds its maximum of connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this address has too many connections open; close some and try again")]
pub struct AddressFull;

impl AddressFull {
    /// The WebSocket close code that reports this refusal.
    pub fn close_code(self) -> u16 {
        CLOSE_ADDRESS_FULL
    }
}

/// The open WebSocket connections per address; cheap to clone.
#[derive(Debug, Clone)]
pub struct AddressConnections {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    limits: AddressLimits,
}

impl AddressConnections {
    /// No connections yet, under these limits.
    pub fn new(limits: AddressLimits) -> AddressConnections {
        AddressConnections {
            counts: Arc::default(),
            limits,
        }
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Every update leaves the map consistent, so a panic elsewhere cannot corrupt it.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection from `address` if its limit allows it. It is counted until
    /// the returned [`AddressAdmission`] is dropped.
    pub fn admit(&self, address: IpAddr) -> Result<AddressAdmission, AddressFull> {
        let Some(key) = self.limits.key(address) else {
            return Ok(AddressAdmission {
                connections: self.clone(),
                key: None,
            });
        };
        let mut counts = self.counts();
        let open = counts.entry(key).or_default();
        if *open >= self.limits.max_connections {
            if *open == 0 {
                counts.remove(&key);
            }
            return Err(AddressFull);
        }
        *open += 1;
        Ok(AddressAdmission {
            connections: self.clone(),
            key: Some(key),
        })
    }

    /// Open connections counted for `address` (0 if it is exempt).
    pub fn open_from(&self, address: IpAddr) -> usize {
        self.limits
            .key(address)
            .and_then(|key| self.counts().get(&key).copied())
            .unwrap_or(0)
    }

    /// How many addresses hold a connection.
    pub fn addresses(&self) -> usize {
        self.counts().len()
    }
}

/// One connection counted against its address; dropping it frees its place.
#[derive(Debug)]
pub struct AddressAdmission {
    connections: AddressConnections,
    key: Option<IpAddr>,
}

impl Drop for AddressAdmission {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut counts = self.connections.counts();
        if let Some(open) = counts.get_mut(&key) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&key);
            }
        }
    }
}

/// A creation refused because its address created its maximum in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many workshops created from this address; retry after {retry_after:?}")]
pub struct TooManyCreations {
    /// When the oldest creation in the window leaves it.
    pub retry_after: Duration,
}

impl TooManyCreations {
    /// [`Self::retry_after`] in whole seconds, rounded up, at least 1 (for `Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let rounded = if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs
        };
        rounded.max(1)
    }
}

/// The times of each address's creations within the last [`CREATION_WINDOW`] (a sliding
/// window: at most `max` creations in any minute).
#[derive(Debug)]
pub struct CreationLog {
    limits: AddressLimits,
    by_address: HashMap<IpAddr, VecDeque<Instant>>,
    /// When addresses whose creations all left the window were last dropped.
    swept_at: Option<Instant>,
}

impl CreationLog {
    /// An empty log under these limits.
    pub fn new(limits: AddressLimits) -> CreationLog {
        CreationLog {
            limits,
            by_address: HashMap::new(),
            swept_at: None,
        }
    }

    /// Records a creation by `address` at `now` if the address has created fewer than its
    /// maximum in the window before it; otherwise records nothing and says when to retry.
    pub fn record(&mut self, address: IpAddr, now: Instant) -> Result<(), TooManyCreations> {
        self.sweep(now);
        let Some(key) = self.limits.key(address) else {
            return Ok(());
        };
        let max = self.limits.max_creations_per_minute;
        let times = self.by_address.entry(key).or_default();
        while times
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= CREATION_WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= max {
            let retry_after = match times.front() {
                Some(&oldest) => (oldest + CREATION_WINDOW).saturating_duration_since(now),
                None => CREATION_WINDOW,
            };
            if times.is_empty() {
                self.by_address.remove(&key);
            }
            return Err(TooManyCreations { retry_after });
        }
        times.push_back(now);
        Ok(())
    }

    /// At most once per window, drops the addresses whose last creation left the window, so
    /// the log holds only the addresses of the last two windows.
    fn sweep(&mut self, now: Instant) {
        if self
            .swept_at
            .is_some_and(|at| now.saturating_duration_since(at) < CREATION_WINDOW)
        {
            return;
        }
        self.swept_at = Some(now);
        self.by_address.retain(|_, times| {
            times
                .back()
                .is_some_and(|&last| now.saturating_duration_since(last) < CREATION_WINDOW)
        });
    }

    /// How many addresses the log holds.
    pub fn addresses(&self) -> usize {
        self.by_address.len()
    }
}

/// The creation log shared by every request; cheap to clone.
#[derive(Debug, Clone)]
pub struct Creations {
    log: Arc<Mutex<CreationLog>>,
}

impl Creations {
    /// An empty log under these limits.
    pub fn new(limits: AddressLimits) -> Creations {
        Creations {
            log: Arc::new(Mutex::new(CreationLog::new(limits))),
        }
    }

    /// [`CreationLog::record`] on the shared log.
    pub fn record(&self, address: IpAddr, now: Instant) -> Result<(), TooManyCreations> {
        // Every update leaves the log consistent, so a panic elsewhere cannot corrupt it.
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(address, now)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::Ipv4Addr;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn limits(max_connections: usize, max_creations: usize) -> AddressLimits {
        AddressLimits {
            max_connections,
            max_creations_per_minute: max_creations,
            exempt_loopback: false,
        }
    }

    #[test]
    fn an_address_at_its_maximum_is_refused_while_others_are_admitted() {
        let connections = AddressConnections::new(limits(2, 1));
        let (mallory, alice) = (ip("203.0.113.7"), ip("198.51.100.9"));
        let first = connections.admit(mallory).unwrap();
        let _second = connections.admit(mallory).unwrap();
        assert_eq!(connections.admit(mallory).unwrap_err(), AddressFull);
        assert_eq!(AddressFull.close_code(), CLOSE_ADDRESS_FULL);
        let _alice = connections.admit(alice).unwrap();
        assert_eq!(connections.open_from(mallory), 2);
        drop(first);
        assert_eq!(connections.open_from(mallory), 1);
        connections.admit(mallory).unwrap();
    }

    #[test]
    fn an_address_leaves_the_counts_with_its_last_connection() {
        let connections = AddressConnections::new(limits(3, 1));
        let held: Vec<AddressAdmission> = (1..=3u8)
            .flat_map(|host| {
                let address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, host));
                [
                    connections.admit(address).unwrap(),
                    connections.admit(address).unwrap(),
                ]
            })
            .collect();
        assert_eq!(connections.addresses(), 3);
        drop(held);
        assert_eq!(connections.addresses(), 0);
        // A refusal leaves nothing behind either.
        let none = AddressConnections::new(limits(0, 1));
        assert!(none.admit(ip("192.0.2.1")).is_err());
        assert_eq!(none.addresses(), 0);
    }

    #[test]
    fn loopback_is_limited_unless_exempt() {
        let limited = AddressConnections::new(limits(1, 1));
        let _one = limited.admit(ip("127.0.0.1")).unwrap();
        assert!(limited.admit(ip("127.0.0.1")).is_err());
        assert!(limited.admit(ip("::ffff:127.0.0.1")).is_err(), "mapped");

        let exempt = AddressConnections::new(AddressLimits {
            exempt_loopback: true,
            ..limits(1, 1)
        });
        let held: Vec<AddressAdmission> = ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"]
            .iter()
            .cycle()
            .take(20)
            .map(|address| exempt.admit(ip(address)).unwrap())
            .collect();
        assert_eq!(exempt.addresses(), 0);
        drop(held);
        // Only loopback is exempt.
        let _one = exempt.admit(ip("192.0.2.1")).unwrap();
        assert!(exempt.admit(ip("192.0.2.1")).is_err());
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64_prefix() {
        let connections = AddressConnections::new(limits(2, 1));
        let _a = connections.admit(ip("2001:db8:1:2::1")).unwrap();
        let _b = connections.admit(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(connections.admit(ip("2001:db8:1:2::3")).is_err());
        let _other = connections.admit(ip("2001:db8:1:3::1")).unwrap();
        assert_eq!(connections.addresses(), 2);
    }

    #[test]
    fn creations_are_counted_over_a_sliding_minute() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let mut log = CreationLog::new(limits(1, 3));
        let (mallory, alice) = (ip("203.0.113.7"), ip("198.51.100.9"));
        log.record(mallory, at(0)).unwrap();
        log.record(mallory, at(10)).unwrap();
        log.record(mallory, at(20)).unwrap();
        let refused = log.record(mallory, at(30)).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(30));
        assert_eq!(refused.retry_after_secs(), 30);
        // A refusal is not recorded: the first creation still leaves the window at 60.
        assert!(log.record(mallory, at(59)).is_err());
        // Another address is not affected.
        log.record(alice, at(30)).unwrap();
        // Once the first creation is a minute old, one more may be made.
        log.record(mallory, at(60)).unwrap();
        assert_eq!(
            log.record(mallory, at(61)).unwrap_err().retry_after,
            Duration::from_secs(9)
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_at_least_one() {
        let wait = |millis| TooManyCreations {
            retry_after: Duration::from_millis(millis),
        };
        assert_eq!(wait(1500).retry_after_secs(), 2);
        assert_eq!(wait(2000).retry_after_secs(), 2);
        assert_eq!(wait(0).retry_after_secs(), 1);
    }

    #[test]
    fn addresses_whose_creations_left_the_window_are_dropped() {
        let start = Instant::now();
        let mut log = CreationLog::new(limits(1, 2));
        for host in 1..=100u8 {
            let address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, host));
            log.record(address, start).unwrap();
        }
        assert_eq!(log.addresses(), 100);
        let later = start + CREATION_WINDOW;
        log.record(ip("198.51.100.9"), later).unwrap();
        assert_eq!(log.addresses(), 1);
        // An address refused with nothing in the window is not kept either.
        let mut none = CreationLog::new(limits(1, 0));
        assert!(none.record(ip("192.0.2.1"), start).is_err());
        assert_eq!(none.addresses(), 0);
    }

    #[test]
    fn exempt_loopback_creates_without_limit() {
        let start = Instant::now();
        let mut log = CreationLog::new(AddressLimits {
            exempt_loopback: true,
            ..limits(1, 1)
        });
        for _ in 0..50 {
            log.record(ip("127.0.0.1"), start).unwrap();
        }
        assert_eq!(log.addresses(), 0);
        log.record(ip("192.0.2.1"), start).unwrap();
        assert!(log.record(ip("192.0.2.1"), start).is_err());
    }
}

//! The relay between servers: one thread per server that reads the logs of its loaded
//! workshops from Redis (`XREAD BLOCK`, from the last entry each has taken in) and hands each
//! room what the other servers appended, and that holds or seeks each workshop's results lease.
//!
//! Reading the stream rather than a pub/sub channel means a server that was busy or cut off
//! misses nothing: it reads on from where it was. Entries this server appended itself are
//! already in its rooms and are skipped. If a compaction trimmed entries before this server
//! read them (the first entry read is past the one expected), the room is told to load the
//! workshop afresh ([`Heard::Gap`]).
//!
//! The lease (`ws:{id}:lease`, a key holding the holder's name with an expiry) decides which
//! server recomputes a workshop's figures and compacts its log: a server takes it when nobody
//! holds it, renews it while it holds it, and lets it go when the workshop unloads. If the
//! holder dies, its lease expires after [`LEASE_TTL`] and another server takes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::{Script, Value};
use uuid::Uuid;

use super::keys::{self, WorkshopKeys};
use super::Connector;
use crate::store::storage::Heard;

/// How long a lease lasts unless renewed: how soon another server takes over from a dead one.
pub const LEASE_TTL: Duration = Duration::from_secs(3);
/// How often leases are renewed or sought.
const LEASE_EVERY: Duration = Duration::from_millis(500);
/// How long one read waits for new entries before the thread looks at its workshops again.
const BLOCK: Duration = Duration::from_millis(100);
/// Entries read per workshop in one go, at most.
const COUNT: usize = 512;

/// Takes the lease if nobody holds it, renews it if this server does.
/// KEYS: lease. ARGV: node, ttl in ms. Returns 1 if this server holds it now.
const LEASE: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
";

/// Lets the lease go if this server holds it. KEYS: lease. ARGV: node.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

struct Follow {
    keys: WorkshopKeys,
    /// The sequence of the next entry to take in.
    next: u64,
    sink: flume::Sender<Heard>,
    leads: bool,
}

/// The workshops this server follows.
#[derive(Default)]
pub struct Following {
    follows: Mutex<HashMap<Uuid, Follow>>,
}

impl Following {
    /// Starts following `id` from sequence `from`; what is heard arrives on the returned
    /// receiver until it is dropped.
    pub fn add(&self, id: Uuid, from: u64) -> flume::Receiver<Heard> {
        let (sink, heard) = flume::unbounded();
        let follow = Follow {
            keys: WorkshopKeys::of(id),
            next: from,
            sink,
            leads: false,
        };
        self.follows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, follow);
        heard
    }
}

impl Following {
    /// Hands `heard` to the room of workshop `id`, if this server has it loaded.
    pub fn deliver(&self, id: Uuid, heard: Heard) {
        if let Some(follow) = self
            .follows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            let _ = follow.sink.send(heard);
        }
    }
}

/// Starts the relay thread of server `node`. It stops once `following` has no other owner.
pub fn spawn(
    connector: Connector,
    node: String,
    following: &Arc<Following>,
) -> std::io::Result<()> {
    let following = Arc::downgrade(following);
    std::thread::Builder::new()
        .name("redis-relay".into())
        .spawn(move || {
            let mut relay = Relay {
                connector,
                node,
                connection: None,
                lease: Script::new(LEASE),
                release: Script::new(RELEASE),
                leases_due: Instant::now(),
            };
            let mut failing = false;
            while let Some(following) = following.upgrade() {
                match relay.round(&following) {
                    Ok(()) if failing => {
                        failing = false;
                        tracing::info!("reading the shared log again");
                    }
                    Ok(()) => {}
                    Err(error) => {
                        // Said once per outage, not once per try.
                        if !failing {
                            tracing::warn!(%error, "reading the shared log failed; trying again until it answers");
                        }
                        failing = true;
                        relay.connection = None;
                        std::thread::sleep(BLOCK);
                    }
                }
            }
        })
        .map(drop)
}

struct Relay {
    connector: Connector,
    node: String,
    connection: Option<redis::Connection>,
    lease: Script,
    release: Script,
    leases_due: Instant,
}

impl Relay {
    /// One round: drops the workshops nobody listens to, renews leases when due, reads what
    /// was appended and hands it over.
    fn round(&mut self, following: &Following) -> Result<(), crate::store::StoreError> {
        let mut watched: Vec<(Uuid, String, u64)> = Vec::new();
        let mut gone = Vec::new();
        {
            let mut follows = following
                .follows
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            follows.retain(|id, follow| {
                if follow.sink.is_disconnected() {
                    gone.push(follow.keys.lease.clone());
                    return false;
                }
                watched.push((*id, follow.keys.log.clone(), follow.next));
                true
            });
        }
        let connection = self.connector.reuse(&mut self.connection)?;
        for lease in gone {
            self.release
                .key(lease)
                .arg(&self.node)
                .invoke::<()>(connection)?;
        }
        if watched.is_empty() {
            std::thread::sleep(BLOCK);
            return Ok(());
        }
        if Instant::now() >= self.leases_due {
            self.leases_due = Instant::now() + LEASE_EVERY;
            self.renew(following)?;
        }
        let connection = self.connector.reuse(&mut self.connection)?;
        let mut read = redis::cmd("XREAD");
        read.arg("COUNT")
            .arg(COUNT)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS");
        for (_, log, _) in &watched {
            read.arg(log);
        }
        for (_, _, next) in &watched {
            read.arg(match next.checked_sub(1) {
                Some(last) => keys::entry_id(last),
                None => "0-0".to_string(),
            });
        }
        let answer: Value = read.query(connection)?;
        let Value::Array(streams) = answer else {
            return Ok(()); // Nothing new (a nil answer after the block).
        };
        let by_log: HashMap<&str, Uuid> = watched
            .iter()
            .map(|(id, log, _)| (log.as_str(), *id))
            .collect();
        let mut follows = following
            .follows
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for stream in streams {
            let Ok((log, entries)): Result<(String, Vec<Value>), _> =
                redis::from_redis_value(stream)
            else {
                continue;
            };
            let Some(id) = by_log.get(log.as_str()) else {
                continue;
            };
            let Some(follow) = follows.get_mut(id) else {
                continue;
            };
            let mut updates = Vec::new();
            let mut gap = false;
            for entry in entries {
                let Ok((entry_id, fields)): Result<(String, Vec<Value>), _> =
                    redis::from_redis_value(entry)
                else {
                    continue;
                };
                let Some(seq) = keys::seq_of(&entry_id) else {
                    continue;
                };
                if seq != follow.next {
                    gap = true;
                }
                follow.next = seq.saturating_add(1);
                let (mut update, mut node) = (None, None);
                for pair in fields.chunks(2) {
                    if let [Value::BulkString(name), Value::BulkString(value)] = pair {
                        if name == keys::UPDATE.as_bytes() {
                            update = Some(value.clone());
                        } else if name == keys::NODE.as_bytes() {
                            node = Some(value.clone());
                        }
                    }
                }
                if node.as_deref() != Some(self.node.as_bytes()) {
                    updates.extend(update);
                }
            }
            if gap {
                let _ = follow.sink.send(Heard::Gap);
            } else if !updates.is_empty() {
                let _ = follow.sink.send(Heard::Updates(updates));
            }
        }
        Ok(())
    }

    /// Renews the leases this server holds and seeks the others; tells each room whether it
    /// leads when that changes.
    fn renew(&mut self, following: &Following) -> Result<(), crate::store::StoreError> {
        let leases: Vec<(Uuid, String)> = following
            .follows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, follow)| (*id, follow.keys.lease.clone()))
            .collect();
        let connection = self.connector.reuse(&mut self.connection)?;
        let ttl = LEASE_TTL.as_millis() as u64;
        let mut held = Vec::with_capacity(leases.len());
        for (id, lease) in leases {
            let leads: bool = self
                .lease
                .key(lease)
                .arg(&self.node)
                .arg(ttl)
                .invoke(connection)?;
            held.push((id, leads));
        }
        let mut follows = following
            .follows
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (id, leads) in held {
            if let Some(follow) = follows.get_mut(&id) {
                if follow.leads != leads {
                    follow.leads = leads;
                    let _ = follow.sink.send(Heard::Lease(leads));
                }
            }
        }
        Ok(())
    }
}

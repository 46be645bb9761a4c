//! Workshops kept in Redis, shared by any number of servers (`--redis URL`).
//!
//! [`RedisStore`] keeps the [`Storage`] contract on Redis (the keys are in [`keys`]). What
//! must be atomic is one Lua script each: a load reads the snapshot and the log after it in
//! one step, and a compaction replaces the snapshot and trims the log in one step, and only
//! if no newer snapshot was written meanwhile (several servers may compact one workshop).
//! Appends and owner records go through the [`writer`] thread, in order; a flush waits for
//! Redis to acknowledge them.
//!
//! Durability is Redis's: run it with `appendonly yes` and `appendfsync always`, so that an
//! acknowledged write is in its append-only file (`docs/operations.md`).
//!
//! Every call may block on the network: call it from a blocking thread, as every [`Storage`]
//! call is; an append only queues.

pub mod keys;
mod listener;
mod relay;
mod writer;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::{Script, Value};
use uuid::Uuid;
use yrs::ClientID;

use self::keys::WorkshopKeys;
use self::writer::{Command, Writer};
use super::compaction::Fold;
use super::storage::Heard;
use super::{
    corrupt, decode_record, encode_record, LogEntry, Owner, Storage, StoreError, StoredDoc,
    WorkshopRecord,
};
use crate::auth::token::TokenHash;
use crate::auth::TokenRecord;

/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its answer.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens connections to one Redis server.
#[derive(Debug, Clone)]
pub struct Connector {
    client: redis::Client,
}

impl Connector {
    /// A connector for `url` (`redis://[:PASSWORD@]HOST:PORT/DB`, or `rediss://` for TLS,
    /// trusting the certificate authority `ca` (PEM) if given, else the system's roots);
    /// connects nothing yet.
    pub fn new(url: &str, ca: Option<Vec<u8>>) -> Result<Connector, StoreError> {
        // TLS is rustls on ring, the one provider this build enables (as the command line's).
        let client = match ca {
            Some(root_cert) => redis::Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                },
            )?,
            None => redis::Client::open(url)?,
        };
        Ok(Connector { client })
    }

    /// A new connection, with timeouts on connecting and on every command.
    pub fn connect(&self) -> Result<redis::Connection, StoreError> {
        let connection = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        connection.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        connection.set_write_timeout(Some(COMMAND_TIMEOUT))?;
        Ok(connection)
    }

    /// The connection in `slot`, connecting first if there is none.
    pub fn reuse<'a>(
        &self,
        slot: &'a mut Option<redis::Connection>,
    ) -> Result<&'a mut redis::Connection, StoreError> {
        if slot.is_none() {
            *slot = Some(self.connect()?);
        }
        slot.as_mut()
            .ok_or_else(|| StoreError::Task("no Redis connection".into()))
    }
}

/// Reads a workshop's snapshot and the log entries it does not cover, in one step.
/// KEYS: workshops, snapshot, log. ARGV: id. Returns false if the workshop does not exist.
const LOAD: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end
local snapshot = redis.call('HMGET', KEYS[2], 'covers', 'doc')
local covers = tonumber(snapshot[1]) or 0
local entries = redis.call('XRANGE', KEYS[3], string.format('1-%d', covers), '+')
return {snapshot[1] or '0', snapshot[2] or false, entries}
";

/// Replaces the snapshot and trims the log below `covers`, unless a snapshot covering more
/// is there already. KEYS: snapshot, log. ARGV: covers, doc. Returns the entries trimmed.
const COMPACT: &str = r"
local covers = tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'covers')) or 0
if covers < current then return 0 end
redis.call('HSET', KEYS[1], 'covers', ARGV[1], 'doc', ARGV[2])
if covers == 0 then return 0 end
return redis.call('XTRIM', KEYS[2], 'MINID', string.format('1-%d', covers))
";

/// Copies the log entries from `from` below `covers` aside, then compacts as [`COMPACT`].
/// KEYS: snapshot, log, aside. ARGV: from, covers, doc. Returns the entries copied.
const SET_ASIDE: &str = r"
local from, covers = tonumber(ARGV[1]), tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'covers')) or 0
if covers < current then return 0 end
local moved = 0
if covers > from then
  local entries = redis.call('XRANGE', KEYS[2], string.format('1-%d', from),
    string.format('1-%d', covers - 1))
  for _, entry in ipairs(entries) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'u' then
        redis.call('HSET', KEYS[3], string.sub(entry[1], 3), fields[i + 1])
      end
    end
    moved = moved + 1
  end
end
redis.call('HSET', KEYS[1], 'covers', ARGV[2], 'doc', ARGV[3])
if covers > 0 then
  redis.call('XTRIM', KEYS[2], 'MINID', string.format('1-%d', covers))
end
return moved
";

/// Refreshes a workshop record's `updated_at` and, where given, its title and place; nothing if
/// it does not exist. KEYS: workshops. ARGV: id, whether a title is given ('1'), the title,
/// whether a place is given, the place, `updated_at`.
const TOUCH: &str = r"
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local record = cjson.decode(raw)
if ARGV[2] == '1' then record.title = ARGV[3] end
if ARGV[4] == '1' then record.place = ARGV[5] end
record.updated_at = ARGV[6]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1
";

/// Gives each client id to the owner given where it has none, and returns every client id's
/// owner after that. KEYS: owners. ARGV: owner, then the client ids.
const CLAIM: &str = r"
local owners = {}
for i = 2, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
    current = ARGV[1]
  end
  owners[#owners + 1] = current
end
return owners
";

/// Workshops in Redis; cheap to share behind an `Arc`.
pub struct RedisStore {
    connector: Connector,
    /// Idle connections for reads and single writes.
    idle: Mutex<Vec<redis::Connection>>,
    writer: Writer,
    /// The workshops whose logs the relay thread reads for this server.
    following: Arc<relay::Following>,
    /// Revoked token ids heard on [`keys::REVOKED`].
    revoked: flume::Receiver<String>,
    /// This server's name in the log's entries (`n`): random per process.
    node: String,
    load: Script,
    compact: Script,
    set_aside: Script,
    claim: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` (checking that it answers) and starts the writer, the
    /// relay and the listener. `ca`: see [`Connector::new`].
    pub fn open(url: &str, ca: Option<Vec<u8>>) -> Result<RedisStore, StoreError> {
        let connector = Connector::new(url, ca)?;
        let mut first = connector.connect()?;
        redis::cmd("PING").query::<()>(&mut first)?;
        let node = crate::auth::token::generate_token_id()
            .map_err(|error| StoreError::Task(error.to_string()))?;
        let following = Arc::new(relay::Following::default());
        relay::spawn(connector.clone(), node.clone(), &following)
            .map_err(|error| StoreError::Task(format!("cannot start the Redis relay: {error}")))?;
        let revoked =
            listener::spawn(connector.clone(), node.clone(), &following).map_err(|error| {
                StoreError::Task(format!("cannot start the Redis listener: {error}"))
            })?;
        Ok(RedisStore {
            revoked,
            following,
            writer: Writer::spawn(connector.clone(), node.clone())?,
            connector,
            idle: Mutex::new(vec![first]),
            node,
            load: Script::new(LOAD),
            compact: Script::new(COMPACT),
            set_aside: Script::new(SET_ASIDE),
            claim: Script::new(CLAIM),
        })
    }

    /// This server's name in the entries it appends.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Runs `f` on an idle connection (or a new one). A connection that failed is dropped; if
    /// an idle one turns out dead (Redis restarted since it was last used), `f` runs once more
    /// on a new one, so callers see only whether Redis answers now. Every call made through
    /// here may run twice: each is a read or a write that gives the same result again.
    fn with<T>(
        &self,
        f: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(mut connection) = idle {
            match f(&mut connection) {
                Ok(result) => {
                    self.keep(connection);
                    return Ok(result);
                }
                Err(error) if error.is_io_error() || error.is_connection_dropped() => {
                    tracing::debug!(%error, "a Redis connection was dead; opening a new one");
                }
                Err(error) => return Err(error.into()),
            }
        }
        let mut connection = self.connector.connect()?;
        let result = f(&mut connection)?;
        self.keep(connection);
        Ok(result)
    }

    fn keep(&self, connection: redis::Connection) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(connection);
    }
}

/// The entries of an `XRANGE` answer, each with its sequence.
fn log_entries(id: Uuid, value: Value) -> Result<Vec<LogEntry>, StoreError> {
    let bad = |what: &str| corrupt(id, &format!("log entry: {what}"));
    let Value::Array(items) = value else {
        return Err(bad("not a list"));
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let (entry_id, fields): (String, Vec<Value>) =
            redis::from_redis_value(item).map_err(|_| bad("unexpected shape"))?;
        let seq = keys::seq_of(&entry_id).ok_or_else(|| bad("unexpected id"))?;
        let mut update = None;
        for pair in fields.chunks(2) {
            if let [Value::BulkString(name), Value::BulkString(value)] = pair {
                if name == keys::UPDATE.as_bytes() {
                    update = Some(value.clone());
                }
            }
        }
        let update = update.ok_or_else(|| bad("no update"))?;
        entries.push(LogEntry { seq, update });
    }
    Ok(entries)
}

fn parse_u64(id: Uuid, value: &Value) -> Result<u64, StoreError> {
    redis::from_redis_value_ref::<String>(value)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| corrupt(id, "snapshot: unreadable `covers`"))
}

impl Storage for RedisStore {
    fn create(&self, id: Uuid, record: &WorkshopRecord, snapshot: &[u8]) -> Result<(), StoreError> {
        let keys = WorkshopKeys::of(id);
        self.with(|conn| {
            redis::pipe()
                .atomic()
                .hset_multiple(
                    &keys.snapshot,
                    &[("covers", b"0".as_slice()), ("doc", snapshot)],
                )
                .ignore()
                .hset(keys::WORKSHOPS, id.to_string(), encode_record(record))
                .ignore()
                .query::<()>(conn)
        })
    }

    fn workshop(&self, id: Uuid) -> Result<Option<WorkshopRecord>, StoreError> {
        // Touches this server queued come first.
        self.writer.flush()?;
        let raw: Option<Vec<u8>> = self.with(|conn| {
            redis::cmd("HGET")
                .arg(keys::WORKSHOPS)
                .arg(id.to_string())
                .query(conn)
        })?;
        raw.map(|bytes| decode_record(id, &bytes)).transpose()
    }

    fn list(&self) -> Result<Vec<(Uuid, WorkshopRecord)>, StoreError> {
        self.writer.flush()?;
        let all: Vec<(String, Vec<u8>)> =
            self.with(|conn| redis::cmd("HGETALL").arg(keys::WORKSHOPS).query(conn))?;
        let mut out = Vec::with_capacity(all.len());
        for (key, value) in all {
            let Ok(id) = Uuid::parse_str(&key) else {
                tracing::warn!(key, "skipping workshop record with a malformed key");
                continue;
            };
            match decode_record(id, &value) {
                Ok(record) => out.push((id, record)),
                Err(error) => tracing::warn!(%error, "skipping unreadable workshop record"),
            }
        }
        out.sort_by_key(|(id, _)| *id);
        Ok(out)
    }

    /// Queued, not sent: rooms refresh their record under their lock, after recomputing.
    fn touch(
        &self,
        id: Uuid,
        title: Option<String>,
        place: Option<String>,
        updated_at: String,
    ) -> Result<(), StoreError> {
        let given = |value: &Option<String>| {
            if value.is_some() {
                b"1".to_vec()
            } else {
                b"0".to_vec()
            }
        };
        self.writer.queue(Command::Eval {
            script: TOUCH,
            key: keys::WORKSHOPS,
            args: vec![
                id.to_string().into_bytes(),
                given(&title),
                title.clone().unwrap_or_default().into_bytes(),
                given(&place),
                place.clone().unwrap_or_default().into_bytes(),
                updated_at.into_bytes(),
            ],
        })
    }

    fn load(&self, id: Uuid) -> Result<Option<StoredDoc>, StoreError> {
        // What this server appended must be in Redis before it is read back.
        self.writer.flush()?;
        let keys = WorkshopKeys::of(id);
        let answer: Value = self.with(|conn| {
            self.load
                .key(keys::WORKSHOPS)
                .key(&keys.snapshot)
                .key(&keys.log)
                .arg(id.to_string())
                .invoke(conn)
        })?;
        let parts = match answer {
            Value::Nil => return Ok(None),
            Value::Array(parts) if parts.len() == 3 => parts,
            _ => return Err(corrupt(id, "unexpected answer to a load")),
        };
        let mut parts = parts.into_iter();
        let (Some(covers), Some(snapshot), Some(log)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(corrupt(id, "unexpected answer to a load"));
        };
        let covers = parse_u64(id, &covers)?;
        let snapshot = match snapshot {
            Value::BulkString(bytes) => Some(bytes),
            _ => None,
        };
        let updates = log_entries(id, log)?;
        let next_seq = updates
            .last()
            .map_or(covers, |last| covers.max(last.seq.saturating_add(1)));
        Ok(Some(StoredDoc {
            snapshot,
            log_bytes: updates.iter().map(|entry| entry.update.len() as u64).sum(),
            updates,
            next_seq,
        }))
    }

    fn append(&self, id: Uuid, update: &[u8]) -> Result<(), StoreError> {
        self.writer.queue(Command::Append {
            log: WorkshopKeys::of(id).log,
            update: update.to_vec(),
        })
    }

    fn to_fold(&self, id: Uuid) -> Result<Fold, StoreError> {
        let stored = self.load(id)?.unwrap_or_default();
        Ok(Fold {
            id,
            covers: stored.next_seq,
            snapshot: stored.snapshot,
            entries: stored.updates,
        })
    }

    fn compact(&self, id: Uuid, snapshot: &[u8], covers: u64) -> Result<usize, StoreError> {
        let keys = WorkshopKeys::of(id);
        self.with(|conn| {
            self.compact
                .key(&keys.snapshot)
                .key(&keys.log)
                .arg(covers)
                .arg(snapshot)
                .invoke(conn)
        })
    }

    fn set_aside(
        &self,
        id: Uuid,
        from_seq: u64,
        snapshot: &[u8],
        covers: u64,
    ) -> Result<usize, StoreError> {
        let keys = WorkshopKeys::of(id);
        self.with(|conn| {
            self.set_aside
                .key(&keys.snapshot)
                .key(&keys.log)
                .key(&keys.aside)
                .arg(from_seq)
                .arg(covers)
                .arg(snapshot)
                .invoke(conn)
        })
    }

    fn set_aside_entries(&self, id: Uuid) -> Result<Vec<LogEntry>, StoreError> {
        let all: Vec<(String, Vec<u8>)> = self.with(|conn| {
            redis::cmd("HGETALL")
                .arg(WorkshopKeys::of(id).aside)
                .query(conn)
        })?;
        let mut entries = all
            .into_iter()
            .map(|(seq, update)| {
                let seq = seq
                    .parse()
                    .map_err(|_| corrupt(id, "set-aside entry with an unreadable sequence"))?;
                Ok(LogEntry { seq, update })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        entries.sort_by_key(|entry| entry.seq);
        Ok(entries)
    }

    fn set_owner(&self, id: Uuid, client: ClientID, owner: &Owner) -> Result<(), StoreError> {
        self.writer.queue(Command::Set {
            key: WorkshopKeys::of(id).owners,
            field: client.get().to_string(),
            value: owner.encode(),
        })
    }

    fn claim(
        &self,
        id: Uuid,
        clients: &[ClientID],
        owner: &Owner,
    ) -> Result<Option<Vec<(ClientID, Owner)>>, StoreError> {
        // Owners this server queued go first, so that its own claims are seen as its own.
        self.writer.flush()?;
        let key = WorkshopKeys::of(id).owners;
        let answer: Vec<Vec<u8>> = self.with(|conn| {
            let mut invocation = self.claim.key(&key);
            invocation.arg(owner.encode());
            for client in clients {
                invocation.arg(client.get());
            }
            invocation.invoke(conn)
        })?;
        if answer.len() != clients.len() {
            return Err(corrupt(id, "unexpected answer to a claim"));
        }
        clients
            .iter()
            .zip(answer)
            .map(|(client, owner)| match Owner::decode(&owner) {
                Some(owner) => Ok((*client, owner)),
                None => Err(corrupt(id, "unreadable client id owner")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn owners(&self, id: Uuid) -> Result<Vec<(ClientID, Owner)>, StoreError> {
        self.writer.flush()?;
        let all: Vec<(String, Vec<u8>)> = self.with(|conn| {
            redis::cmd("HGETALL")
                .arg(WorkshopKeys::of(id).owners)
                .query(conn)
        })?;
        all.into_iter()
            .map(|(client, owner)| {
                let client = client.parse::<u64>().ok().map(ClientID::new);
                match (client, Owner::decode(&owner)) {
                    (Some(client), Some(owner)) => Ok((client, owner)),
                    _ => Err(corrupt(id, "unreadable client id owner")),
                }
            })
            .collect()
    }

    fn insert_token(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), StoreError> {
        let tokens = WorkshopKeys::of(record.workshop).tokens;
        self.with(|conn| {
            redis::pipe()
                .atomic()
                .set(keys::token(hash), super::tokens::encode(record))
                .ignore()
                .hset(&tokens, &record.id, hash.to_hex())
                .ignore()
                .query::<()>(conn)
        })
    }

    fn token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        let raw: Option<Vec<u8>> =
            self.with(|conn| redis::cmd("GET").arg(keys::token(hash)).query(conn))?;
        Ok(raw.and_then(|bytes| super::tokens::decode(&bytes)))
    }

    fn tokens_of(&self, workshop: Uuid) -> Result<Vec<TokenRecord>, StoreError> {
        let index: Vec<(String, String)> = self.with(|conn| {
            redis::cmd("HGETALL")
                .arg(WorkshopKeys::of(workshop).tokens)
                .query(conn)
        })?;
        let mut records = Vec::with_capacity(index.len());
        for (_, digest) in index {
            let raw: Option<Vec<u8>> = self.with(|conn| {
                redis::cmd("GET")
                    .arg(format!("ws:token:{digest}"))
                    .query(conn)
            })?;
            records.extend(raw.and_then(|bytes| super::tokens::decode(&bytes)));
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    fn revoke_token(
        &self,
        workshop: Uuid,
        token_id: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let digest: Option<String> = self.with(|conn| {
            redis::cmd("HGET")
                .arg(WorkshopKeys::of(workshop).tokens)
                .arg(token_id)
                .query(conn)
        })?;
        let Some(digest) = digest else {
            return Ok(None);
        };
        let key = format!("ws:token:{digest}");
        let raw: Option<Vec<u8>> = self.with(|conn| redis::cmd("GET").arg(&key).query(conn))?;
        let Some(mut record) = raw.and_then(|bytes| super::tokens::decode(&bytes)) else {
            return Ok(None);
        };
        if record.workshop != workshop {
            return Ok(None);
        }
        record.revoked = true;
        self.with(|conn| {
            redis::pipe()
                .set(&key, super::tokens::encode(&record))
                .ignore()
                .publish(keys::REVOKED, &record.id)
                .ignore()
                .query::<()>(conn)
        })?;
        Ok(Some(record))
    }

    fn log_length(&self, id: Uuid) -> Result<Option<u64>, StoreError> {
        self.with(|conn| redis::cmd("XLEN").arg(WorkshopKeys::of(id).log).query(conn))
            .map(Some)
    }

    fn follow(&self, id: Uuid, from: u64) -> Option<flume::Receiver<Heard>> {
        Some(self.following.add(id, from))
    }

    fn publish_presence(&self, id: Uuid, message: &[u8]) -> Result<(), StoreError> {
        self.writer.queue(Command::Publish {
            channel: keys::PRESENCE,
            payload: listener::presence_payload(&self.node, id, message),
        })
    }

    fn revocations(&self) -> Option<flume::Receiver<String>> {
        Some(self.revoked.clone())
    }

    fn probe(&self) -> Result<(), StoreError> {
        if let Some(reason) = self.writer.failing() {
            return Err(StoreError::Unavailable(reason));
        }
        self.with(|conn| redis::cmd("PING").query::<()>(conn))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests;

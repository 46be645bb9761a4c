#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;
use crate::store::storage::conformance;

/// A `redis-server` of this test's own on a free loopback port, with its append-only file
/// synced on every write, as the server needs it; killed when dropped.
pub(crate) struct TestRedis {
    child: Child,
    port: u16,
    pub(crate) url: String,
    dir: tempfile::TempDir,
}

impl TestRedis {
    pub(crate) fn start() -> TestRedis {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("redis://127.0.0.1:{port}/0");
        let child = spawn(port, dir.path());
        TestRedis {
            child,
            port,
            url,
            dir,
        }
    }

    /// Kills Redis with SIGKILL: what it acknowledged is in its append-only file only.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts Redis again on the same port, from its append-only file.
    pub(crate) fn restart(&mut self) {
        self.child = spawn(self.port, self.dir.path());
    }
}

fn spawn(port: u16, dir: &std::path::Path) -> Child {
    let binary = std::env::var_os("REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server"));
    let child = Command::new(&binary)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot start {binary:?} (tests/run.sh installs Debian's redis-server): {error}")
        });
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client
        .get_connection()
        .and_then(|mut conn| redis::cmd("PING").query::<()>(&mut conn))
        .is_err()
    {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn redis_keeps_the_contract() {
    let redis = TestRedis::start();
    conformance::all(&RedisStore::open(&redis.url, None).unwrap());
}

#[test]
fn two_stores_on_one_redis_share_one_numbered_log() {
    let redis = TestRedis::start();
    let (one, two) = (
        RedisStore::open(&redis.url, None).unwrap(),
        RedisStore::open(&redis.url, None).unwrap(),
    );
    assert_ne!(one.node(), two.node());
    let id = Uuid::from_u128(7);
    let record = WorkshopRecord {
        title: "Shared".into(),
        place: "Northshire".into(),
        created_at: "2026-12-07T09:00:00Z".into(),
        updated_at: "2026-12-07T09:00:00Z".into(),
    };
    one.create(id, &record, b"s").unwrap();
    for round in 0..50u8 {
        one.append(id, &[1, round]).unwrap();
        two.append(id, &[2, round]).unwrap();
    }
    one.flush().unwrap();
    two.flush().unwrap();
    let loaded = two.load(id).unwrap().unwrap();
    let seqs: Vec<u64> = loaded.updates.iter().map(|entry| entry.seq).collect();
    assert_eq!(seqs, (0..100).collect::<Vec<_>>());
    for node in [1, 2] {
        let rounds: Vec<u8> = loaded
            .updates
            .iter()
            .filter(|entry| entry.update[0] == node)
            .map(|entry| entry.update[1])
            .collect();
        assert_eq!(rounds, (0..50).collect::<Vec<_>>(), "node {node} in order");
    }
    // A compaction from one, then a stale one from the other: the stale one changes nothing.
    let fold = one.to_fold(id).unwrap();
    assert_eq!(fold.covers, 100);
    let stale = two.to_fold(id).unwrap();
    one.append(id, b"later").unwrap();
    one.flush().unwrap();
    assert_eq!(one.compact(id, b"s100", 100).unwrap(), 100);
    assert_eq!(two.compact(id, b"older", stale.covers - 10).unwrap(), 0);
    let loaded = one.load(id).unwrap().unwrap();
    assert_eq!(loaded.snapshot.as_deref(), Some(&b"s100"[..]));
    assert_eq!(loaded.updates.len(), 1);
    assert_eq!(loaded.next_seq, 101);
}

#[test]
fn appends_wait_for_redis_and_none_is_lost_when_it_comes_back() {
    let mut redis = TestRedis::start();
    let store = RedisStore::open(&redis.url, None).unwrap();
    let id = Uuid::from_u128(9);
    let record = WorkshopRecord {
        title: "Outage".into(),
        place: "Northshire".into(),
        created_at: "2026-12-07T09:00:00Z".into(),
        updated_at: "2026-12-07T09:00:00Z".into(),
    };
    store.create(id, &record, b"s").unwrap();
    store.append(id, b"before").unwrap();
    store.flush().unwrap();
    // Redis dies; appends queue meanwhile.
    redis.kill();
    store.append(id, b"during").unwrap();
    assert!(store.probe().is_err(), "an unreachable Redis is not ready");
    // It comes back on the same port from its append-only file.
    redis.restart();
    store.flush().unwrap();
    let updates: Vec<Vec<u8>> = store
        .load(id)
        .unwrap()
        .unwrap()
        .updates
        .into_iter()
        .map(|entry| entry.update)
        .collect();
    assert_eq!(updates, [b"before".to_vec(), b"during".to_vec()]);
    store.probe().unwrap();
}

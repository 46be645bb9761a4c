//! A real `redis-server` for the tests that run servers on Redis: Debian's, which
//! `tests/run.sh` installs, started per test on a free loopback port with its append-only
//! file synced on every write (`appendfsync always`, as `docs/operations.md` asks of a
//! deployment), and killed when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Environment variable naming the `redis-server` binary; Debian's by default.
pub const REDIS_SERVER_ENV: &str = "REDIS_SERVER";

/// A running (or killed) `redis-server` and its directory.
pub struct TestRedis {
    child: Option<Child>,
    port: u16,
    /// Whether it speaks TLS only, with the certificates of
    /// [`crate::proxy::write_certificates`] in its directory.
    tls: bool,
    dir: TempDir,
}

impl TestRedis {
    /// Starts Redis on a free loopback port and waits until it answers.
    pub fn start() -> TestRedis {
        TestRedis::start_with(false)
    }

    /// Starts Redis speaking TLS only, with a certificate for `127.0.0.1` from a private
    /// authority ([`TestRedis::ca_file`]), and waits until it listens.
    pub fn start_tls() -> TestRedis {
        TestRedis::start_with(true)
    }

    fn start_with(tls: bool) -> TestRedis {
        let dir = tempfile::Builder::new()
            .prefix("workshop-redis-")
            .tempdir()
            .expect("create a directory for Redis");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("find a free port")
            .port();
        if tls {
            crate::proxy::write_certificates(dir.path());
        }
        let child = spawn(port, dir.path(), tls);
        TestRedis {
            child: Some(child),
            port,
            tls,
            dir,
        }
    }

    /// The URL a server is given with `--redis`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    /// The certificate authority of a TLS Redis's certificate (PEM).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Kills Redis with SIGKILL: what it acknowledged survives in its append-only file only.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts Redis again on the same port, from its append-only file.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "kill Redis before restarting it");
        self.child = Some(spawn(self.port, self.dir.path(), self.tls));
    }

    /// Runs one command with `redis-cli`-like arguments and returns its answer.
    pub fn query<T: redis::FromRedisValue>(&self, args: &[&str]) -> T {
        let client = redis::Client::open(self.url()).expect("a Redis URL");
        let mut connection = client.get_connection().expect("connect to Redis");
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command
            .query(&mut connection)
            .unwrap_or_else(|error| panic!("{args:?}: {error}"))
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(port: u16, dir: &Path, tls: bool) -> Child {
    let binary = std::env::var_os(REDIS_SERVER_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server"));
    let mut command = Command::new(&binary);
    command.args(["--bind", "127.0.0.1"]);
    if tls {
        command
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .arg("--tls-cert-file")
            .arg(dir.join("server.pem"))
            .arg("--tls-key-file")
            .arg(dir.join("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(dir.join("ca.pem"))
            .args(["--tls-auth-clients", "no"]);
    } else {
        command.args(["--port", &port.to_string()]);
    }
    let child = command
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
    let deadline = Instant::now() + crate::TIMEOUT;
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).expect("a Redis URL");
    let ready = || {
        if tls {
            // Listening is enough: the tests' servers speak TLS to it.
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        } else {
            client
                .get_connection()
                .and_then(|mut connection| redis::cmd("PING").query::<()>(&mut connection))
                .is_ok()
        }
    };
    while !ready() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

//! The real `workshop-server` binary as a child process.
//!
//! [`TestServer::start`] builds the binary if needed, runs it on `127.0.0.1:0` with a fresh
//! temporary data directory and reads the port from its `listening on http://…` line. The
//! server can then be stopped gracefully (SIGTERM) or killed (SIGKILL) and started again on the
//! same data directory. Its log (stderr) is collected and printed when a test fails, so
//! `cargo test` stays quiet when everything passes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader, Lines};
use tokio::process::{Child, Command};

/// How long the server may take to start (open its store, bind) or to stop.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The line prefix the server prints on stdout once it is listening.
const LISTENING_PREFIX: &str = "listening on http://";

/// Environment variable naming a prebuilt server binary, to skip the build step.
pub const SERVER_BIN_ENV: &str = "WORKSHOP_SERVER_BIN";

/// A running (or stopped) `workshop-server` child process and its data directory.
pub struct TestServer {
    child: Option<Child>,
    addr: SocketAddr,
    data_dir: TempDir,
    extra_args: Vec<String>,
    log: Arc<Mutex<String>>,
}

impl TestServer {
    /// Starts a server with default settings on a fresh data directory.
    pub async fn start() -> TestServer {
        TestServer::start_with(&[]).await
    }

    /// Starts a server with extra command-line arguments (e.g. `--max-frame-bytes 4096`),
    /// which are passed again on every restart.
    pub async fn start_with(extra_args: &[&str]) -> TestServer {
        let data_dir = tempfile::Builder::new()
            .prefix("workshop-e2e-")
            .tempdir()
            .expect("create a temporary data directory");
        let log = Arc::new(Mutex::new(String::new()));
        let extra_args = extra_args
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect::<Vec<_>>();
        let (child, addr) = spawn(data_dir.path(), "127.0.0.1:0", &extra_args, &log).await;
        TestServer {
            child: Some(child),
            addr,
            data_dir,
            extra_args,
            log,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The running process's id (for reading its memory and CPU from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(Child::id)
            .expect("the server is running")
    }

    /// The HTTP base URL, e.g. `http://127.0.0.1:43121`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket URL of a workshop (which need not exist, nor be a valid id), with its
    /// facilitator token when this process created it ([`crate::api::tokens_of`]).
    pub fn ws_url(&self, workshop_id: &str) -> String {
        match crate::api::facilitator_token(workshop_id) {
            Some(token) => self.ws_url_with_token(workshop_id, &token),
            None => self.ws_url_without_token(workshop_id),
        }
    }

    /// The WebSocket URL of a workshop presenting `token` (as y-websocket's `params` does).
    pub fn ws_url_with_token(&self, workshop_id: &str, token: &str) -> String {
        format!("ws://{}/ws/{workshop_id}?token={token}", self.addr)
    }

    /// The WebSocket URL of a workshop presenting no token.
    pub fn ws_url_without_token(&self, workshop_id: &str) -> String {
        format!("ws://{}/ws/{workshop_id}", self.addr)
    }

    /// The data directory, kept across restarts.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Stops the server with SIGTERM and waits for it to exit; returns its exit status.
    pub async fn stop(&mut self) -> ExitStatus {
        self.stop_with("TERM").await
    }

    /// Sends the server the signal `name` (`TERM`, `INT`, as `kill -NAME` spells it) and waits
    /// for it to exit; returns its exit status.
    pub async fn stop_with(&mut self, name: &str) -> ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let pid = child.id().expect("the server has not been reaped yet");
        let status = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .unwrap_or_else(|error| panic!("run kill -{name}: {error}"));
        assert!(status.success(), "kill -{name} {pid} failed: {status}");
        match tokio::time::timeout(STARTUP_TIMEOUT, child.wait()).await {
            Ok(status) => status.expect("wait for the server to exit"),
            Err(_) => {
                let _ = child.kill().await;
                panic!("the server did not exit within {STARTUP_TIMEOUT:?} of SIG{name}");
            }
        }
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and reaps it.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().expect("the server is running");
        child.kill().await.expect("kill -9 the server");
    }

    /// Starts the server again on the same data directory, after [`stop`](Self::stop) or
    /// [`kill`](Self::kill). It gets a new port.
    pub async fn restart(&mut self) {
        self.restart_bound("127.0.0.1:0").await;
    }

    /// Like [`restart`](Self::restart), on the port it had, as a real deployment comes back:
    /// clients reconnect to the URL they know. (The server's listener sets `SO_REUSEADDR`,
    /// so the killed server's connections in `TIME_WAIT` do not block the port.)
    pub async fn restart_on_same_port(&mut self) {
        let bind = self.addr.to_string();
        self.restart_bound(&bind).await;
    }

    async fn restart_bound(&mut self, bind: &str) {
        assert!(
            self.child.is_none(),
            "stop or kill the server before restarting it"
        );
        let marker = format!(
            "\n----- restart on {} -----\n",
            self.data_dir.path().display()
        );
        if let Ok(mut log) = self.log.lock() {
            log.push_str(&marker);
        }
        let (child, addr) = spawn(self.data_dir.path(), bind, &self.extra_args, &self.log).await;
        self.child = Some(child);
        self.addr = addr;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // The child is killed on drop (kill_on_drop). Its log explains most failures; libtest
        // captures this output and shows it only for failing tests.
        if std::thread::panicking() {
            eprintln!("----- workshop-server log -----\n{}", self.log());
        }
    }
}

/// Spawns the server listening on `bind` and waits for its `listening on` line.
async fn spawn(
    data_dir: &Path,
    bind: &str,
    extra_args: &[String],
    log: &Arc<Mutex<String>>,
) -> (Child, SocketAddr) {
    let mut child = Command::new(server_binary())
        .args(["--bind", bind, "--data-dir"])
        .arg(data_dir)
        .args(extra_args)
        // The log is read as plain text in failure reports.
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn workshop-server");
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    tokio::spawn(collect(stderr, log.clone()));

    let mut lines = BufReader::new(stdout).lines();
    let listening = tokio::time::timeout(STARTUP_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.ok().flatten() {
            if let Some(addr) = line.trim().strip_prefix(LISTENING_PREFIX) {
                return Some(addr.trim_end_matches('/').to_owned());
            }
            if let Ok(mut log) = log.lock() {
                log.push_str(&line);
                log.push('\n');
            }
        }
        None
    })
    .await;
    let addr = match listening {
        Ok(Some(addr)) => addr,
        Ok(None) => {
            let status = child.wait().await;
            panic!(
                "workshop-server exited ({status:?}) before printing `{LISTENING_PREFIX}…`; log:\n{}",
                log.lock().map(|log| log.clone()).unwrap_or_default()
            );
        }
        Err(_) => panic!(
            "workshop-server printed no `{LISTENING_PREFIX}…` line within {STARTUP_TIMEOUT:?}"
        ),
    };
    // Anything else the server prints on stdout goes to the log too, so it never blocks on a
    // full pipe.
    tokio::spawn(collect_lines(lines, log.clone()));
    let addr = addr
        .parse()
        .unwrap_or_else(|_| panic!("`{addr}` is not a socket address"));
    (child, addr)
}

/// Appends every line of `stream` to `log` until the stream ends.
async fn collect(stream: impl AsyncRead + Unpin, log: Arc<Mutex<String>>) {
    collect_lines(BufReader::new(stream).lines(), log).await;
}

/// Appends every remaining line to `log` until the stream ends.
async fn collect_lines<R: AsyncBufRead + Unpin>(mut lines: Lines<R>, log: Arc<Mutex<String>>) {
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(mut log) = log.lock() {
            log.push_str(&line);
            log.push('\n');
        }
    }
}

/// The path of the `workshop-server` binary, built once per test process.
///
/// Without [`SERVER_BIN_ENV`], runs `cargo build -p workshop-server` into the target directory
/// and profile of the running test executable (`target/<profile>/deps/…`), so a plain
/// `cargo test --workspace` always tests the current server. Cargo no-ops when it is fresh.
pub fn server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        std::env::var_os(SERVER_BIN_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_binary("workshop-server", "workshop-server"))
    })
}

/// Builds binary `bin` of workspace package `package` (`cargo build -p package --bin bin`)
/// into the target directory and profile of the running test executable, and returns its
/// path. Cargo no-ops when it is fresh.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("target/<profile> has a parent");
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("debug");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let mut build = std::process::Command::new(cargo);
    build
        .current_dir(workspace)
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .arg("--target-dir")
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            build.arg("--release");
        }
        other => {
            build.args(["--profile", other]);
        }
    }
    let status = build
        .status()
        .unwrap_or_else(|error| panic!("run cargo build -p {package}: {error}"));
    assert!(
        status.success(),
        "cargo build -p {package} failed: {status}"
    );
    let binary = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} missing after the build",
        binary.display()
    );
    binary
}

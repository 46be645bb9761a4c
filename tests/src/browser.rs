//! Browser tests: Playwright drives Chromium against the real server.
//!
//! A scenario is a Node script in `tests/node/browser/` built on its `harness.mjs`. A test
//! starts a server and a workshop with [`BrowserTest::start`] and runs a scenario with
//! [`BrowserTest::run`], which passes the script one JSON argument:
//!
//! ```json
//! {"baseUrl": "http://127.0.0.1:PORT", "workshopId": "<uuid>", "title": "Browser workshop",
//!  "tokens": {"facilitator": "…", "editor": "…", "viewer": "…"},
//!  "outDir": "<target dir>/browser-tests/<scenario>", "timeoutMs": 90000}
//! ```
//!
//! and panics with the script's stdout and stderr unless it exits 0. Screenshots land in
//! [`output_dir`], which is emptied before each run. The script stops itself after
//! `timeoutMs` (its watchdog); [`run_scenario`] bounds it again, a little later, and stops it
//! with SIGTERM (the harness then closes Chromium) and, failing that, SIGKILL. Later
//! scenarios are one short test each:
//!
//! ```no_run
//! # async fn scenario() {
//! let test = workshop_tests::browser::BrowserTest::start().await;
//! test.run("smoke.mjs").await.assert_screenshot("lobby");
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Child;

use crate::api::{tokens_of, Api, WorkshopTokens};
use crate::node::browser_script;
use crate::TestServer;

/// The title of the workshop a [`BrowserTest`] creates (the scenarios look for it).
pub const TITLE: &str = "Browser workshop";

/// Its place.
pub const PLACE: &str = "Northshire";

/// How long a scenario may run in all before its own watchdog stops it, unless its config
/// says otherwise (`timeoutMs`).
pub const SCENARIO_TIMEOUT: Duration = Duration::from_secs(90);

/// How much longer than [`SCENARIO_TIMEOUT`] the test waits before stopping the script itself.
const GRACE: Duration = Duration::from_secs(30);

/// How long the script may take to exit after SIGTERM, and its output to end after it exits.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server with one workshop, ready for browser scenarios.
pub struct BrowserTest {
    server: TestServer,
    workshop_id: String,
    tokens: WorkshopTokens,
}

impl BrowserTest {
    /// Starts a server with default settings and creates a workshop on it.
    pub async fn start() -> BrowserTest {
        BrowserTest::on(TestServer::start().await).await
    }

    /// Creates a workshop on `server` (e.g. one started with
    /// [`TestServer::start_with`]).
    pub async fn on(server: TestServer) -> BrowserTest {
        let workshop_id = Api::new(server.http_url())
            .create_workshop(TITLE, PLACE)
            .await;
        BrowserTest::with_workshop(server, workshop_id)
    }

    /// Creates a workshop on `server`, which was started with `--create-token
    /// <create_token>`, presenting that token.
    pub async fn on_as(server: TestServer, create_token: &str) -> BrowserTest {
        let workshop_id = Api::new(server.http_url())
            .create_workshop_as(TITLE, PLACE, create_token)
            .await;
        BrowserTest::with_workshop(server, workshop_id)
    }

    fn with_workshop(server: TestServer, workshop_id: String) -> BrowserTest {
        let tokens = tokens_of(&workshop_id).expect("creating a workshop remembers its tokens");
        BrowserTest {
            server,
            workshop_id,
            tokens,
        }
    }

    /// The server.
    pub fn server(&self) -> &TestServer {
        &self.server
    }

    /// The server, e.g. to stop and restart it between scenarios.
    pub fn server_mut(&mut self) -> &mut TestServer {
        &mut self.server
    }

    /// The workshop's id.
    pub fn workshop_id(&self) -> &str {
        &self.workshop_id
    }

    /// The workshop's invite tokens.
    pub fn tokens(&self) -> &WorkshopTokens {
        &self.tokens
    }

    /// The config [`run`](Self::run) passes `scenario` (see the module documentation).
    pub fn config(&self, scenario: &str) -> Value {
        json!({
            "baseUrl": self.server.http_url(),
            "workshopId": self.workshop_id,
            "title": TITLE,
            "tokens": {
                "facilitator": self.tokens.facilitator,
                "editor": self.tokens.editor,
                "viewer": self.tokens.viewer,
            },
            "outDir": output_dir(scenario),
            "timeoutMs": u64::try_from(SCENARIO_TIMEOUT.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Runs `scenario` (a file in `tests/node/browser/`, e.g. `smoke.mjs`) against this
    /// server and workshop; panics with its output unless it passes.
    pub async fn run(&self, scenario: &str) -> ScenarioOutput {
        self.run_with(scenario, json!({})).await
    }

    /// Like [`run`](Self::run), with the fields of `extra` (a JSON object) added to the
    /// config, e.g. a participant's personal token.
    pub async fn run_with(&self, scenario: &str, extra: Value) -> ScenarioOutput {
        let mut config = self.config(scenario);
        let (Some(fields), Some(extra)) = (config.as_object_mut(), extra.as_object()) else {
            panic!("the extra config of {scenario} must be a JSON object, not {extra}");
        };
        fields.extend(extra.clone());
        run_scenario(scenario, &config).await
    }
}

/// What a passing scenario printed, and where its screenshots are.
#[derive(Debug, Clone)]
pub struct ScenarioOutput {
    /// The scenario's output directory.
    pub out_dir: PathBuf,
    /// Its stdout: one `screenshot <path>` line per screenshot, and whatever it printed.
    pub stdout: String,
    /// Its stderr: the progress of its steps.
    pub stderr: String,
}

impl ScenarioOutput {
    /// Asserts the scenario wrote the PNG screenshot `<out_dir>/<name>.png`; returns its path.
    pub fn assert_screenshot(&self, name: &str) -> PathBuf {
        let path = self.out_dir.join(format!("{name}.png"));
        let bytes = std::fs::read(&path).unwrap_or_else(|error| {
            panic!(
                "no screenshot {} ({error}); the scenario printed:\n{}",
                path.display(),
                self.stdout
            )
        });
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG image",
            path.display()
        );
        path
    }
}

/// Where browser tests write screenshots: `<target dir>/browser-tests`, the target directory
/// being `CARGO_TARGET_DIR` (relative to the workspace root when relative) or the workspace's
/// `target/`.
pub fn output_root() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("browser-tests")
}

/// The output directory of `scenario`: [`output_root`]`/<scenario without .mjs>`.
pub fn output_dir(scenario: &str) -> PathBuf {
    output_root().join(scenario.trim_end_matches(".mjs"))
}

/// Runs `scenario` with `config` as its one argument, after emptying its `outDir`; panics
/// with its stdout and stderr unless it exits 0 within its watchdog's `timeoutMs` (default
/// [`SCENARIO_TIMEOUT`]) and a grace.
pub async fn run_scenario(scenario: &str, config: &Value) -> ScenarioOutput {
    let out_dir = config["outDir"]
        .as_str()
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("the config of {scenario} has no `outDir`: {config}"));
    match std::fs::remove_dir_all(&out_dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => panic!("empty {}: {error}", out_dir.display()),
    }

    let mut child = browser_script(scenario, &[&config.to_string()])
        .spawn()
        .unwrap_or_else(|error| {
            panic!("could not start Node for {scenario}: {error} (is Node.js installed? set NODE)")
        });
    drop(child.stdin.take());
    let bound = config["timeoutMs"]
        .as_u64()
        .map_or(SCENARIO_TIMEOUT, Duration::from_millis)
        + GRACE;
    let stdout = tokio::spawn(read_all(child.stdout.take().expect("piped stdout")));
    let stderr = tokio::spawn(read_all(child.stderr.take().expect("piped stderr")));

    let ended = match tokio::time::timeout(bound, child.wait()).await {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(error)) => panic!("wait for the {scenario} script: {error}"),
        Err(_) => Err(stop(&mut child).await),
    };
    let output = ScenarioOutput {
        out_dir,
        stdout: collected(stdout).await,
        stderr: collected(stderr).await,
    };
    let failure = match ended {
        Ok(status) if status.success() => return output,
        Ok(status) => format!("failed ({status})"),
        Err(how) => format!("did not finish within {bound:?}, {how}"),
    };
    panic!(
        "browser scenario {scenario} {failure}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        output.stdout, output.stderr
    );
}

/// Stops a script that overran its watchdog: SIGTERM, which the harness answers by closing
/// Chromium and exiting, then SIGKILL. Says what it took.
async fn stop(child: &mut Child) -> String {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        if let Ok(Ok(status)) = tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            return format!("stopped with SIGTERM ({status})");
        }
    }
    match child.kill().await {
        Ok(()) => "killed with SIGKILL".to_owned(),
        Err(error) => format!("could not be killed: {error}"),
    }
}

/// Everything `stream` yields until it ends, as (lossy) UTF-8.
async fn read_all(mut stream: impl AsyncRead + Unpin) -> String {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The output a reader task collected, or a note when it did not end in time.
async fn collected(task: tokio::task::JoinHandle<String>) -> String {
    match tokio::time::timeout(STOP_TIMEOUT, task).await {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => format!("(could not read the output: {error})"),
        Err(_) => "(the output did not end)".to_owned(),
    }
}

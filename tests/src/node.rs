//! Node, the pinned npm packages of `tests/node`, and Chromium.
//!
//! The packages are installed by `npm ci` in `tests/node`, and Debian's `chromium` by
//! `tests/run.sh`. A test that needs them fails, never skips, when they are missing.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

/// Environment variable naming the Node binary; `node` on the PATH otherwise.
pub const NODE_ENV: &str = "NODE";

/// Environment variable naming the Chromium binary the browser tests drive.
pub const CHROMIUM_ENV: &str = "CHROMIUM";

/// The Chromium binary of Debian's `chromium` package, used unless [`CHROMIUM_ENV`] is set.
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// The directory of the Node test scripts and their `package.json`.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// The directory of the browser scenarios and their harness (`harness.mjs`).
pub fn browser_dir() -> PathBuf {
    node_dir().join("browser")
}

/// The Chromium binary the browser tests drive: [`CHROMIUM_ENV`] or [`DEFAULT_CHROMIUM`].
pub fn chromium() -> PathBuf {
    std::env::var_os(CHROMIUM_ENV)
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from)
}

/// A command running `script` (a file in [`node_dir`]) with `args` under Node, with piped
/// stdin, stdout and stderr, killed if dropped.
///
/// Panics with instructions when the Yjs packages are not installed.
pub fn node_script(script: &str, args: &[&str]) -> Command {
    require_packages(
        &["yjs", "y-websocket", "ws"],
        "the Yjs interoperability tests",
    );
    node_command(&node_dir().join(script), args)
}

/// A command running the browser scenario `scenario` (a file in [`browser_dir`], e.g.
/// `smoke.mjs`) with `args` under Node, like [`node_script`], with [`CHROMIUM_ENV`] set to
/// [`chromium`] so that the script drives the binary checked here.
///
/// Panics with instructions when the scenario, `playwright-core`, `axe-core` or Chromium is
/// missing.
pub fn browser_script(scenario: &str, args: &[&str]) -> Command {
    require_packages(&["playwright-core", "axe-core"], "the browser tests");
    let script = browser_dir().join(scenario);
    assert!(script.is_file(), "no browser scenario {}", script.display());
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "Chromium is not installed at {}: the browser tests drive Debian's `chromium` package \
         (`apt-get install --no-install-recommends chromium`; tests/run.sh installs it), or set \
         {CHROMIUM_ENV} to another Chromium binary",
        chromium.display()
    );
    let mut command = node_command(&script, args);
    command
        .env(CHROMIUM_ENV, &chromium)
        // Playwright's messages are read as plain text in failure reports.
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0");
    command
}

/// Panics with instructions unless every package in `packages` is installed in
/// [`node_dir`]; `users` names the tests that need them.
fn require_packages(packages: &[&str], users: &str) {
    let dir = node_dir();
    for package in packages {
        let installed = dir.join("node_modules").join(package).join("package.json");
        assert!(
            installed.exists(),
            "the Node package `{package}` is not installed in {}: run `npm ci` there \
             (tests/run.sh does) before {users}",
            dir.display()
        );
    }
}

/// Node running `script` with `args` in [`node_dir`], piped and killed if dropped.
fn node_command(script: &Path, args: &[&str]) -> Command {
    let node = std::env::var_os(NODE_ENV).unwrap_or_else(|| "node".into());
    let mut command = Command::new(node);
    command
        .current_dir(node_dir())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

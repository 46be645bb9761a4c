//! Node and the pinned Yjs packages of `tests/node`.
//!
//! The packages are installed by `npm ci` in `tests/node` (which `tests/run.sh` does). A test
//! that needs them fails, never skips, when they are missing.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;

/// Environment variable naming the Node binary; `node` on the PATH otherwise.
pub const NODE_ENV: &str = "NODE";

/// The directory of the Node test scripts and their `package.json`.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// A command running `script` (a file in [`node_dir`]) with `args` under Node, with piped
/// stdin, stdout and stderr, killed if dropped.
///
/// Panics with instructions when the Yjs packages are not installed.
pub fn node_script(script: &str, args: &[&str]) -> Command {
    let dir = node_dir();
    for package in ["yjs", "y-websocket", "ws"] {
        let installed = dir.join("node_modules").join(package).join("package.json");
        assert!(
            installed.exists(),
            "the Node package `{package}` is not installed in {}: run `npm ci` there \
             (tests/run.sh does) before the Yjs interoperability tests",
            dir.display()
        );
    }
    let node = std::env::var_os(NODE_ENV).unwrap_or_else(|| "node".into());
    let mut command = Command::new(node);
    command
        .current_dir(&dir)
        .arg(dir.join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

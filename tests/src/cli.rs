//! The `workshop` command-line binary as a child process, with its own home directory (its
//! local workshops), as one user on one device.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::server::workspace_binary;
use crate::TIMEOUT;

/// The path of the `workshop` binary, built once per test process.
pub fn cli_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| workspace_binary("workshop-client", "workshop"))
}

/// One user of the command line: the binary with a home directory of its own.
pub struct CliUser {
    home: tempfile::TempDir,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// Whether it exited 0.
    pub success: bool,
    /// Its exit code.
    pub code: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        Run {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics, showing both streams, unless it succeeded; returns stdout.
    pub fn ok(self) -> String {
        assert!(
            self.success,
            "workshop failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self.stdout
    }

    /// Panics unless it failed; returns stderr.
    pub fn failed(self) -> String {
        assert!(
            !self.success,
            "workshop should have failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self.stderr
    }
}

impl Default for CliUser {
    fn default() -> Self {
        Self::new()
    }
}

impl CliUser {
    /// A user with an empty home directory.
    pub fn new() -> CliUser {
        CliUser {
            home: tempfile::tempdir().expect("a home directory for the CLI"),
        }
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The local document file of workshop `id`.
    pub fn document_file(&self, id: &str) -> PathBuf {
        self.home().join(id).join("document.ydoc")
    }

    /// A command running the binary with this user's home and `args`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(cli_binary());
        command
            .arg("--home")
            .arg(self.home())
            .args(args)
            .env_remove("WORKSHOP_TOKEN")
            .env_remove("WORKSHOP_SERVER")
            .env_remove("WORKSHOP_HOME")
            .env_remove("SSL_CERT_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs the binary with `args` to the end (bounded by [`TIMEOUT`]).
    pub async fn run(&self, args: &[&str]) -> Run {
        let output = tokio::time::timeout(TIMEOUT, self.command(args).output())
            .await
            .unwrap_or_else(|_| panic!("workshop {args:?} did not finish within {TIMEOUT:?}"))
            .expect("run the workshop binary");
        Run::of(output)
    }

    /// Starts the binary with `args` and leaves it running (e.g. `watch`).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .spawn()
            .expect("start the workshop binary")
    }
}

/// A running `workshop watch` (or any long-running command): its output read line by line,
/// and Ctrl-C.
pub struct Watching {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: String,
}

impl Watching {
    /// Takes over `child`, which must have been started with a piped stdout.
    pub fn new(mut child: Child) -> Watching {
        let stdout = child.stdout.take().expect("a piped stdout");
        Watching {
            child,
            lines: BufReader::new(stdout).lines(),
            seen: String::new(),
        }
    }

    /// Reads lines until one contains `needle`; panics with everything read if none does
    /// within [`TIMEOUT`] or the output ends.
    pub async fn read_until(&mut self, needle: &str) {
        let (lines, seen) = (&mut self.lines, &mut self.seen);
        let found = tokio::time::timeout(TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(needle) {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(
            matches!(found, Ok(true)),
            "no {needle:?} in:\n{}",
            self.seen
        );
    }

    /// Sends SIGINT (Ctrl-C) and waits for the command to exit; panics unless it exits 0.
    pub async fn interrupt(mut self) {
        let pid = self.child.id().expect("still running").to_string();
        let killed = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .await
            .expect("run kill -INT");
        assert!(killed.success(), "kill -INT {pid} failed");
        let exit = tokio::time::timeout(TIMEOUT, self.child.wait())
            .await
            .expect("it exits after Ctrl-C")
            .expect("wait for it");
        assert!(exit.success(), "it exited with {exit} after Ctrl-C");
    }
}

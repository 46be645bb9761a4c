//! The server builds on a machine without Node.js: its build script finds neither `node` nor
//! `npm`, warns, and embeds the page of `server/unbuilt/` (which says how to build the real
//! one) instead of failing. Checked with `cargo check` into a target directory of its own, so
//! the server binary the other tests run keeps its real page.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_server_builds_without_node_and_embeds_a_page_saying_how_to_build_the_real_one() {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = workspace.join("target").join("without-node");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&workspace)
        .args(["check", "-p", "workshop-server", "--target-dir"])
        .arg(&target)
        // Programs that do not exist: as on a machine without Node.js.
        .env("NODE", "/nonexistent/node")
        .env("NPM", "/nonexistent/npm")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo check failed:\n{stderr}");
    assert!(
        stderr.contains("the browser page was not built (Node.js and npm not found)"),
        "no warning about the page:\n{stderr}"
    );
    // What the build embeds: the page that says how to build the real one.
    let embedded = std::fs::read_dir(target.join("debug").join("build"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("out").join("web").join("index.html"))
        .filter_map(|index| std::fs::read_to_string(index).ok())
        .collect::<Vec<_>>();
    assert!(
        embedded
            .iter()
            .any(|page| page.contains("built without its browser page")),
        "no placeholder page among {} embedded pages",
        embedded.len()
    );
}

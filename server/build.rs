//! Builds the browser page in `web/` (esbuild, from the pinned npm packages) into `OUT_DIR`
//! and generates the table of files the server embeds, so that `cargo run -p workshop-server`
//! serves the page with no other step. Uses Node.js and npm on the PATH (or `NODE` / `NPM`).
//!
//! Without Node.js or npm the server still builds: it embeds `unbuilt/` instead, a page that
//! says how to build the real one, and the build prints a warning. The API, the WebSocket and
//! the command line do not need the page. (A Node.js that is there but fails, e.g. `npm ci`
//! without a registry, still fails the build: that is a fault to see, not to paper over.)

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files `web/build.mjs` writes, with the content type each is served with.
const FILES: &[(&str, &str)] = &[
    ("index.html", "text/html; charset=utf-8"),
    ("app.js", "text/javascript; charset=utf-8"),
    ("app.css", "text/css; charset=utf-8"),
    ("sw.js", "text/javascript; charset=utf-8"),
];

/// Where a successful `npm ci` records the lockfile it installed.
const STAMP: &str = "node_modules/.workshop-installed-lock";

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let web = manifest.join("../web");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("web");

    for watched in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=NODE");
    println!("cargo:rerun-if-env-changed=NPM");

    let node = env::var("NODE").unwrap_or_else(|_| "node".into());
    let npm = env::var("NPM").unwrap_or_else(|_| "npm".into());
    let missing: Vec<&str> = [(node.as_str(), "Node.js"), (npm.as_str(), "npm")]
        .into_iter()
        .filter(|(program, _)| !answers(program))
        .map(|(_, name)| name)
        .collect();
    if missing.is_empty() {
        install(&web, &npm);
        run(
            Command::new(&node)
                .current_dir(&web)
                .arg("build.mjs")
                .arg(&out),
            "build the web page (node build.mjs)",
        );
        println!("cargo:rustc-env=WORKSHOP_PAGE=built");
    } else {
        println!(
            "cargo:warning=the browser page was not built ({} not found): the server serves a \
             page saying how to build it. Install Node.js 20+ and npm (or set NODE / NPM) and \
             build again.",
            missing.join(" and ")
        );
        placeholder(&manifest.join("unbuilt"), &out);
        println!("cargo:rustc-env=WORKSHOP_PAGE=unbuilt");
    }

    let mut table = String::from("/// The page's files: (name, content type, bytes).\n");
    table.push_str("pub static FILES: &[(&str, &str, &[u8])] = &[\n");
    for (name, content_type) in FILES {
        let path = out.join(name);
        assert!(
            path.exists(),
            "web/build.mjs did not write {}",
            path.display()
        );
        table.push_str(&format!(
            "    ({name:?}, {content_type:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    table.push_str("];\n");
    let generated = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("web_files.rs");
    fs::write(generated, table).expect("write web_files.rs");
}

/// Whether `program --version` runs and succeeds.
fn answers(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Writes the page of `unbuilt/` (its `index.html` and `sw.js`, no script or style) as the
/// files of [`FILES`].
fn placeholder(unbuilt: &Path, out: &Path) {
    println!("cargo:rerun-if-changed={}", unbuilt.display());
    fs::create_dir_all(out).expect("create the page's output directory");
    for (name, _) in FILES {
        let source = unbuilt.join(name);
        let bytes = fs::read(&source).unwrap_or_default();
        fs::write(out.join(name), bytes).expect("write the placeholder page");
    }
}

/// `npm ci` in `web/` unless the lockfile is the one last installed there.
fn install(web: &Path, npm: &str) {
    let lock = fs::read(web.join("package-lock.json")).expect("read web/package-lock.json");
    if fs::read(web.join(STAMP)).ok().as_deref() == Some(lock.as_slice()) {
        return;
    }
    run(
        Command::new(npm).current_dir(web).args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]),
        "install the web page's npm packages (npm ci in web/)",
    );
    fs::write(web.join(STAMP), lock).expect("record the installed lockfile");
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("could not {what}: it exited with {status}"),
        Err(error) => panic!(
            "could not {what}: {error}. The server embeds the browser page, which is built \
             with Node.js and npm: install them (or point NODE / NPM at them) and build again."
        ),
    }
}

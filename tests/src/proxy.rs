//! A TLS-terminating proxy in front of a test server, as a deployment has one: Debian's nginx
//! running `deploy/nginx/workshop.conf` (the example operators copy, so it cannot rot), with
//! a certificate for `localhost` and `127.0.0.1` issued by a private certificate authority
//! made for the test.
//!
//! nginx runs as one process (`master_process off`) in a directory of its own, killed when
//! the proxy is dropped. `tests/run.sh` installs Debian's `nginx` package when it is missing.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::process::{Child, Command};

use crate::TIMEOUT;

/// Environment variable naming the nginx binary; [`DEFAULT_NGINX`] otherwise.
pub const NGINX_ENV: &str = "NGINX";

/// The binary of Debian's `nginx` package.
pub const DEFAULT_NGINX: &str = "/usr/sbin/nginx";

/// The lines of `deploy/nginx/workshop.conf` the test replaces, each found exactly once.
const LISTEN: &str = "listen 443 ssl;";
const UPSTREAM: &str = "server 127.0.0.1:8080;";
const CERTIFICATE: &str = "/etc/letsencrypt/live/workshop.example.org/fullchain.pem";
const KEY: &str = "/etc/letsencrypt/live/workshop.example.org/privkey.pem";
const ACCESS_LOG: &str = "/var/log/nginx/workshop.access.log";

/// The example configuration operators copy.
pub fn example_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx/workshop.conf")
}

/// nginx terminating TLS in front of a server.
pub struct TlsProxy {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl TlsProxy {
    /// Starts nginx on a free loopback port in front of `upstream`, and waits until it accepts
    /// connections. Panics with instructions when nginx is not installed.
    pub async fn start(upstream: SocketAddr) -> TlsProxy {
        let nginx = nginx();
        let dir = tempfile::Builder::new()
            .prefix("workshop-nginx-")
            .tempdir()
            .expect("a directory for nginx");
        // nginx may drop to an unprivileged user: it must read its configuration.
        permit_others(dir.path());
        write_certificates(dir.path());
        let port = free_port();
        let site = site_config(dir.path(), port, upstream);
        std::fs::write(dir.path().join("workshop.conf"), site).expect("write the site");
        let main = format!(
            "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log info;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n  \
             fastcgi_temp_path {dir}/fastcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  \
             scgi_temp_path {dir}/scgi;\n  include {dir}/workshop.conf;\n}}\n",
            dir = dir.path().display()
        );
        let main_path = dir.path().join("nginx.conf");
        std::fs::write(&main_path, main).expect("write nginx.conf");
        let child = Command::new(&nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&main_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", nginx.display()));
        let mut proxy = TlsProxy { dir, port, child };
        proxy.wait_until_listening().await;
        proxy
    }

    /// The proxy's address, `https://localhost:PORT` (the name its certificate is for).
    pub fn https_url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// The PEM file of the certificate authority that issued the proxy's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// What nginx wrote in its access log so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// What nginx wrote in its error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    async fn wait_until_listening(&mut self) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited ({status}); error log:\n{}", self.error_log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nginx did not listen on port {} within {TIMEOUT:?}; error log:\n{}",
                self.port,
                self.error_log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The nginx binary: [`NGINX_ENV`] or [`DEFAULT_NGINX`]; panics with instructions if missing.
fn nginx() -> PathBuf {
    let nginx = std::env::var_os(NGINX_ENV)
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_NGINX), PathBuf::from);
    assert!(
        nginx.is_file(),
        "nginx is not installed at {}: the TLS tests run Debian's `nginx` package \
         (`apt-get install --no-install-recommends nginx`; tests/run.sh installs it), or set \
         {NGINX_ENV} to another nginx binary",
        nginx.display()
    );
    nginx
}

/// `deploy/nginx/workshop.conf` with its deployment's lines replaced by the test's.
fn site_config(dir: &Path, port: u16, upstream: SocketAddr) -> String {
    let example = std::fs::read_to_string(example_config()).expect("read the example config");
    let dir = dir.display();
    let replacements = [
        (LISTEN, format!("listen 127.0.0.1:{port} ssl;")),
        (UPSTREAM, format!("server {upstream};")),
        (CERTIFICATE, format!("{dir}/server.pem")),
        (KEY, format!("{dir}/server.key")),
        (ACCESS_LOG, format!("{dir}/access.log")),
    ];
    let mut site = example;
    for (line, replacement) in replacements {
        assert_eq!(
            site.matches(line).count(),
            1,
            "deploy/nginx/workshop.conf should hold `{line}` exactly once"
        );
        site = site.replace(line, &replacement);
    }
    site
}

/// A certificate authority (`ca.pem`) and a certificate it issued for `localhost` and
/// `127.0.0.1` (`server.pem`, `server.key`), in `dir`.
pub fn write_certificates(dir: &Path) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Workshop test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("a CA key");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("a CA certificate");

    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server parameters");
    let server_key = KeyPair::generate().expect("a server key");
    let server = server_params
        .signed_by(&server_key, &ca)
        .expect("a server certificate");

    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write ca.pem");
    std::fs::write(dir.join("server.pem"), server.pem()).expect("write server.pem");
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).expect("write server.key");
}

/// A port free on loopback right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

#[cfg(unix)]
fn permit_others(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .expect("open the directory to nginx's user");
}

#[cfg(not(unix))]
fn permit_others(_dir: &Path) {}

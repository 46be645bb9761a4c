//! Everything that can stop a command, each as one sentence for stderr.

use thiserror::Error;
use workshop_client::local::LocalError;
use workshop_client::ClientError;

/// Why a command failed.
#[derive(Debug, Error)]
pub enum CliError {
    /// The local state.
    #[error("{0}")]
    Local(#[from] LocalError),
    /// An edit was refused before anything was written.
    #[error("{0}; nothing was changed")]
    Edit(#[from] workshop_client::edit::EditError),
    /// The server could not be reached.
    #[error("cannot reach the server at {server}: {reason}")]
    Unreachable {
        /// Its address.
        server: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an error.
    #[error("the server refused: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// No workshop with that id on the server (or not for this token).
    #[error("the server has no workshop {0} that this token opens")]
    UnknownWorkshop(String),
    /// The y-sync connection failed.
    #[error("syncing with {server} failed: {source}")]
    Sync {
        /// The server.
        server: String,
        /// Why.
        source: ClientError,
    },
    /// The server refused some of the changes sent.
    #[error("the server refused changes made on this device: {0}")]
    Refused(String),
    /// A token is needed.
    #[error("{0}")]
    NeedsToken(String),
    /// The certificates to trust (`--ca-cert`, `SSL_CERT_FILE`) could not be read.
    #[error("{0}")]
    Tls(#[from] workshop_client::tls::TlsError),
    /// The HTTP client could not be built with them.
    #[error("cannot set up the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The server address is not an http(s) URL.
    #[error("{0:?} is not a server address like http://127.0.0.1:8080")]
    BadServer(String),
    /// Writing an export failed.
    #[error("could not write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Making an export failed.
    #[error("could not make the export: {0}")]
    Export(String),
}

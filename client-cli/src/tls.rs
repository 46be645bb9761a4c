//! TLS for `https://` and `wss://` servers: rustls (on ring) trusting the Mozilla roots of
//! `webpki-roots`, plus the certificates of a private certificate authority when one is named
//! (`workshop --ca-cert FILE`, or `SSL_CERT_FILE`). One configuration serves both the HTTP API
//! (reqwest) and the WebSocket ([`crate::SyncClient::with_tls`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use thiserror::Error;

/// Why no TLS configuration could be made.
#[derive(Debug, Error)]
pub enum TlsError {
    /// The certificate file could not be read or holds a malformed PEM block.
    #[error("cannot read the certificates in {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The file holds no certificate.
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A certificate of the file is not one rustls can trust as a root.
    #[error("a certificate in {path} cannot be trusted as a root: {source}")]
    BadRoot {
        /// The file.
        path: PathBuf,
        /// What rustls reported.
        #[source]
        source: rustls::Error,
    },
}

/// A client configuration trusting the Mozilla roots and, when `ca_file` is given, every
/// certificate of that PEM file.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        let read = |source| TlsError::Read {
            path: path.to_owned(),
            source,
        };
        let mut found = false;
        for certificate in CertificateDer::pem_file_iter(path).map_err(read)? {
            roots
                .add(certificate.map_err(read)?)
                .map_err(|source| TlsError::BadRoot {
                    path: path.to_owned(),
                    source,
                })?;
            found = true;
        }
        if !found {
            return Err(TlsError::NoCertificate {
                path: path.to_owned(),
            });
        }
    }
    // The process's provider: ring, the only one this build enables.
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mozilla_roots_are_trusted_without_a_file() {
        assert!(client_config(None).is_ok());
    }

    #[test]
    fn a_file_without_a_certificate_is_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.pem");
        let error = client_config(Some(&missing)).expect_err("a missing file");
        assert!(matches!(error, TlsError::Read { .. }), "{error}");
        assert!(error.to_string().contains("missing.pem"), "{error}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let error = client_config(Some(&empty)).expect_err("no certificate");
        assert!(matches!(error, TlsError::NoCertificate { .. }), "{error}");

        let garbled = dir.path().join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let error = client_config(Some(&garbled)).expect_err("garbled");
        assert!(
            matches!(error, TlsError::Read { .. } | TlsError::BadRoot { .. }),
            "{error}"
        );
    }
}

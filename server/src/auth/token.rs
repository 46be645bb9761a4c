//! Token secrets: generation from the OS random source, SHA-256 digests, and constant-time
//! comparison of digests.
//!
//! A secret is shown to its holder once and never stored: the server keeps only its digest
//! ([`TokenHash`]) and finds a presented token by the digest of what was presented. Secrets
//! are 256 random bits, so a digest (or any part of it) does not help anyone find one.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Random bytes in a token secret (256 bits; the floor the issue sets is 128).
pub const TOKEN_BYTES: usize = 32;
/// Random bytes in a token's public id (shown in listings, used to revoke).
pub const TOKEN_ID_BYTES: usize = 8;
/// Longest secret accepted from a client, in bytes; longer ones are refused unhashed.
pub const MAX_PRESENTED_BYTES: usize = 256;

/// The OS random source failed.
#[derive(Debug, Error)]
#[error("cannot read the OS random source: {0}")]
pub struct RandomError(String);

/// A token secret, as handed to its holder. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A new secret of [`TOKEN_BYTES`] random bytes from the OS, as lowercase hex.
    pub fn generate() -> Result<Token, RandomError> {
        Ok(Token(random_hex::<TOKEN_BYTES>()?))
    }

    /// The secret itself, to return to its holder.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digest the server stores.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    /// Hands the secret over.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<secret>)")
    }
}

/// A new public token id: [`TOKEN_ID_BYTES`] random bytes as hex. Independent of the secret,
/// so listing ids reveals nothing about any secret.
pub fn generate_token_id() -> Result<String, RandomError> {
    random_hex::<TOKEN_ID_BYTES>()
}

fn random_hex<const N: usize>() -> Result<String, RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| RandomError(error.to_string()))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The SHA-256 digest of a token secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// The digest of `secret` (whatever a client presented).
    pub fn of(secret: &str) -> TokenHash {
        TokenHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// Compares two digests in constant time, so the time taken says nothing about how many
    /// leading bytes matched.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The digest in lower-case hexadecimal (a storage key).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell digests apart in logs.
        write!(f, "TokenHash({}…)", hex(&self.0[..4]))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn secrets_are_long_random_hex_and_hash_stably() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), TOKEN_BYTES * 2);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a.hash(), TokenHash::of(a.as_str()));
        assert!(a.hash().matches(&TokenHash::of(a.as_str())));
        assert!(!a.hash().matches(&b.hash()));
        assert!(!format!("{a:?}").contains(a.as_str()));
        assert_eq!(generate_token_id().unwrap().len(), TOKEN_ID_BYTES * 2);
    }

    #[test]
    fn the_digest_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hex(&TokenHash::of("abc").0),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

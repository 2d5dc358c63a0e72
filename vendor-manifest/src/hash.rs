//! Hashing: one streaming pass computes the size, sha256 (hex, as `sha256sum` prints it) and
//! sha384 in SRI form (`sha384-<base64>`, for `integrity=` attributes), plus sha512 when a
//! pinned SRI value asks for it. Also parses what a user may pin (`--sha256`, `--integrity`).

use std::io::Read;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Read buffer for hashing: large enough that syscalls don't dominate.
const BUF: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("`{0}` is not a sha256 digest (expected 64 hex characters)")]
    BadSha256(String),
    #[error(
        "`{0}` is not an SRI integrity value (expected `sha256-…`, `sha384-…` or `sha512-…` with base64)"
    )]
    BadIntegrity(String),
}

/// What one pass over a file produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    /// `sha384-<base64>`.
    pub sri384: String,
    /// `sha512-<base64>`, only when asked for.
    pub sri512: Option<String>,
}

impl Digests {
    /// `sha256-<base64>` from the hex digest.
    pub fn sri256(&self) -> String {
        let bytes = hex::decode(&self.sha256).unwrap_or_default();
        format!("sha256-{}", B64.encode(bytes))
    }
}

/// A streaming hasher: feed bytes as they arrive (downloads), then [`MultiHasher::finish`].
#[derive(Clone)]
pub struct MultiHasher {
    size: u64,
    sha256: Sha256,
    sha384: Sha384,
    sha512: Option<Sha512>,
}

impl MultiHasher {
    pub fn new(with_sha512: bool) -> Self {
        Self {
            size: 0,
            sha256: Sha256::new(),
            sha384: Sha384::new(),
            sha512: with_sha512.then(Sha512::new),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        self.sha256.update(bytes);
        self.sha384.update(bytes);
        if let Some(h) = &mut self.sha512 {
            h.update(bytes);
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> Digests {
        Digests {
            size: self.size,
            sha256: hex::encode(self.sha256.finalize()),
            sri384: format!("sha384-{}", B64.encode(self.sha384.finalize())),
            sri512: self
                .sha512
                .map(|h| format!("sha512-{}", B64.encode(h.finalize()))),
        }
    }
}

/// Every digest of a file on disk.
pub fn digests_of_file(path: &Path, with_sha512: bool) -> std::io::Result<Digests> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = MultiHasher::new(with_sha512);
    let mut buf = vec![0u8; BUF];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// Digests of bytes in memory.
pub fn digests_of_bytes(bytes: &[u8], with_sha512: bool) -> Digests {
    let mut hasher = MultiHasher::new(with_sha512);
    hasher.update(bytes);
    hasher.finish()
}

/// sha256 (hex) and size of a file: the only hash `verify` needs, so it skips sha384.
pub fn sha256_of_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// sha256 hex of a string (digests of manifests and entries).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A hash the user pinned: it must match before a file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// `--sha256 <hex>` or the lock's sha256.
    Sha256(String),
    /// `--integrity "sha384-… sha512-…"`: per the SRI spec, only the strongest algorithm
    /// present counts, and any one of its values may match.
    Integrity(Vec<String>),
}

impl Expected {
    pub fn sha256(hex_digest: &str) -> Result<Self, HashError> {
        let h = hex_digest.trim().to_ascii_lowercase();
        let h = h.strip_prefix("sha256:").unwrap_or(&h).to_string();
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HashError::BadSha256(hex_digest.to_string()));
        }
        Ok(Self::Sha256(h))
    }

    pub fn integrity(value: &str) -> Result<Self, HashError> {
        let mut tokens: Vec<String> = Vec::new();
        for token in value.split_ascii_whitespace() {
            // SRI allows `?options` after the digest; they carry no meaning today.
            let token = token.split('?').next().unwrap_or(token);
            let (alg, b64) = token
                .split_once('-')
                .ok_or_else(|| HashError::BadIntegrity(value.to_string()))?;
            let want_len = match alg {
                "sha256" => 32,
                "sha384" => 48,
                "sha512" => 64,
                _ => return Err(HashError::BadIntegrity(value.to_string())),
            };
            match B64.decode(b64) {
                Ok(bytes) if bytes.len() == want_len => tokens.push(format!("{alg}-{b64}")),
                _ => return Err(HashError::BadIntegrity(value.to_string())),
            }
        }
        let strongest = ["sha512", "sha384", "sha256"]
            .into_iter()
            .find(|alg| tokens.iter().any(|t| t.starts_with(alg)))
            .ok_or_else(|| HashError::BadIntegrity(value.to_string()))?;
        tokens.retain(|t| t.starts_with(strongest));
        Ok(Self::Integrity(tokens))
    }

    /// Whether computing this needs sha512.
    pub fn needs_sha512(&self) -> bool {
        matches!(self, Self::Integrity(t) if t.iter().any(|t| t.starts_with("sha512-")))
    }

    /// `Ok(())`, or `Err((expected, actual))` in the same notation for the message.
    pub fn check(&self, got: &Digests) -> Result<(), (String, String)> {
        match self {
            Self::Sha256(want) => {
                if *want == got.sha256 {
                    Ok(())
                } else {
                    Err((format!("sha256:{want}"), format!("sha256:{}", got.sha256)))
                }
            }
            Self::Integrity(tokens) => {
                let actual = match tokens.first().map(|t| &t[..6]) {
                    Some("sha512") => got.sri512.clone().unwrap_or_default(),
                    Some("sha384") => got.sri384.clone(),
                    _ => got.sri256(),
                };
                if tokens.contains(&actual) {
                    Ok(())
                } else {
                    Err((tokens.join(" "), actual))
                }
            }
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sha256(h) => write!(f, "sha256:{h}"),
            Self::Integrity(t) => f.write_str(&t.join(" ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let d = digests_of_bytes(b"abc", true);
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            d.sri384,
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
        assert_eq!(d.size, 3);
        assert!(Expected::sha256(&d.sha256).unwrap().check(&d).is_ok());
        assert!(Expected::integrity(&d.sri384).unwrap().check(&d).is_ok());
        assert!(
            Expected::integrity(d.sri512.as_deref().unwrap())
                .unwrap()
                .check(&d)
                .is_ok()
        );
        assert!(Expected::integrity(&d.sri256()).unwrap().check(&d).is_ok());
    }

    #[test]
    fn strongest_algorithm_wins() {
        let d = digests_of_bytes(b"abc", false);
        let other = digests_of_bytes(b"abd", false);
        // The sha256 token matches, but sha384 is stronger and does not: mismatch.
        let value = format!("{} {}", d.sri256(), other.sri384);
        let (want, got) = Expected::integrity(&value).unwrap().check(&d).unwrap_err();
        assert_eq!(want, other.sri384);
        assert_eq!(got, d.sri384);
    }

    #[test]
    fn bad_pins_are_rejected() {
        assert!(Expected::sha256("abc").is_err());
        assert!(Expected::integrity("md5-abc").is_err());
        assert!(Expected::integrity("sha384-AAAA").is_err());
        assert!(Expected::integrity("").is_err());
    }
}

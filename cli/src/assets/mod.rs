//! Vendored JS/CSS assets: everything `devenv vendor …` does that touches the network or the
//! disk. The manifest/lock format, hashing and offline verification live in the
//! `vendor-manifest` crate; this module adds fetching (mirrors, retries, size cap, content
//! checks, progress), atomic staging, the process lock, the stat cache that lets `sync` skip
//! hashing, the npm registry client, and the remote-reference scanner.
//!
//! - [`config`]: the `vendor:` section of devenv.yaml and the env vars that override it.
//! - [`project`]: manifest and lock paths, atomic writes, the busy lock.
//! - [`fetch`]: HTTP with mirrors, retries, redirect and plain-http policy, staging.
//! - [`add`], [`sync`], [`remove`]: one file per operation, as cargo's `ops/`; [`on_disk`]:
//!   files against the lock (stat cache, then hash), shared by them.
//! - [`update`]: outdated and update via the registry; [`verify`]: files against the lock.
//! - [`scan`]: remote asset references in templates, CSS and JS, and what `scan --add` vendors.

pub(crate) mod add;
pub(crate) mod config;
pub(crate) mod fetch;
mod on_disk;
pub(crate) mod project;
pub(crate) mod registry;
pub(crate) mod remove;
pub(crate) mod scan;
pub(crate) mod statcache;
pub(crate) mod sync;
pub(crate) mod update;
pub(crate) mod verify;

pub(crate) use config::VendorConfig;

use crate::error::{Diagnose, Kind};

/// Errors from vendoring. Each says which file or URL; causes go in `#[source]`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VendorError {
    #[error("{0}")]
    Invalid(String),
    #[error("no vendor manifest at `{path}`")]
    NoManifest { path: String },
    #[error("no vendor lock at `{path}`")]
    NoLock { path: String },
    #[error("invalid vendor manifest")]
    Manifest(#[source] vendor_manifest::ManifestError),
    #[error("invalid vendor lock")]
    Lock(#[source] vendor_manifest::LockError),
    #[error("unsafe destination for `{name}`")]
    Dest {
        name: String,
        #[source]
        source: vendor_manifest::PathError,
    },
    #[error("invalid hash pin")]
    Pin(#[source] vendor_manifest::HashError),
    #[error("checksum mismatch for {url}\n  expected {expected}\n  actual   {actual}")]
    Mismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{url}: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("could not download {url}")]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: download stopped after {got} of {expected} bytes")]
    Interrupted {
        url: String,
        got: u64,
        expected: u64,
    },
    #[error("{url}: file is {size} bytes, over the {cap}-byte size cap")]
    TooLarge { url: String, size: u64, cap: u64 },
    #[error("{url} redirected to plain http `{location}`")]
    InsecureRedirect { url: String, location: String },
    #[error("refusing plain http URL {url}")]
    PlainHttp { url: String, host: String },
    #[error("{url}: {reason}")]
    ContentType { url: String, reason: String },
    #[error("another `devenv vendor` command is running here{holder}")]
    Busy { path: String, holder: String },
    #[error("no asset named `{name}`")]
    UnknownAsset {
        name: String,
        suggestion: Option<String>,
    },
    #[error("{count} asset(s) need downloading, but --offline was given: {names}")]
    Offline { count: usize, names: String },
    #[error("npm registry: {package}: {message}")]
    Registry { package: String, message: String },
}

impl Diagnose for VendorError {
    fn kind(&self) -> Kind {
        match self {
            Self::Network { .. } | Self::Interrupted { .. } | Self::Registry { .. } => {
                Kind::Internal
            }
            Self::Http { status, .. } if *status >= 500 => Kind::Internal,
            _ => Kind::User,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoManifest { .. } => {
                "create one with `devenv vendor add URL` (see docs/vendor.md)".into()
            }
            Self::NoLock { .. } => "run `devenv vendor sync` to write it".into(),
            Self::Dest { .. } => {
                "destinations are relative to the project folder and must stay inside it".into()
            }
            Self::Mismatch { .. } => "the file changed upstream or in transit; nothing was written. Check the URL and the pinned hash".into(),
            Self::Http { status: 404, .. } => "check the URL (package name, version and path)".into(),
            Self::Http { status, .. } if *status >= 500 => {
                "the server failed after retries; try again later or set a mirror (`vendor.mirrors` / DEVENV_VENDOR_MIRRORS)".into()
            }
            Self::Network { .. } | Self::Interrupted { .. } => {
                "check the network, or set a mirror (`vendor.mirrors` / DEVENV_VENDOR_MIRRORS); `vendor.timeout_secs` and `vendor.retries` tune patience".into()
            }
            Self::TooLarge { .. } => "raise `vendor.max_size` in devenv.yaml if this file is expected".into(),
            Self::InsecureRedirect { .. } => "use the final https URL directly, or a mirror".into(),
            Self::PlainHttp { host, .. } => {
                format!("use https, or allow this host with `vendor.allow_http: [{host}]` in devenv.yaml")
            }
            Self::ContentType { .. } => {
                "the server answered with a web page, not the asset: check the URL".into()
            }
            Self::Busy { path, .. } => {
                format!("wait for it to finish; the lock is held on `{path}`")
            }
            Self::UnknownAsset {
                suggestion: Some(s),
                ..
            } => format!("did you mean `{s}`?"),
            Self::UnknownAsset { .. } => "`devenv vendor verify` lists the asset names".into(),
            Self::Offline { .. } => "run `devenv vendor sync` without --offline".into(),
            _ => return None,
        })
    }
}

/// Every name in `names` must be an asset of `manifest` (else: the closest one).
pub(crate) fn require_known(
    manifest: &vendor_manifest::Manifest,
    names: &[String],
) -> Result<(), VendorError> {
    for name in names {
        if !manifest.assets.contains_key(name) {
            return Err(VendorError::UnknownAsset {
                name: name.clone(),
                suggestion: suggest(name, manifest.assets.keys()),
            });
        }
    }
    Ok(())
}

/// The closest name, for "did you mean".
pub(crate) fn suggest<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> Option<String> {
    names
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.clone())
}

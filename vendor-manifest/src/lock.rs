//! `vendor.lock`: what the tool resolved and checked, per asset. JSON with a fixed key order
//! and no timestamps, so diffs show only real changes. Written last, after every file is
//! verified, and atomically (by the caller: temp file, fsync, rename).
//!
//! ```json
//! {
//!   "lock_version": 1,
//!   "generated_by": "devenv vendor; do not edit",
//!   "manifest_sha256": "<hex of the manifest bytes the lock was written from>",
//!   "assets": {
//!     "htmx": {
//!       "url": "https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js",
//!       "dest": "static/vendor/htmx/htmx.min.js",
//!       "size": 50387,
//!       "sha256": "<hex>",
//!       "integrity": "sha384-<base64>",
//!       "registry": "npm", "package": "htmx.org", "version": "2.0.3",
//!       "entry_digest": "sha256:<hex of the manifest entry>"
//!     }
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::hash::Digests;
use crate::manifest::Entry;
use crate::source::PackageRef;

pub const LOCK_VERSION: u32 = 1;
const GENERATED_BY: &str = "devenv vendor; do not edit";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: not a valid vendor lock: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: unsupported lock version {found} (this devenv reads version {LOCK_VERSION})")]
    Version { path: String, found: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedAsset {
    pub url: String,
    pub dest: String,
    pub size: u64,
    /// Lowercase hex, as `sha256sum` prints it.
    pub sha256: String,
    /// SRI form, `sha384-<base64>`.
    pub integrity: String,
    /// `npm` or `cdnjs` when the URL named a package version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// [`Entry::digest`] of the manifest entry this was resolved from.
    pub entry_digest: String,
}

impl LockedAsset {
    /// The lock record for a manifest entry whose download produced `digests`.
    pub fn new(entry: &Entry, digests: &Digests) -> Self {
        let package = PackageRef::parse(&entry.url);
        Self {
            url: entry.url.clone(),
            dest: entry.dest.clone(),
            size: digests.size,
            sha256: digests.sha256.clone(),
            integrity: digests.sri384.clone(),
            registry: package.as_ref().map(|p| p.registry.as_str().to_string()),
            package: package.as_ref().map(|p| p.name.clone()),
            version: package.map(|p| p.version),
            entry_digest: entry.digest(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub lock_version: u32,
    #[serde(default)]
    pub generated_by: String,
    /// sha256 (hex) of the manifest file's bytes when the lock was written: when it still
    /// matches, nothing in the manifest changed and entries need not be compared.
    pub manifest_sha256: String,
    #[serde(default)]
    pub assets: BTreeMap<String, LockedAsset>,
}

impl Default for Lock {
    fn default() -> Self {
        Self {
            lock_version: LOCK_VERSION,
            generated_by: GENERATED_BY.to_string(),
            manifest_sha256: String::new(),
            assets: BTreeMap::new(),
        }
    }
}

impl Lock {
    pub fn parse(text: &str, path: &Path) -> Result<Self, LockError> {
        let lock: Lock = serde_json::from_str(text).map_err(|err| LockError::Invalid {
            path: path.display().to_string(),
            message: err.to_string(),
        })?;
        if lock.lock_version != LOCK_VERSION {
            return Err(LockError::Version {
                path: path.display().to_string(),
                found: lock.lock_version,
            });
        }
        for (name, asset) in &lock.assets {
            crate::paths::check_relative(&asset.dest).map_err(|e| LockError::Invalid {
                path: path.display().to_string(),
                message: format!("asset `{name}`: {e}"),
            })?;
        }
        Ok(lock)
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut lock = self.clone();
        lock.generated_by = GENERATED_BY.to_string();
        let mut text = serde_json::to_string_pretty(&lock).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The lock entry for `name`, if it still describes the manifest entry.
    pub fn current(&self, name: &str, entry: &Entry) -> Option<&LockedAsset> {
        self.assets.get(name).filter(|a| {
            a.entry_digest == entry.digest() && a.url == entry.url && a.dest == entry.dest
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::digests_of_bytes;

    #[test]
    fn round_trips_and_records_the_version() {
        let entry = Entry {
            url: "https://unpkg.com/htmx.org@2.0.3/dist/htmx.min.js".into(),
            dest: "static/htmx.min.js".into(),
            sha256: None,
            integrity: None,
        };
        let mut lock = Lock::default();
        let asset = LockedAsset::new(&entry, &digests_of_bytes(b"x", false));
        assert_eq!(asset.version.as_deref(), Some("2.0.3"));
        assert_eq!(asset.package.as_deref(), Some("htmx.org"));
        lock.assets.insert("htmx".into(), asset);
        let text = lock.to_json();
        let again = Lock::parse(&text, Path::new("vendor.lock")).unwrap();
        assert_eq!(again, lock);
        assert!(again.current("htmx", &entry).is_some());
        let mut moved = entry.clone();
        moved.dest = "static/other.js".into();
        assert!(again.current("htmx", &moved).is_none());
    }

    #[test]
    fn rejects_garbage_and_escapes() {
        assert!(Lock::parse("{", Path::new("l")).is_err());
        let text = r#"{"lock_version":1,"manifest_sha256":"","assets":{"x":{"url":"u","dest":"../x","size":1,"sha256":"a","integrity":"b","entry_digest":"c"}}}"#;
        assert!(Lock::parse(text, Path::new("l")).is_err());
    }
}

//! A per-checkout cache of (size, mtime, ctime, inode) → sha256 for vendored files, like
//! git's index, so `sync` with everything in place needs neither network nor hashing.
//! It lives outside the repository (`$XDG_CACHE_HOME/devenv/vendor/`, else
//! `~/.cache/devenv/vendor/`), keyed by the project folder; losing it only costs a re-hash.
//! `verify` never uses it: verify always hashes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub ino: u64,
}

impl Stamp {
    pub(crate) fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Self {
                size: meta.len(),
                mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
                ctime_ns: meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos() as i128)
                .unwrap_or(0);
            Self {
                size: meta.len(),
                mtime_ns,
                ctime_ns: 0,
                ino: 0,
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    stamp: Stamp,
    sha256: String,
}

#[derive(Debug, Default)]
pub(crate) struct StatCache {
    path: Option<PathBuf>,
    records: BTreeMap<String, Record>,
    dirty: bool,
}

fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("devenv").join("vendor"))
}

impl StatCache {
    /// Load the cache for this project (empty when absent or unreadable).
    pub(crate) fn load(project_dir: &Path) -> Self {
        let Some(dir) = cache_dir() else {
            return Self::default();
        };
        let key = vendor_manifest::hash::sha256_hex(project_dir.to_string_lossy().as_bytes());
        let path = dir.join(format!("{}.json", &key[..24]));
        let records = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Self {
            path: Some(path),
            records,
            dirty: false,
        }
    }

    /// The sha256 recorded for `dest` if the file still has the same stamp.
    pub(crate) fn lookup(&self, dest: &str, stamp: &Stamp) -> Option<&str> {
        self.records
            .get(dest)
            .filter(|r| r.stamp == *stamp)
            .map(|r| r.sha256.as_str())
    }

    pub(crate) fn record(&mut self, dest: &str, stamp: Stamp, sha256: &str) {
        self.records.insert(
            dest.to_string(),
            Record {
                stamp,
                sha256: sha256.to_string(),
            },
        );
        self.dirty = true;
    }

    pub(crate) fn forget(&mut self, dest: &str) {
        self.dirty |= self.records.remove(dest).is_some();
    }

    /// Save if anything changed (best effort: a cache that cannot be written is skipped).
    pub(crate) fn save(&self) {
        let (Some(path), true) = (&self.path, self.dirty) else {
            return;
        };
        if let Some(dir) = path.parent()
            && std::fs::create_dir_all(dir).is_ok()
            && let Ok(text) = serde_json::to_vec(&self.records)
        {
            let _ = super::project::write_atomic(path, &text);
        }
    }
}

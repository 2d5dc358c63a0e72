//! Offline verification: every locked file against the disk (size, then sha256, hashed in
//! parallel across cores), and the lock against the manifest (entry digests).

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::hash::sha256_of_file;
use crate::lock::{Lock, LockedAsset};
use crate::manifest::Manifest;
use crate::paths::resolve_inside;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FileStatus {
    Ok,
    Missing,
    /// Present with other bytes.
    Modified {
        actual_size: u64,
        actual_sha256: String,
    },
    /// A folder or other non-file sits at the destination.
    NotAFile,
    /// The destination escapes the project (symlink) or is a symlink.
    Unsafe {
        reason: String,
    },
    /// Present but could not be read: an error, not drift.
    Unreadable {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub name: String,
    pub dest: String,
    pub expected_size: u64,
    pub expected_sha256: String,
    #[serde(flatten)]
    pub status: FileStatus,
}

impl FileCheck {
    pub fn is_ok(&self) -> bool {
        self.status == FileStatus::Ok
    }
}

/// Check one locked file on disk.
pub fn check_file(root: &Path, name: &str, asset: &LockedAsset) -> FileCheck {
    let status = match resolve_inside(root, &asset.dest) {
        Err(e) => FileStatus::Unsafe {
            reason: e.to_string(),
        },
        Ok(path) => match path.metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileStatus::Missing,
            Err(e) => FileStatus::Unreadable {
                reason: format!("{}: {e}", path.display()),
            },
            Ok(meta) if !meta.is_file() => FileStatus::NotAFile,
            Ok(_) => match sha256_of_file(&path) {
                Err(e) => FileStatus::Unreadable {
                    reason: e.to_string(),
                },
                Ok((size, sha)) if size == asset.size && sha == asset.sha256 => FileStatus::Ok,
                Ok((size, sha)) => FileStatus::Modified {
                    actual_size: size,
                    actual_sha256: sha,
                },
            },
        },
    };
    FileCheck {
        name: name.to_string(),
        dest: asset.dest.clone(),
        expected_size: asset.size,
        expected_sha256: asset.sha256.clone(),
        status,
    }
}

/// Every locked file, hashed in parallel; results in the lock's (sorted) order.
pub fn verify_files(root: &Path, lock: &Lock) -> Vec<FileCheck> {
    let assets: Vec<(&String, &LockedAsset)> = lock.assets.iter().collect();
    assets
        .par_iter()
        .map(|(name, asset)| check_file(root, name, asset))
        .collect()
}

/// How the manifest and the lock relate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManifestStatus {
    /// In both, but the manifest entry changed since it was locked.
    pub changed: Vec<String>,
    /// In the manifest, not in the lock.
    pub unlocked: Vec<String>,
    /// In the lock, no longer in the manifest.
    pub orphaned: Vec<String>,
}

impl ManifestStatus {
    pub fn is_current(&self) -> bool {
        self.changed.is_empty() && self.unlocked.is_empty() && self.orphaned.is_empty()
    }
}

/// Compare entry digests. `manifest_sha256` is the hex sha256 of the manifest file's bytes:
/// when it equals the lock's, nothing changed and no entry is compared.
pub fn manifest_status(manifest: &Manifest, manifest_sha256: &str, lock: &Lock) -> ManifestStatus {
    let mut status = ManifestStatus::default();
    if manifest_sha256 == lock.manifest_sha256 {
        return status;
    }
    for (name, entry) in &manifest.assets {
        match lock.assets.get(name) {
            None => status.unlocked.push(name.clone()),
            Some(_) if lock.current(name, entry).is_none() => status.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    for name in lock.assets.keys() {
        if !manifest.assets.contains_key(name) {
            status.orphaned.push(name.clone());
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::digests_of_bytes;
    use crate::manifest::Entry;

    fn setup() -> (tempfile::TempDir, Manifest, Lock) {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::default();
        let mut lock = Lock::default();
        for (name, body) in [("a", "alpha"), ("b", "bravo")] {
            let entry = Entry {
                url: format!("https://example.com/{name}.js"),
                dest: format!("static/{name}.js"),
                sha256: None,
                integrity: None,
            };
            std::fs::create_dir_all(dir.path().join("static")).unwrap();
            std::fs::write(dir.path().join(&entry.dest), body).unwrap();
            let asset = LockedAsset::new(&entry, &digests_of_bytes(body.as_bytes(), false));
            lock.assets.insert(name.into(), asset);
            manifest.assets.insert(name.into(), entry);
        }
        (dir, manifest, lock)
    }

    #[test]
    fn clean_then_drift() {
        let (dir, _, lock) = setup();
        assert!(verify_files(dir.path(), &lock).iter().all(FileCheck::is_ok));
        std::fs::write(dir.path().join("static/a.js"), "alpha!").unwrap();
        std::fs::remove_file(dir.path().join("static/b.js")).unwrap();
        let checks = verify_files(dir.path(), &lock);
        assert!(matches!(
            checks[0].status,
            FileStatus::Modified { actual_size: 6, .. }
        ));
        assert_eq!(checks[1].status, FileStatus::Missing);
    }

    #[test]
    fn manifest_changes_are_seen() {
        let (_dir, mut manifest, lock) = setup();
        assert!(manifest_status(&manifest, "x", &lock).is_current());
        manifest.assets.get_mut("a").unwrap().dest = "static/z.js".into();
        manifest.assets.remove("b");
        manifest.assets.insert(
            "c".into(),
            Entry {
                url: "https://example.com/c.js".into(),
                dest: "c.js".into(),
                sha256: None,
                integrity: None,
            },
        );
        let s = manifest_status(&manifest, "x", &lock);
        assert_eq!(s.changed, vec!["a"]);
        assert_eq!(s.unlocked, vec!["c"]);
        assert_eq!(s.orphaned, vec!["b"]);
        // Same bytes as when locked: trusted without comparing entries.
        let mut same = lock.clone();
        same.manifest_sha256 = "x".into();
        assert!(manifest_status(&manifest, "x", &same).is_current());
    }
}

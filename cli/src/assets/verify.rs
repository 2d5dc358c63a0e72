//! `verify`: every vendored file against the lock, and the lock against the manifest,
//! offline (hashing every file; the stat cache is never trusted here). The hashing and the
//! comparisons are `vendor_manifest::verify`'s; this file loads the project's manifest and
//! lock and sums up.

use serde::Serialize;
use vendor_manifest::verify::{
    FileCheck, FileStatus, ManifestStatus, manifest_status, verify_files,
};

use super::VendorError;
use super::config::Options;
use super::project::{load_lock, load_manifest, shown};

/// What `verify` found; `--json` prints it as is.
#[derive(Debug, Serialize)]
pub(crate) struct VerifyReport {
    /// Every file matches and the lock is current.
    pub ok: bool,
    pub files: Vec<FileCheck>,
    pub manifest: ManifestStatus,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    pub total: usize,
    pub ok: usize,
    /// Missing, modified, unsafe or not a file.
    pub drift: usize,
    /// Could not be read.
    pub errors: usize,
}

/// Check the project's vendored files; an error when manifest or lock is missing or invalid.
pub(crate) async fn verify(opts: &Options) -> anyhow::Result<VerifyReport> {
    let lock = load_lock(opts)?.ok_or_else(|| VendorError::NoLock {
        path: shown(opts, &opts.lock_path).display().to_string(),
    })?;
    let manifest = load_manifest(opts)?.ok_or_else(|| VendorError::NoManifest {
        path: shown(opts, &opts.manifest_path).display().to_string(),
    })?;
    let root = opts.project_dir.clone();
    let lock_for_hash = lock.clone();
    let files = tokio::task::spawn_blocking(move || verify_files(&root, &lock_for_hash)).await?;
    let mstatus = manifest_status(&manifest.manifest, &manifest.sha256, &lock);
    let errors = files
        .iter()
        .filter(|c| matches!(c.status, FileStatus::Unreadable { .. }))
        .count();
    let ok = files.iter().filter(|c| c.is_ok()).count();
    let drift = files.len() - ok - errors;
    Ok(VerifyReport {
        ok: drift == 0 && errors == 0 && mstatus.is_current(),
        summary: Summary {
            total: files.len(),
            ok,
            drift,
            errors,
        },
        files,
        manifest: mstatus,
    })
}

//! `devenv vendor verify [--json]`: never uses the network. Exit 0 when every file matches
//! the lock and the lock matches the manifest, 1 on drift, 2 when the check could not run.

use serde::Serialize;
use vendor_manifest::verify::{
    FileCheck, FileStatus, ManifestStatus, manifest_status, verify_files,
};

use crate::assets::VendorError;
use crate::assets::project::{load_lock, load_manifest, shown};
use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    files: &'a [FileCheck],
    manifest: &'a ManifestStatus,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    total: usize,
    ok: usize,
    drift: usize,
    errors: usize,
}

pub(crate) async fn run(args: VerifyArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    // Any error here means the check could not run: exit 2, not 1.
    match check(args, &settings).await {
        Ok(status) => Ok(status),
        Err(err) => Err(err.context(Hinted::internal("vendor verify could not run"))),
    }
}

async fn check(_args: VerifyArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let opts = super::options(settings)?;
    let printer = &settings.printer;
    let lock = load_lock(&opts)?.ok_or_else(|| VendorError::NoLock {
        path: shown(&opts, &opts.lock_path).display().to_string(),
    })?;
    let manifest = load_manifest(&opts)?.ok_or_else(|| VendorError::NoManifest {
        path: shown(&opts, &opts.manifest_path).display().to_string(),
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
    let clean = drift == 0 && errors == 0 && mstatus.is_current();
    if printer.json() {
        printer.json_value(&Report {
            ok: clean,
            files: &files,
            manifest: &mstatus,
            summary: Summary {
                total: files.len(),
                ok,
                drift,
                errors,
            },
        })?;
    } else {
        for c in files.iter().filter(|c| !c.is_ok()) {
            match &c.status {
                FileStatus::Ok => {}
                FileStatus::Missing => printer.data(format!("missing   {} ({})", c.dest, c.name)),
                FileStatus::Modified {
                    actual_size,
                    actual_sha256,
                } => {
                    printer.data(format!("modified  {} ({})", c.dest, c.name));
                    printer.data(format!(
                        "  expected sha256:{} ({} bytes)",
                        c.expected_sha256, c.expected_size
                    ));
                    printer.data(format!(
                        "  actual   sha256:{actual_sha256} ({actual_size} bytes)"
                    ));
                }
                FileStatus::NotAFile => printer.data(format!("not-file  {} ({})", c.dest, c.name)),
                FileStatus::Unsafe { reason } => {
                    printer.data(format!("unsafe    {} ({}): {reason}", c.dest, c.name));
                }
                FileStatus::Unreadable { reason } => {
                    printer.data(format!("error     {} ({}): {reason}", c.dest, c.name));
                }
            }
        }
        for name in &mstatus.changed {
            printer.data(format!(
                "stale     {name}: the manifest entry changed since it was locked"
            ));
        }
        for name in &mstatus.unlocked {
            printer.data(format!(
                "unlocked  {name}: in the manifest but not in the lock"
            ));
        }
        for name in &mstatus.orphaned {
            printer.data(format!(
                "orphaned  {name}: in the lock but no longer in the manifest"
            ));
        }
        if clean {
            printer.status(
                "Verified",
                format!("{} vendored file(s) match the lock", files.len()),
            );
        } else {
            printer.info(format!(
                "{ok} of {} file(s) match; run `devenv vendor sync` to restore the locked files",
                files.len()
            ));
        }
    }
    Ok(if errors > 0 {
        ExitStatus::Error
    } else if clean {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

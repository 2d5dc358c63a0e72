//! `devenv vendor verify [--json]`: never uses the network. Exit 0 when every file matches
//! the lock and the lock matches the manifest, 1 on drift, 2 when the check could not run.

use vendor_manifest::verify::{FileCheck, FileStatus};

use crate::assets::verify::{VerifyReport, verify};
use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;
use crate::ui::Printer;

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {}

pub(crate) async fn run(_args: VerifyArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    // Any error here means the check could not run: exit 2, not 1.
    let could_not_run =
        |err: anyhow::Error| err.context(Hinted::internal("vendor verify could not run"));
    let opts = super::options(&settings).map_err(could_not_run)?;
    let report = verify(&opts).await.map_err(could_not_run)?;
    let printer = &settings.printer;
    if printer.json() {
        printer.json_value(&report).map_err(could_not_run)?;
    } else {
        print(&report, printer);
    }
    Ok(if report.summary.errors > 0 {
        ExitStatus::Error
    } else if report.ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// One line (or three, for a modified file) per file that does not match, one per stale,
/// unlocked or orphaned manifest entry, then the verdict.
fn print(report: &VerifyReport, printer: &Printer) {
    for c in report.files.iter().filter(|c| !c.is_ok()) {
        for line in file_lines(c) {
            printer.data(line);
        }
    }
    let m = &report.manifest;
    for name in &m.changed {
        printer.data(format!(
            "stale     {name}: the manifest entry changed since it was locked"
        ));
    }
    for name in &m.unlocked {
        printer.data(format!(
            "unlocked  {name}: in the manifest but not in the lock"
        ));
    }
    for name in &m.orphaned {
        printer.data(format!(
            "orphaned  {name}: in the lock but no longer in the manifest"
        ));
    }
    let total = report.files.len();
    if report.ok {
        printer.status(
            "Verified",
            format!("{total} vendored file(s) match the lock"),
        );
    } else {
        printer.info(format!(
            "{} of {total} file(s) match; run `devenv vendor sync` to restore the locked files",
            report.summary.ok
        ));
    }
}

fn file_lines(c: &FileCheck) -> Vec<String> {
    let (dest, name) = (&c.dest, &c.name);
    match &c.status {
        FileStatus::Ok => Vec::new(),
        FileStatus::Missing => vec![format!("missing   {dest} ({name})")],
        FileStatus::Modified {
            actual_size,
            actual_sha256,
        } => vec![
            format!("modified  {dest} ({name})"),
            format!(
                "  expected sha256:{} ({} bytes)",
                c.expected_sha256, c.expected_size
            ),
            format!("  actual   sha256:{actual_sha256} ({actual_size} bytes)"),
        ],
        FileStatus::NotAFile => vec![format!("not-file  {dest} ({name})")],
        FileStatus::Unsafe { reason } => vec![format!("unsafe    {dest} ({name}): {reason}")],
        FileStatus::Unreadable { reason } => {
            vec![format!("error     {dest} ({name}): {reason}")]
        }
    }
}

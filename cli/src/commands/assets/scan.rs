//! `devenv vendor scan [PATH...] [--json] [--add]`: exit 1 when any remote reference is found.

use std::collections::HashSet;

use crate::assets::add::add;
use crate::assets::scan::{ScanOptions, ScanReport, add_requests, scan};
use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;
use crate::ui::Printer;

#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    /// Files or folders to scan (default: the project folder).
    pub paths: Vec<std::path::PathBuf>,
    /// Vendor every fetchable URL found (pinning the template's own `integrity` when present).
    #[arg(long)]
    pub add: bool,
}

pub(crate) async fn run(args: ScanArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    // Anything that stops the scan itself is exit 2, so CI can tell it from findings (1).
    let could_not_scan =
        |e: anyhow::Error| e.context(Hinted::internal("vendor scan could not run"));
    let opts = super::options(&settings).map_err(could_not_scan)?;
    let printer = &settings.printer;
    let scan_opts = ScanOptions::for_project(&opts, &args.paths).map_err(could_not_scan)?;
    let report: ScanReport = tokio::task::spawn_blocking(move || scan(&scan_opts))
        .await?
        .map_err(could_not_scan)?;
    if printer.json() {
        printer.json_value(&report)?;
    } else {
        print(&report, printer);
    }
    if args.add && !report.findings.is_empty() {
        let requests = add_requests(&report, printer);
        if !requests.is_empty() {
            let outcome = add(&opts, printer, requests).await?;
            for a in &outcome.added {
                printer.status(
                    "Vendored",
                    format!(
                        "{} → {} (replace the reference with the local path)",
                        a.url, a.dest
                    ),
                );
            }
        }
    }
    Ok(if report.findings.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// `file:line:col: kind url (notes)` per finding, a summary, and a warning per
/// known-compromised host.
fn print(report: &ScanReport, printer: &Printer) {
    for f in &report.findings {
        let mut notes = Vec::new();
        if let Some(cdn) = f.cdn {
            notes.push(cdn.to_string());
        }
        match f.integrity {
            Some(true) => notes.push("integrity".into()),
            Some(false) => notes.push("no integrity".into()),
            None => {}
        }
        if f.compromised {
            notes.push("COMPROMISED HOST".into());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        printer.data(format!(
            "{}:{}:{}: {} {}{notes}",
            f.file, f.line, f.column, f.kind, f.url
        ));
    }
    let files: HashSet<&str> = report.findings.iter().map(|f| f.file.as_str()).collect();
    if report.findings.is_empty() {
        printer.status(
            "Clean",
            format!(
                "no remote asset references in {} file(s)",
                report.files_scanned
            ),
        );
    } else {
        printer.info(format!(
            "{} remote reference(s) in {} of {} file(s) scanned",
            report.findings.len(),
            files.len(),
            report.files_scanned
        ));
    }
    for f in report.findings.iter().filter(|f| f.compromised) {
        printer.warn(format!(
            "{}:{}: `{}` is a known-compromised host; remove this reference",
            f.file, f.line, f.host
        ));
    }
}

//! `devenv vendor scan [PATH...] [--json] [--add]`: exit 1 when any remote reference is found.

use std::collections::{BTreeMap, HashSet};

use crate::assets::add::{AddRequest, add};
use crate::assets::project::{load_lock, load_manifest};
use crate::assets::scan::{ScanOptions, ScanReport, hosts, scan};
use crate::error::ExitStatus;
use crate::settings::Settings;

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
        |e: anyhow::Error| e.context(crate::error::Hinted::internal("vendor scan could not run"));
    let opts = super::options(&settings).map_err(could_not_scan)?;
    let printer = &settings.printer;
    let mut vendored = HashSet::new();
    if let Some(lock) = load_lock(&opts).map_err(could_not_scan)? {
        vendored.extend(lock.assets.values().map(|a| opts.project_dir.join(&a.dest)));
    }
    if let Some(m) = load_manifest(&opts).map_err(could_not_scan)? {
        vendored.extend(
            m.manifest
                .assets
                .values()
                .map(|e| opts.project_dir.join(&e.dest)),
        );
    }
    let scan_opts = ScanOptions {
        root: opts.project_dir.clone(),
        paths: args
            .paths
            .iter()
            .map(|p| opts.project_dir.join(p))
            .collect(),
        exclude: opts.scan_exclude.clone(),
        vendored,
        vendor_dir: Some(std::path::PathBuf::from(&opts.dest_dir))
            .filter(|d| !d.as_os_str().is_empty()),
    };
    let report: ScanReport = tokio::task::spawn_blocking(move || scan(&scan_opts))
        .await?
        .map_err(could_not_scan)?;
    if printer.json() {
        printer.json_value(&report)?;
    } else {
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
    if args.add && !report.findings.is_empty() {
        add_found(&report, &opts, printer).await?;
    }
    Ok(if report.findings.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Vendor each distinct fetchable URL (skipping preconnects and browser-dependent endpoints).
async fn add_found(
    report: &ScanReport,
    opts: &crate::assets::config::Options,
    printer: &crate::ui::Printer,
) -> anyhow::Result<()> {
    let mut urls: BTreeMap<String, Option<String>> = BTreeMap::new();
    for f in &report.findings {
        if matches!(f.kind, "preconnect" | "sourcemap" | "manifest")
            || f.url.contains("{{")
            || f.url.contains("{%")
            || f.url.contains("<%")
        {
            continue;
        }
        if hosts::is_dynamic(&f.host) {
            printer.warn(format!(
                "{}:{}: `{}` answers differently per browser or account; not vendored",
                f.file, f.line, f.url
            ));
            continue;
        }
        let url = if f.url.starts_with("//") {
            format!("https:{}", f.url)
        } else {
            f.url.clone()
        };
        let pin = f.integrity_value.clone();
        let slot = urls.entry(url).or_insert(None);
        if slot.is_none() {
            *slot = pin;
        }
    }
    let requests: Vec<AddRequest> = urls
        .into_iter()
        .map(|(url, integrity)| AddRequest {
            url,
            integrity,
            ..AddRequest::default()
        })
        .collect();
    if requests.is_empty() {
        return Ok(());
    }
    let outcome = add(opts, printer, requests).await?;
    for a in &outcome.added {
        printer.status(
            "Vendored",
            format!(
                "{} → {} (replace the reference with the local path)",
                a.url, a.dest
            ),
        );
    }
    Ok(())
}

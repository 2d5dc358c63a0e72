//! `outdated` (ask the npm registry about every versioned entry) and `update` (rewrite the
//! chosen entries to a newer version, fetch, verify, relock: all or nothing).

use futures_util::StreamExt;
use serde::Serialize;
use vendor_manifest::source::Registry;
use vendor_manifest::{Entry, LockedAsset, PackageRef};

use super::config::Options;
use super::fetch::{FetchJob, Fetcher};
use super::project::{BusyLock, load_lock, require_manifest, save};
use super::registry::{PackageInfo, Version, npm_info};
use super::statcache::{Stamp, StatCache};
use super::{VendorError, suggest};
use crate::ui::Printer;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct OutdatedRow {
    pub name: String,
    pub package: Option<String>,
    pub registry: Option<String>,
    pub current: Option<String>,
    /// Newest version with the same major.
    pub wanted: Option<String>,
    pub latest: Option<String>,
    /// `outdated`, `up_to_date`, or `unchecked` (with `reason`).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn unchecked(name: &str, p: Option<&PackageRef>, reason: &str) -> OutdatedRow {
    OutdatedRow {
        name: name.to_string(),
        package: p.map(|p| p.name.clone()),
        registry: p.map(|p| p.registry.as_str().to_string()),
        current: p.map(|p| p.version.clone()),
        wanted: None,
        latest: None,
        status: "unchecked",
        reason: Some(reason.to_string()),
    }
}

/// One row per manifest entry.
pub(crate) async fn outdated(
    opts: &Options,
    printer: &Printer,
) -> anyhow::Result<Vec<OutdatedRow>> {
    let manifest = require_manifest(opts)?.manifest;
    let fetcher = Fetcher::new(opts, printer)?;
    let spinner = printer.spinner("asking the npm registry");
    let rows: Vec<anyhow::Result<OutdatedRow>> = futures_util::stream::iter(manifest.assets.iter())
        .map(|(name, entry)| {
            let client = fetcher.client();
            async move {
                let Some(p) = PackageRef::parse(&entry.url) else {
                    return Ok(unchecked(name, None, "not a versioned CDN URL"));
                };
                if p.registry != Registry::Npm {
                    return Ok(unchecked(name, Some(&p), "only npm packages are checked"));
                }
                let Some(current) = Version::parse(&p.version) else {
                    return Ok(unchecked(
                        name,
                        Some(&p),
                        "the URL's version is a range or tag, not an exact version",
                    ));
                };
                let info: PackageInfo = npm_info(client, opts, &p.name).await?;
                let newer = Version::parse(&info.latest).is_some_and(|l| l > current);
                Ok(OutdatedRow {
                    name: name.clone(),
                    package: Some(p.name.clone()),
                    registry: Some("npm".into()),
                    current: Some(p.version.clone()),
                    wanted: info.wanted(&current),
                    latest: Some(info.latest.clone()),
                    status: if newer { "outdated" } else { "up_to_date" },
                    reason: None,
                })
            }
        })
        .buffered(opts.concurrency)
        .collect()
        .await;
    spinner.finish_and_clear();
    rows.into_iter().collect()
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct UpdateOutcome {
    pub updated: Vec<UpdatedAsset>,
    pub up_to_date: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct UpdatedAsset {
    pub name: String,
    pub from: String,
    pub to: String,
    pub url: String,
    pub sha256: String,
    pub integrity: String,
}

/// Update `names` (all versioned npm entries when empty) to `to`, or to the registry's latest.
pub(crate) async fn update(
    opts: &Options,
    printer: &Printer,
    names: &[String],
    to: Option<&str>,
) -> anyhow::Result<UpdateOutcome> {
    let _busy = BusyLock::acquire(opts)?;
    let mut manifest = require_manifest(opts)?.manifest;
    let mut lock = load_lock(opts)?.unwrap_or_default();
    for name in names {
        if !manifest.assets.contains_key(name) {
            return Err(VendorError::UnknownAsset {
                name: name.clone(),
                suggestion: suggest(name, manifest.assets.keys()),
            }
            .into());
        }
    }
    let fetcher = Fetcher::new(opts, printer)?;
    let mut outcome = UpdateOutcome::default();
    let mut planned: Vec<(String, Entry, String, String)> = Vec::new();
    for (name, entry) in &manifest.assets {
        let explicit = names.contains(name);
        if !names.is_empty() && !explicit {
            continue;
        }
        let package = PackageRef::parse(&entry.url).filter(|p| p.registry == Registry::Npm);
        let Some(p) = package else {
            if explicit {
                return Err(VendorError::Invalid(format!(
                    "`{name}` is not a versioned npm CDN URL (jsDelivr `/npm/pkg@ver/…` or unpkg), so it cannot be updated; edit its URL instead"
                ))
                .into());
            }
            continue;
        };
        let target = match to {
            Some(v) => v.to_string(),
            None => npm_info(fetcher.client(), opts, &p.name).await?.latest,
        };
        // An explicit `--to` may go anywhere; `latest` only ever moves an entry forward (an
        // entry pinned to a pre-release above `latest` stays, as `outdated` reports it).
        let newer = match (Version::parse(&target), Version::parse(&p.version)) {
            (Some(t), Some(c)) if to.is_some() => t != c,
            (Some(t), Some(c)) => t > c,
            _ => target != p.version,
        };
        if !newer {
            outcome.up_to_date.push(name.clone());
            continue;
        }
        let mut new_entry = entry.clone();
        new_entry.url = p.url_for_version(&target);
        if new_entry.sha256.take().is_some() | new_entry.integrity.take().is_some() {
            printer.note(format!("`{name}`: dropped the hash pin of the old version"));
        }
        planned.push((name.clone(), new_entry, p.version.clone(), target));
    }
    if planned.is_empty() {
        return Ok(outcome);
    }
    let jobs = planned
        .iter()
        .map(|(name, entry, _, _)| FetchJob {
            name: name.clone(),
            url: entry.url.clone(),
            dest: entry.dest.clone(),
            expected: Vec::new(),
        })
        .collect();
    let staging = fetcher.fetch_all(jobs).await?;
    let committed = staging.commit()?;
    let mut cache = StatCache::load(&opts.project_dir);
    for ((name, entry, from, to), (_, digests)) in planned.into_iter().zip(committed) {
        let asset = LockedAsset::new(&entry, &digests);
        if let Ok(meta) = opts.project_dir.join(&asset.dest).metadata() {
            cache.record(&asset.dest, Stamp::of(&meta), &asset.sha256);
        }
        printer.status("Updated", format!("{name} {from} → {to}"));
        outcome.updated.push(UpdatedAsset {
            name: name.clone(),
            from,
            to,
            url: entry.url.clone(),
            sha256: asset.sha256.clone(),
            integrity: asset.integrity.clone(),
        });
        lock.assets.insert(name.clone(), asset);
        manifest.assets.insert(name, entry);
    }
    save(opts, &manifest, &mut lock, true)?;
    cache.save();
    Ok(outcome)
}

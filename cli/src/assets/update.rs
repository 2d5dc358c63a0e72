//! `outdated` (ask the npm registry about every versioned entry) and `update` (rewrite the
//! chosen entries to a newer version, fetch, verify, relock: all or nothing).

use futures_util::StreamExt;
use serde::Serialize;
use vendor_manifest::hash::Digests;
use vendor_manifest::source::Registry;
use vendor_manifest::{Entry, LockedAsset, PackageRef};

use super::config::Options;
use super::fetch::{FetchJob, Fetcher};
use super::on_disk::record_stamp;
use super::project::{BusyLock, load_lock, require_manifest, save};
use super::registry::{PackageInfo, Version, npm_info};
use super::statcache::StatCache;
use super::{VendorError, require_known};
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
    require_known(&manifest, names)?;
    let updater = Updater {
        opts,
        printer,
        fetcher: Fetcher::new(opts, printer)?,
        to,
    };
    let mut outcome = UpdateOutcome::default();
    let mut planned = Vec::new();
    for (name, entry) in &manifest.assets {
        let explicit = names.contains(name);
        if !names.is_empty() && !explicit {
            continue;
        }
        match updater.plan(name, entry, explicit).await? {
            Step::Skip => {}
            Step::UpToDate => outcome.up_to_date.push(name.clone()),
            Step::Update(p) => planned.push(p),
        }
    }
    if planned.is_empty() {
        return Ok(outcome);
    }
    let committed = updater.fetch(&planned).await?;
    let mut cache = StatCache::load(&opts.project_dir);
    for (p, (_, digests)) in planned.into_iter().zip(committed) {
        let asset = LockedAsset::new(&p.entry, &digests);
        record_stamp(&mut cache, &opts.project_dir, &asset);
        printer.status("Updated", format!("{} {} → {}", p.name, p.from, p.to));
        outcome.updated.push(UpdatedAsset {
            name: p.name.clone(),
            from: p.from,
            to: p.to,
            url: p.entry.url.clone(),
            sha256: asset.sha256.clone(),
            integrity: asset.integrity.clone(),
        });
        lock.assets.insert(p.name.clone(), asset);
        manifest.assets.insert(p.name, p.entry);
    }
    save(opts, &manifest, &mut lock, true)?;
    cache.save();
    Ok(outcome)
}

/// An entry moving to a new version.
struct Planned {
    name: String,
    /// The entry with the new version's URL (and no hash pin).
    entry: Entry,
    from: String,
    to: String,
}

/// What `update` does with one entry.
enum Step {
    /// Not a versioned npm URL (and not asked for by name).
    Skip,
    UpToDate,
    Update(Planned),
}

struct Updater<'a> {
    opts: &'a Options,
    printer: &'a Printer,
    fetcher: Fetcher,
    /// `--to VERSION`, else the registry's latest.
    to: Option<&'a str>,
}

impl Updater<'_> {
    /// Decide for one entry; `explicit` when it was named on the command line.
    async fn plan(&self, name: &str, entry: &Entry, explicit: bool) -> anyhow::Result<Step> {
        let package = PackageRef::parse(&entry.url).filter(|p| p.registry == Registry::Npm);
        let Some(p) = package else {
            if explicit {
                return Err(VendorError::Invalid(format!(
                    "`{name}` is not a versioned npm CDN URL (jsDelivr `/npm/pkg@ver/…` or unpkg), so it cannot be updated; edit its URL instead"
                ))
                .into());
            }
            return Ok(Step::Skip);
        };
        let target = match self.to {
            Some(v) => v.to_string(),
            None => {
                npm_info(self.fetcher.client(), self.opts, &p.name)
                    .await?
                    .latest
            }
        };
        // An explicit `--to` may go anywhere; `latest` only ever moves an entry forward (an
        // entry pinned to a pre-release above `latest` stays, as `outdated` reports it).
        let newer = match (Version::parse(&target), Version::parse(&p.version)) {
            (Some(t), Some(c)) if self.to.is_some() => t != c,
            (Some(t), Some(c)) => t > c,
            _ => target != p.version,
        };
        if !newer {
            return Ok(Step::UpToDate);
        }
        let mut new_entry = entry.clone();
        new_entry.url = p.url_for_version(&target);
        if new_entry.sha256.take().is_some() | new_entry.integrity.take().is_some() {
            self.printer
                .note(format!("`{name}`: dropped the hash pin of the old version"));
        }
        Ok(Step::Update(Planned {
            name: name.to_string(),
            entry: new_entry,
            from: p.version.clone(),
            to: target,
        }))
    }

    /// Download the new versions (nothing to pin them to: they are new) and commit them.
    async fn fetch(&self, planned: &[Planned]) -> anyhow::Result<Vec<(FetchJob, Digests)>> {
        let jobs = planned
            .iter()
            .map(|p| FetchJob {
                name: p.name.clone(),
                url: p.entry.url.clone(),
                dest: p.entry.dest.clone(),
                expected: Vec::new(),
            })
            .collect();
        let staging = self.fetcher.fetch_all(jobs).await?;
        staging.commit()
    }
}

//! `add`, `sync` and `remove`: plan against manifest and lock, fetch what is needed, commit
//! files, then write the manifest and, last, the lock. On any failure before the commit,
//! nothing on disk changes.

use std::path::Path;

use serde::Serialize;
use vendor_manifest::paths::{check_relative, resolve_inside};
use vendor_manifest::{Entry, Expected, Lock, LockedAsset, Manifest, PackageRef};

use super::config::Options;
use super::fetch::{FetchJob, Fetcher, check_scheme};
use super::project::{
    BusyLock, LoadedManifest, load_lock, load_manifest, manifest_bytes, require_manifest, save,
};
use super::statcache::{Stamp, StatCache};
use super::{VendorError, suggest};
use crate::ui::Printer;

/// One URL to add.
#[derive(Debug, Clone, Default)]
pub(crate) struct AddRequest {
    pub url: String,
    pub name: Option<String>,
    pub dest: Option<String>,
    pub dest_dir: Option<String>,
    pub sha256: Option<String>,
    pub integrity: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct AddOutcome {
    pub added: Vec<AddedAsset>,
    /// Already in the manifest with the same URL: name.
    pub already: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AddedAsset {
    pub name: String,
    pub url: String,
    pub dest: String,
    pub size: u64,
    pub sha256: String,
    pub integrity: String,
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("")
}

/// Where a URL goes by default: `{dir}/{package}/{path in package}` for versioned CDN URLs
/// (keeping the package's layout, so relative `url()`s still resolve), else
/// `{dir}/{host}/{url path}`.
pub(crate) fn default_dest(url: &str, dir: &str) -> Result<String, VendorError> {
    let dest = if let Some(p) = PackageRef::parse(url) {
        if p.path.is_empty() {
            format!("{dir}/{}/{}.js", p.name, last_segment(&p.name))
        } else {
            format!("{dir}/{}/{}", p.name, p.path)
        }
    } else {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| VendorError::Invalid(format!("`{url}` is not a URL: {e}")))?;
        let host = parsed.host_str().unwrap_or("host");
        let path = parsed.path().trim_matches('/');
        if path.is_empty() {
            return Err(VendorError::Invalid(format!(
                "`{url}` names no file; give `--dest PATH`"
            )));
        }
        format!("{dir}/{host}/{path}")
    };
    check_relative(&dest).map_err(|source| VendorError::Dest {
        name: url.to_string(),
        source,
    })?;
    Ok(dest)
}

/// The default name: the package name, else the file name; made unique against `taken`.
fn default_name(url: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let (base, file) = match PackageRef::parse(url) {
        Some(p) => {
            let file = last_segment(&p.path).to_string();
            (p.name, file)
        }
        None => {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            let file = last_segment(path.split_once("://").map_or(path, |x| x.1)).to_string();
            (file.clone(), file)
        }
    };
    let mut candidates = vec![base.clone()];
    if !file.is_empty() && file != base {
        candidates.push(format!("{base}/{file}"));
    }
    for c in &candidates {
        if !taken(c) {
            return c.clone();
        }
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken(c))
        .unwrap_or(base)
}

pub(crate) async fn add(
    opts: &Options,
    printer: &Printer,
    requests: Vec<AddRequest>,
) -> anyhow::Result<AddOutcome> {
    let _busy = BusyLock::acquire(opts)?;
    let mut manifest = load_manifest(opts)?.map(|m| m.manifest).unwrap_or_default();
    let mut lock = load_lock(opts)?.unwrap_or_default();
    let mut outcome = AddOutcome::default();
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for req in requests {
        check_scheme(&req.url, &opts.allow_http)?;
        if let Some((name, existing)) = manifest.find_url(&req.url) {
            let same_dest = req.dest.as_deref().is_none_or(|d| d == existing.dest);
            let same_name = req.name.as_deref().is_none_or(|n| n == name);
            if same_dest && same_name {
                printer.note(format!("`{}` is already vendored as `{name}`", req.url));
                outcome.already.push(name.clone());
                continue;
            }
        }
        let name = match &req.name {
            Some(n) => n.clone(),
            None => default_name(&req.url, &|c| {
                manifest.assets.contains_key(c) || entries.iter().any(|(n, _)| n == c)
            }),
        };
        vendor_manifest::manifest::check_name(&name).map_err(VendorError::Invalid)?;
        if manifest.assets.contains_key(&name) || entries.iter().any(|(n, _)| *n == name) {
            return Err(VendorError::Invalid(format!(
                "an asset named `{name}` already exists; pick another with --name"
            ))
            .into());
        }
        let dest = match (&req.dest, &req.dest_dir) {
            (Some(d), _) => d.trim_start_matches("./").to_string(),
            (None, Some(dir)) => default_dest(&req.url, dir.trim_end_matches('/'))?,
            (None, None) => default_dest(&req.url, &opts.dest_dir)?,
        };
        let target =
            resolve_inside(&opts.project_dir, &dest).map_err(|source| VendorError::Dest {
                name: name.clone(),
                source,
            })?;
        if let Some((other, _)) = manifest.find_dest(&dest) {
            return Err(VendorError::Invalid(format!(
                "`{dest}` is already the destination of `{other}`"
            ))
            .into());
        }
        if entries.iter().any(|(_, e)| e.dest == dest) {
            return Err(VendorError::Invalid(format!("two URLs would both write `{dest}`")).into());
        }
        if target.exists() {
            return Err(VendorError::Invalid(format!(
                "`{dest}` already exists and is not in the vendor manifest; move it away or choose another --dest"
            ))
            .into());
        }
        let entry = Entry {
            url: req.url.clone(),
            dest,
            sha256: req.sha256.clone(),
            integrity: req.integrity.clone(),
        };
        entry.pins().map_err(VendorError::Pin)?;
        entries.push((name, entry));
    }
    if entries.is_empty() {
        return Ok(outcome);
    }
    let jobs = entries
        .iter()
        .map(|(name, entry)| -> anyhow::Result<FetchJob> {
            Ok(FetchJob {
                name: name.clone(),
                url: entry.url.clone(),
                dest: entry.dest.clone(),
                expected: entry.pins().map_err(VendorError::Pin)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let fetcher = Fetcher::new(opts, printer)?;
    let staging = fetcher.fetch_all(jobs).await?;
    let committed = staging.commit()?;
    let mut cache = StatCache::load(&opts.project_dir);
    for ((name, entry), (_, digests)) in entries.into_iter().zip(committed) {
        let asset = LockedAsset::new(&entry, &digests);
        record_stamp(&mut cache, &opts.project_dir, &asset);
        outcome.added.push(AddedAsset {
            name: name.clone(),
            url: entry.url.clone(),
            dest: entry.dest.clone(),
            size: asset.size,
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

fn record_stamp(cache: &mut StatCache, root: &Path, asset: &LockedAsset) {
    if let Ok(meta) = root.join(&asset.dest).metadata() {
        cache.record(&asset.dest, Stamp::of(&meta), &asset.sha256);
    }
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct SyncOutcome {
    /// Assets already on disk as locked.
    pub fresh: usize,
    /// Downloaded (missing, changed on disk, or new/changed in the manifest).
    pub fetched: Vec<String>,
    /// Dropped from the lock because the manifest no longer lists them.
    pub removed: Vec<String>,
    /// Whether the lock file was rewritten.
    pub lock_written: bool,
}

/// Does the file on disk match the locked asset? Uses the stat cache before hashing.
fn on_disk_matches(root: &Path, asset: &LockedAsset, cache: &mut StatCache) -> bool {
    let Ok(path) = resolve_inside(root, &asset.dest) else {
        return false;
    };
    let Ok(meta) = path.metadata() else {
        return false;
    };
    if !meta.is_file() || meta.len() != asset.size {
        return false;
    }
    let stamp = Stamp::of(&meta);
    if cache.lookup(&asset.dest, &stamp) == Some(asset.sha256.as_str()) {
        return true;
    }
    match vendor_manifest::hash::sha256_of_file(&path) {
        Ok((_, sha)) if sha == asset.sha256 => {
            cache.record(&asset.dest, stamp, &sha);
            true
        }
        _ => false,
    }
}

pub(crate) async fn sync(
    opts: &Options,
    printer: &Printer,
    offline: bool,
) -> anyhow::Result<SyncOutcome> {
    let _busy = BusyLock::acquire(opts)?;
    let old_lock = load_lock(opts)?.unwrap_or_default();
    // Fast path: the manifest's bytes are the ones the lock was written from, so the lock's
    // entries *are* the manifest's and it need not be parsed.
    let unchanged = match manifest_bytes(opts)? {
        Some((_, sha)) => !old_lock.manifest_sha256.is_empty() && sha == old_lock.manifest_sha256,
        None => false,
    };
    let loaded = if unchanged {
        LoadedManifest {
            manifest: Manifest {
                assets: old_lock
                    .assets
                    .iter()
                    .map(|(name, a)| {
                        (
                            name.clone(),
                            Entry {
                                url: a.url.clone(),
                                dest: a.dest.clone(),
                                sha256: None,
                                integrity: None,
                            },
                        )
                    })
                    .collect(),
                ..Manifest::default()
            },
            sha256: old_lock.manifest_sha256.clone(),
        }
    } else {
        require_manifest(opts)?
    };
    let manifest_unchanged = unchanged;
    let mut lock = Lock {
        assets: Default::default(),
        ..old_lock.clone()
    };
    let mut cache = StatCache::load(&opts.project_dir);
    let mut outcome = SyncOutcome::default();
    let mut jobs = Vec::new();
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for (name, entry) in &loaded.manifest.assets {
        let locked = if manifest_unchanged {
            old_lock.assets.get(name)
        } else {
            old_lock.current(name, entry)
        };
        match locked {
            Some(asset) => {
                lock.assets.insert(name.clone(), asset.clone());
                if on_disk_matches(&opts.project_dir, asset, &mut cache) {
                    outcome.fresh += 1;
                    continue;
                }
                if opts.project_dir.join(&asset.dest).exists() {
                    printer.warn(format!(
                        "`{}` differs from the lock; replacing it",
                        asset.dest
                    ));
                }
                jobs.push(FetchJob {
                    name: name.clone(),
                    url: asset.url.clone(),
                    dest: asset.dest.clone(),
                    expected: vec![Expected::Sha256(asset.sha256.clone())],
                });
            }
            None => {
                jobs.push(FetchJob {
                    name: name.clone(),
                    url: entry.url.clone(),
                    dest: entry.dest.clone(),
                    expected: entry.pins().map_err(VendorError::Pin)?,
                });
            }
        }
        entries.push((name.clone(), entry.clone()));
    }
    // Files of entries gone from the manifest: deleted only after every fetch succeeded,
    // and only when they are still exactly what we wrote.
    let mut orphans = Vec::new();
    for (name, asset) in &old_lock.assets {
        if !loaded.manifest.assets.contains_key(name) {
            outcome.removed.push(name.clone());
            let still_used = loaded
                .manifest
                .assets
                .values()
                .any(|e| e.dest == asset.dest);
            if !still_used && on_disk_matches(&opts.project_dir, asset, &mut cache) {
                orphans.push(asset.dest.clone());
            }
        }
    }
    if !jobs.is_empty() && offline {
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        return Err(VendorError::Offline {
            count: jobs.len(),
            names: names.join(", "),
        }
        .into());
    }
    if !jobs.is_empty() {
        let fetcher = Fetcher::new(opts, printer)?;
        let staging = fetcher.fetch_all(jobs).await?;
        for (job, digests) in staging.commit()? {
            let entry = entries
                .iter()
                .find(|(n, _)| *n == job.name)
                .map(|(_, e)| e.clone())
                .ok_or_else(|| anyhow::anyhow!("internal: lost entry `{}`", job.name))?;
            let asset = match lock.assets.get(&job.name) {
                Some(locked) => locked.clone(),
                None => LockedAsset::new(&entry, &digests),
            };
            record_stamp(&mut cache, &opts.project_dir, &asset);
            lock.assets.insert(job.name.clone(), asset);
            outcome.fetched.push(job.name);
        }
    }
    for dest in orphans {
        fs_err::remove_file(opts.project_dir.join(&dest))?;
        cache.forget(&dest);
        printer.status("Removed", &dest);
    }
    let mut new_lock = lock.clone();
    new_lock.manifest_sha256 = loaded.sha256.clone();
    if new_lock != old_lock {
        save(opts, &loaded.manifest, &mut lock, false)?;
        outcome.lock_written = true;
    }
    cache.save();
    Ok(outcome)
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct RemoveOutcome {
    pub removed: Vec<RemovedAsset>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RemovedAsset {
    pub name: String,
    pub dest: String,
    pub file_deleted: bool,
}

pub(crate) fn remove(
    opts: &Options,
    printer: &Printer,
    names: &[String],
) -> anyhow::Result<RemoveOutcome> {
    let _busy = BusyLock::acquire(opts)?;
    let mut manifest: Manifest = require_manifest(opts)?.manifest;
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
    let mut outcome = RemoveOutcome::default();
    let mut cache = StatCache::load(&opts.project_dir);
    for name in names {
        let Some(entry) = manifest.assets.remove(name) else {
            continue;
        };
        lock.assets.remove(name);
        let path =
            resolve_inside(&opts.project_dir, &entry.dest).map_err(|source| VendorError::Dest {
                name: name.clone(),
                source,
            })?;
        let file_deleted = match fs_err::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e.into()),
        };
        cache.forget(&entry.dest);
        prune_empty_dirs(opts, &path);
        printer.status("Removed", format!("{name} ({})", entry.dest));
        outcome.removed.push(RemovedAsset {
            name: name.clone(),
            dest: entry.dest,
            file_deleted,
        });
    }
    save(opts, &manifest, &mut lock, true)?;
    cache.save();
    Ok(outcome)
}

/// Remove folders left empty by a removal, up to (not including) the default dest folder's
/// parent, so `static/` itself survives.
fn prune_empty_dirs(opts: &Options, file: &Path) {
    let stop = opts.project_dir.join(&opts.dest_dir);
    let mut dir = file.parent();
    while let Some(d) = dir {
        if !d.starts_with(&stop) || d == opts.project_dir || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_destinations_and_names() {
        assert_eq!(
            default_dest(
                "https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js",
                "static/vendor"
            )
            .unwrap(),
            "static/vendor/htmx.org/dist/htmx.min.js"
        );
        assert_eq!(
            default_dest("https://unpkg.com/htmx.org@1.9.12", "v").unwrap(),
            "v/htmx.org/htmx.org.js"
        );
        assert_eq!(
            default_dest("https://code.jquery.com/jquery-3.7.1.min.js", "v").unwrap(),
            "v/code.jquery.com/jquery-3.7.1.min.js"
        );
        assert!(default_dest("https://example.com/", "v").is_err());
        let none = |_: &str| false;
        assert_eq!(
            default_name("https://unpkg.com/htmx.org@1.9.12/dist/htmx.js", &none),
            "htmx.org"
        );
        let htmx_taken = |c: &str| c == "htmx.org";
        assert_eq!(
            default_name(
                "https://unpkg.com/htmx.org@1.9.12/dist/ext/sse.js",
                &htmx_taken
            ),
            "htmx.org/sse.js"
        );
        assert_eq!(
            default_name("https://code.jquery.com/jquery.min.js?v=1", &none),
            "jquery.min.js"
        );
    }
}

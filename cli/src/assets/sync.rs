//! `sync`: make the disk match the lock. Files already in place (by the stat cache, else by
//! hash) are left alone; missing or changed ones, and manifest entries new since the lock,
//! are fetched, verified and committed together; files of entries gone from the manifest
//! are deleted last, and only when still exactly what devenv wrote. The lock is rewritten
//! only when it changed.

use serde::Serialize;
use vendor_manifest::{Entry, Expected, Lock, LockedAsset, Manifest};

use super::VendorError;
use super::config::Options;
use super::fetch::{FetchJob, Fetcher};
use super::on_disk::{matches_lock, record_stamp};
use super::project::{BusyLock, LoadedManifest, load_lock, manifest_bytes, require_manifest, save};
use super::statcache::StatCache;
use crate::ui::Printer;

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

pub(crate) async fn sync(
    opts: &Options,
    printer: &Printer,
    offline: bool,
) -> anyhow::Result<SyncOutcome> {
    let _busy = BusyLock::acquire(opts)?;
    let old_lock = load_lock(opts)?.unwrap_or_default();
    let (loaded, unchanged) = manifest_for(opts, &old_lock)?;
    let mut run = Sync {
        opts,
        printer,
        cache: StatCache::load(&opts.project_dir),
        outcome: SyncOutcome::default(),
        lock: Lock {
            assets: Default::default(),
            ..old_lock.clone()
        },
        jobs: Vec::new(),
        entries: Vec::new(),
    };
    run.plan(&loaded.manifest, &old_lock, unchanged)?;
    let orphans = run.orphans(&loaded.manifest, &old_lock);
    if !run.jobs.is_empty() && offline {
        let names: Vec<&str> = run.jobs.iter().map(|j| j.name.as_str()).collect();
        return Err(VendorError::Offline {
            count: run.jobs.len(),
            names: names.join(", "),
        }
        .into());
    }
    if !run.jobs.is_empty() {
        run.fetch().await?;
    }
    run.remove(orphans)?;
    let mut new_lock = run.lock.clone();
    new_lock.manifest_sha256 = loaded.sha256.clone();
    if new_lock != old_lock {
        save(opts, &loaded.manifest, &mut run.lock, false)?;
        run.outcome.lock_written = true;
    }
    run.cache.save();
    Ok(run.outcome)
}

/// The manifest, and whether it is byte for byte the one the lock was written from. Then
/// the lock's entries *are* the manifest's, and it need not be parsed (the fast path).
fn manifest_for(opts: &Options, old_lock: &Lock) -> anyhow::Result<(LoadedManifest, bool)> {
    let unchanged = match manifest_bytes(opts)? {
        Some((_, sha)) => !old_lock.manifest_sha256.is_empty() && sha == old_lock.manifest_sha256,
        None => false,
    };
    if !unchanged {
        return Ok((require_manifest(opts)?, false));
    }
    let assets = old_lock
        .assets
        .iter()
        .map(|(name, a)| {
            let entry = Entry {
                url: a.url.clone(),
                dest: a.dest.clone(),
                sha256: None,
                integrity: None,
            };
            (name.clone(), entry)
        })
        .collect();
    let loaded = LoadedManifest {
        manifest: Manifest {
            assets,
            ..Manifest::default()
        },
        sha256: old_lock.manifest_sha256.clone(),
    };
    Ok((loaded, true))
}

/// One `sync` on its way: the lock being rebuilt, and what to fetch.
struct Sync<'a> {
    opts: &'a Options,
    printer: &'a Printer,
    cache: StatCache,
    outcome: SyncOutcome,
    /// The new lock: the old one's fields, with the assets the manifest still lists.
    lock: Lock,
    jobs: Vec<FetchJob>,
    /// The manifest entries of `jobs`.
    entries: Vec<(String, Entry)>,
}

impl Sync<'_> {
    /// Keep each locked asset still current; queue a fetch for files not on disk as locked
    /// and for entries the lock does not cover (with the manifest's pins).
    fn plan(
        &mut self,
        manifest: &Manifest,
        old_lock: &Lock,
        unchanged: bool,
    ) -> anyhow::Result<()> {
        for (name, entry) in &manifest.assets {
            let locked = if unchanged {
                old_lock.assets.get(name)
            } else {
                old_lock.current(name, entry)
            };
            let job = match locked {
                Some(asset) => {
                    self.lock.assets.insert(name.clone(), asset.clone());
                    if matches_lock(&self.opts.project_dir, asset, &mut self.cache) {
                        self.outcome.fresh += 1;
                        continue;
                    }
                    self.refetch(name, asset)
                }
                None => FetchJob {
                    name: name.clone(),
                    url: entry.url.clone(),
                    dest: entry.dest.clone(),
                    expected: entry.pins().map_err(VendorError::Pin)?,
                },
            };
            self.jobs.push(job);
            self.entries.push((name.clone(), entry.clone()));
        }
        Ok(())
    }

    /// A locked asset whose file is missing or differs: fetch it again, to the locked hash.
    fn refetch(&self, name: &str, asset: &LockedAsset) -> FetchJob {
        if self.opts.project_dir.join(&asset.dest).exists() {
            self.printer.warn(format!(
                "`{}` differs from the lock; replacing it",
                asset.dest
            ));
        }
        FetchJob {
            name: name.to_string(),
            url: asset.url.clone(),
            dest: asset.dest.clone(),
            expected: vec![Expected::Sha256(asset.sha256.clone())],
        }
    }

    /// Locked assets the manifest no longer lists (named in `removed`), and the files of
    /// them to delete: those no remaining entry writes, still exactly as locked.
    fn orphans(&mut self, manifest: &Manifest, old_lock: &Lock) -> Vec<String> {
        let mut orphans = Vec::new();
        for (name, asset) in &old_lock.assets {
            if manifest.assets.contains_key(name) {
                continue;
            }
            self.outcome.removed.push(name.clone());
            let still_used = manifest.assets.values().any(|e| e.dest == asset.dest);
            if !still_used && matches_lock(&self.opts.project_dir, asset, &mut self.cache) {
                orphans.push(asset.dest.clone());
            }
        }
        orphans
    }

    /// Fetch every queued job, commit the files, and lock what was fetched.
    async fn fetch(&mut self) -> anyhow::Result<()> {
        let fetcher = Fetcher::new(self.opts, self.printer)?;
        let staging = fetcher.fetch_all(std::mem::take(&mut self.jobs)).await?;
        for (job, digests) in staging.commit()? {
            let entry = self
                .entries
                .iter()
                .find(|(n, _)| *n == job.name)
                .map(|(_, e)| e.clone())
                .ok_or_else(|| anyhow::anyhow!("internal: lost entry `{}`", job.name))?;
            let asset = match self.lock.assets.get(&job.name) {
                Some(locked) => locked.clone(),
                None => LockedAsset::new(&entry, &digests),
            };
            record_stamp(&mut self.cache, &self.opts.project_dir, &asset);
            self.lock.assets.insert(job.name.clone(), asset);
            self.outcome.fetched.push(job.name);
        }
        Ok(())
    }

    /// Delete the orphaned files (after every fetch succeeded).
    fn remove(&mut self, orphans: Vec<String>) -> anyhow::Result<()> {
        for dest in orphans {
            fs_err::remove_file(self.opts.project_dir.join(&dest))?;
            self.cache.forget(&dest);
            self.printer.status("Removed", &dest);
        }
        Ok(())
    }
}

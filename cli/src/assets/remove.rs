//! `remove`: drop assets from the manifest and lock, delete their files (and the folders
//! that leaves empty), then write the manifest and, last, the lock.

use std::path::Path;

use serde::Serialize;
use vendor_manifest::Manifest;
use vendor_manifest::paths::resolve_inside;

use super::config::Options;
use super::project::{BusyLock, load_lock, require_manifest, save};
use super::statcache::StatCache;
use super::{VendorError, require_known};
use crate::ui::Printer;

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
    require_known(&manifest, names)?;
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

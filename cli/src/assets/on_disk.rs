//! Vendored files on disk against the lock, for `add`, `sync`, `update`: does a file match
//! its locked asset (the stat cache first, a hash only when the stamp is unknown), and
//! stamping a file devenv just wrote so the next `sync` need not hash it.

use std::path::Path;

use vendor_manifest::LockedAsset;
use vendor_manifest::paths::resolve_inside;

use super::statcache::{Stamp, StatCache};

/// Does the file on disk match the locked asset? Uses the stat cache before hashing.
pub(crate) fn matches_lock(root: &Path, asset: &LockedAsset, cache: &mut StatCache) -> bool {
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

/// Remember the stamp of an asset's file just written (its hash is the locked one).
pub(crate) fn record_stamp(cache: &mut StatCache, root: &Path, asset: &LockedAsset) {
    if let Ok(meta) = root.join(&asset.dest).metadata() {
        cache.record(&asset.dest, Stamp::of(&meta), &asset.sha256);
    }
}

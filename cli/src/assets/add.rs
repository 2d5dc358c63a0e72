//! `add`: vendor new URLs. Every request is checked (scheme, name, destination, pins)
//! before anything is fetched; the files are fetched and verified into staging, committed
//! together, then the manifest and, last, the lock are written. On any failure before the
//! commit, nothing on disk changes.

use serde::Serialize;
use vendor_manifest::hash::Digests;
use vendor_manifest::paths::{check_relative, resolve_inside};
use vendor_manifest::{Entry, LockedAsset, Manifest, PackageRef};

use super::VendorError;
use super::config::Options;
use super::fetch::{FetchJob, Fetcher, check_scheme};
use super::on_disk::record_stamp;
use super::project::{BusyLock, load_lock, load_manifest, save};
use super::statcache::StatCache;
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

/// Add `requests` to the manifest and lock: check every request first, fetch them all,
/// commit the files, then write manifest and lock. A URL already vendored (same name and
/// destination) is skipped with a note.
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
        if let Some(name) = already_vendored(&manifest, &req) {
            printer.note(format!("`{}` is already vendored as `{name}`", req.url));
            outcome.already.push(name);
            continue;
        }
        let entry = new_entry(opts, &manifest, &entries, &req)?;
        entries.push(entry);
    }
    if entries.is_empty() {
        return Ok(outcome);
    }
    let committed = fetch(opts, printer, &entries).await?;
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

/// The asset's name when the manifest has this URL already with the asked name and dest.
fn already_vendored(manifest: &Manifest, req: &AddRequest) -> Option<String> {
    let (name, existing) = manifest.find_url(&req.url)?;
    let same_dest = req.dest.as_deref().is_none_or(|d| d == existing.dest);
    let same_name = req.name.as_deref().is_none_or(|n| n == name);
    (same_dest && same_name).then(|| name.clone())
}

/// The manifest entry for `req`, its name and destination checked against the manifest,
/// the entries added before it in this command (`pending`), and the disk.
fn new_entry(
    opts: &Options,
    manifest: &Manifest,
    pending: &[(String, Entry)],
    req: &AddRequest,
) -> anyhow::Result<(String, Entry)> {
    let taken = |c: &str| manifest.assets.contains_key(c) || pending.iter().any(|(n, _)| n == c);
    let name = match &req.name {
        Some(n) => n.clone(),
        None => default_name(&req.url, &taken),
    };
    vendor_manifest::manifest::check_name(&name).map_err(VendorError::Invalid)?;
    if taken(&name) {
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
    check_dest_free(opts, manifest, pending, &name, &dest)?;
    let entry = Entry {
        url: req.url.clone(),
        dest,
        sha256: req.sha256.clone(),
        integrity: req.integrity.clone(),
    };
    entry.pins().map_err(VendorError::Pin)?;
    Ok((name, entry))
}

/// `dest` must stay inside the project and be nobody's: not another asset's, not another
/// URL's in this command, not a file already there.
fn check_dest_free(
    opts: &Options,
    manifest: &Manifest,
    pending: &[(String, Entry)],
    name: &str,
    dest: &str,
) -> anyhow::Result<()> {
    let target = resolve_inside(&opts.project_dir, dest).map_err(|source| VendorError::Dest {
        name: name.to_string(),
        source,
    })?;
    if let Some((other, _)) = manifest.find_dest(dest) {
        return Err(VendorError::Invalid(format!(
            "`{dest}` is already the destination of `{other}`"
        ))
        .into());
    }
    if pending.iter().any(|(_, e)| e.dest == dest) {
        return Err(VendorError::Invalid(format!("two URLs would both write `{dest}`")).into());
    }
    if target.exists() {
        return Err(VendorError::Invalid(format!(
            "`{dest}` already exists and is not in the vendor manifest; move it away or choose another --dest"
        ))
        .into());
    }
    Ok(())
}

/// Download every entry (checked against its pins) and move the files into place.
async fn fetch(
    opts: &Options,
    printer: &Printer,
    entries: &[(String, Entry)],
) -> anyhow::Result<Vec<(FetchJob, Digests)>> {
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
    staging.commit()
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

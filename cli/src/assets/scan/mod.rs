//! `devenv vendor scan`: walk the tree (in parallel, honouring `.gitignore`, skipping `.git`,
//! `node_modules`, `target`, `vendor.scan_exclude` and the vendored files themselves) and
//! report every reference to a remote asset with file, line, column, host, URL, the CDN's
//! name when it is a known one, and whether an `integrity` value covers it.

pub(crate) mod detect;
pub(crate) mod hosts;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use detect::{FileKind, detect, kind_for};

use super::add::AddRequest;
use super::config::Options;
use super::project::{load_lock, load_manifest};
use crate::ui::Printer;

/// Folders never scanned.
const SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", ".venv", "__pycache__"];

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    /// Relative to the project folder when inside it, `/` separators.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub kind: &'static str,
    pub host: String,
    pub url: String,
    /// The CDN's name (`jsDelivr`, `unpkg`, …) when the host is a known public CDN.
    pub cdn: Option<&'static str>,
    /// For `<script>`, `<link rel=stylesheet|preload>` and import maps; `null` elsewhere.
    pub integrity: Option<bool>,
    #[serde(skip)]
    pub integrity_value: Option<String>,
    /// The host is known to have served malware (polyfill.io).
    pub compromised: bool,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct ScanReport {
    pub files_scanned: usize,
    pub findings: Vec<Finding>,
}

pub(crate) struct ScanOptions {
    pub root: PathBuf,
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    /// Absolute paths of vendored files (skipped).
    pub vendored: HashSet<PathBuf>,
    /// Folders ending with this relative path are skipped wherever they are (`static/vendor`),
    /// so a template tree with its own vendored files scans clean from above.
    pub vendor_dir: Option<PathBuf>,
}

impl ScanOptions {
    /// Scan `paths` of the project (relative to it; the whole project when empty), skipping
    /// the files its manifest and lock vendor and the vendor folder.
    pub(crate) fn for_project(opts: &Options, paths: &[PathBuf]) -> anyhow::Result<Self> {
        let mut vendored = HashSet::new();
        if let Some(lock) = load_lock(opts)? {
            vendored.extend(lock.assets.values().map(|a| opts.project_dir.join(&a.dest)));
        }
        if let Some(m) = load_manifest(opts)? {
            vendored.extend(
                m.manifest
                    .assets
                    .values()
                    .map(|e| opts.project_dir.join(&e.dest)),
            );
        }
        Ok(ScanOptions {
            root: opts.project_dir.clone(),
            paths: paths.iter().map(|p| opts.project_dir.join(p)).collect(),
            exclude: opts.scan_exclude.clone(),
            vendored,
            vendor_dir: Some(PathBuf::from(&opts.dest_dir)).filter(|d| !d.as_os_str().is_empty()),
        })
    }
}

/// What `scan --add` vendors: each distinct fetchable URL found, once, with the first
/// `integrity` a template gives it as its pin. Preconnects, source maps, manifests and
/// template expressions are skipped; so are hosts that answer per browser or account
/// (with a warning naming the reference).
pub(crate) fn add_requests(report: &ScanReport, printer: &Printer) -> Vec<AddRequest> {
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
        let slot = urls.entry(url).or_insert(None);
        if slot.is_none() {
            slot.clone_from(&f.integrity_value);
        }
    }
    urls.into_iter()
        .map(|(url, integrity)| AddRequest {
            url,
            integrity,
            ..AddRequest::default()
        })
        .collect()
}

/// Line (1-based) and column (1-based, in characters) of a byte offset.
fn line_col(bytes: &[u8], offset: usize, cursor: &mut (usize, usize)) -> (usize, usize) {
    // `cursor` = (byte offset of a line start, its line number); offsets ascend per file.
    let (from, mut line) = *cursor;
    let mut line_start = from;
    for nl in memchr::memchr_iter(b'\n', &bytes[from..offset]) {
        line += 1;
        line_start = from + nl + 1;
    }
    *cursor = (line_start, line);
    let column = String::from_utf8_lossy(&bytes[line_start..offset])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn scan_file(path: &Path, kind: FileKind, shown: &str) -> std::io::Result<Vec<Finding>> {
    let bytes = fs_err::read(path)?;
    if memchr::memmem::find(&bytes, b"//").is_none() {
        return Ok(Vec::new());
    }
    let mut cursor = (0usize, 1usize);
    Ok(detect(&bytes, kind)
        .into_iter()
        .map(|hit| {
            let (line, column) = line_col(&bytes, hit.offset, &mut cursor);
            Finding {
                file: shown.to_string(),
                line,
                column,
                kind: hit.kind,
                cdn: hosts::cdn_name(&hit.host),
                compromised: hosts::is_compromised(&hit.host),
                host: hit.host,
                url: hit.url,
                integrity: hit.has_integrity,
                integrity_value: hit.integrity,
            }
        })
        .collect())
}

fn shown(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

pub(crate) fn scan(opts: &ScanOptions) -> anyhow::Result<ScanReport> {
    let paths = if opts.paths.is_empty() {
        vec![opts.root.clone()]
    } else {
        opts.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            // Exit 2 (could not scan), not 1 (remote references found).
            return Err(crate::error::Hinted::internal(format!(
                "`{}` does not exist",
                p.display()
            ))
            .with_hint("name files or folders inside the project")
            .into());
        }
    }
    let found = Found::default();
    walker(opts, &paths)?.build_parallel().run(|| {
        Box::new(|entry| {
            found.visit(opts, entry);
            ignore::WalkState::Continue
        })
    });
    found.into_report()
}

/// A walk over `paths` honouring `.gitignore` and `vendor.scan_exclude`, never entering
/// [`SKIP_DIRS`] or a folder ending with the vendor folder.
fn walker(opts: &ScanOptions, paths: &[PathBuf]) -> anyhow::Result<ignore::WalkBuilder> {
    let mut builder = ignore::WalkBuilder::new(&paths[0]);
    for p in &paths[1..] {
        builder.add(p);
    }
    let mut overrides = ignore::overrides::OverrideBuilder::new(&opts.root);
    for glob in &opts.exclude {
        overrides.add(&format!("!{glob}"))?;
    }
    let vendor_dir = opts.vendor_dir.clone();
    builder
        .overrides(overrides.build()?)
        .require_git(false)
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && (SKIP_DIRS.iter().any(|d| e.file_name() == *d)
                    || vendor_dir.as_ref().is_some_and(|v| e.path().ends_with(v))))
        });
    Ok(builder)
}

/// What the walk's threads gather.
#[derive(Default)]
struct Found {
    findings: Mutex<Vec<Finding>>,
    scanned: AtomicUsize,
    errors: Mutex<Vec<String>>,
}

impl Found {
    /// Scan one walk entry: a file of a kind we read, not a vendored one.
    fn visit(&self, opts: &ScanOptions, entry: Result<ignore::DirEntry, ignore::Error>) {
        // A folder that can't be read is an error, not a clean result.
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return self.error(e.to_string()),
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            return;
        }
        let name = entry.file_name().to_string_lossy();
        let Some(kind) = kind_for(&name) else {
            return;
        };
        let path = entry.path();
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            opts.root.join(path)
        };
        if opts.vendored.contains(&absolute) {
            return;
        }
        self.scanned.fetch_add(1, Ordering::Relaxed);
        match scan_file(path, kind, &shown(&opts.root, &absolute)) {
            Ok(found) if !found.is_empty() => {
                if let Ok(mut all) = self.findings.lock() {
                    all.extend(found);
                }
            }
            Ok(_) => {}
            Err(e) => self.error(e.to_string()),
        }
    }

    fn error(&self, message: String) {
        if let Ok(mut errs) = self.errors.lock() {
            errs.push(message);
        }
    }

    /// The findings in file, line, column order; an error when anything was unreadable.
    fn into_report(self) -> anyhow::Result<ScanReport> {
        let errors = self.errors.into_inner().unwrap_or_default();
        if let Some(first) = errors.first() {
            return Err(crate::error::Hinted::internal(format!(
                "could not read {} file(s) or folder(s); first: {first}",
                errors.len()
            ))
            .into());
        }
        let mut findings = self.findings.into_inner().unwrap_or_default();
        findings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        Ok(ScanReport {
            files_scanned: self.scanned.into_inner(),
            findings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "a\nbé c\n  xyz";
        let mut cur = (0, 1);
        assert_eq!(line_col(text.as_bytes(), 0, &mut cur), (1, 1));
        assert_eq!(
            line_col(text.as_bytes(), text.find('c').unwrap(), &mut cur),
            (2, 4)
        );
        assert_eq!(
            line_col(text.as_bytes(), text.find('x').unwrap(), &mut cur),
            (3, 3)
        );
    }
}

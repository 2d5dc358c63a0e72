//! Downloads: mirrors, the plain-http and redirect policy, bounded concurrency with one
//! progress bar per file, retries with backoff for transient failures, the size cap, an
//! HTML-instead-of-asset check, and staging.
//!
//! Every file is streamed into a temp file in its destination folder while it is hashed;
//! nothing is renamed into place until *every* file of the command has downloaded and
//! matched its expected hash ([`Staging::commit`]). Dropping a [`Staging`] removes the temp
//! files and any folders it created, so a failure leaves the disk as it was.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::MultiProgress;
use vendor_manifest::hash::MultiHasher;
use vendor_manifest::paths::resolve_inside;
use vendor_manifest::{Digests, Expected};

use super::VendorError;
use super::config::Options;
use crate::ui::Printer;

/// One file to download.
#[derive(Debug, Clone)]
pub(crate) struct FetchJob {
    pub name: String,
    /// Canonical URL (what manifest and lock record).
    pub url: String,
    /// Destination relative to the project folder.
    pub dest: String,
    /// Hashes the download must match (all of them).
    pub expected: Vec<Expected>,
}

/// A downloaded, verified file waiting in a temp file beside its destination.
#[derive(Debug)]
pub(crate) struct Staged {
    pub job: FetchJob,
    pub target: PathBuf,
    pub digests: Digests,
    tmp: tempfile::NamedTempFile,
}

/// Every staged file of one command, and the folders created for them.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    pub files: Vec<Staged>,
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

impl Staging {
    /// Rename every staged file into place, then fsync their folders.
    pub(crate) fn commit(mut self) -> anyhow::Result<Vec<(FetchJob, Digests)>> {
        let mut done = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for staged in std::mem::take(&mut self.files) {
            let target = staged.target.clone();
            staged.tmp.persist(&target).map_err(|e| {
                anyhow::Error::new(e.error).context(format!("cannot write {}", target.display()))
            })?;
            if let Some(dir) = target.parent()
                && !dirs.iter().any(|d| d == dir)
            {
                dirs.push(dir.to_path_buf());
            }
            done.push((staged.job, staged.digests));
        }
        for dir in &dirs {
            super::project::sync_dir(dir);
        }
        self.committed = true;
        Ok(done)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Temp files go first (NamedTempFile removes itself), then folders we made, deepest
        // first; remove_dir fails harmlessly on anything not empty.
        self.files.clear();
        for dir in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Set on a redirect the policy refused, found again in the reqwest error's sources.
#[derive(Debug)]
struct RedirectRefused(String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect to plain http `{}` refused", self.0)
    }
}
impl std::error::Error for RedirectRefused {}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether plain http to `host` is acceptable.
fn http_allowed(host: &str, allow: &[String]) -> bool {
    is_loopback(host) || allow.iter().any(|a| a.eq_ignore_ascii_case(host))
}

/// Check a URL's scheme against the policy: https always, http for loopback and allowed hosts.
pub(crate) fn check_scheme(url: &str, allow_http: &[String]) -> Result<reqwest::Url, VendorError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| VendorError::Invalid(format!("`{url}` is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let host = parsed.host_str().unwrap_or("").to_string();
            if http_allowed(&host, allow_http) {
                Ok(parsed)
            } else {
                Err(VendorError::PlainHttp {
                    url: url.to_string(),
                    host,
                })
            }
        }
        other => Err(VendorError::Invalid(format!(
            "`{url}`: unsupported scheme `{other}` (use https)"
        ))),
    }
}

/// HTML where an asset was expected: by content type or by the first bytes.
fn looks_like_html(content_type: Option<&str>, first: &[u8]) -> Option<String> {
    if let Some(ct) = content_type {
        let ct = ct.to_ascii_lowercase();
        if ct.starts_with("text/html") || ct.starts_with("application/xhtml") {
            return Some(format!(
                "server sent `{ct}`, an HTML page, not a JS/CSS file"
            ));
        }
    }
    let start = first
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &first[i..]);
    let head: Vec<u8> = start.iter().take(15).map(u8::to_ascii_lowercase).collect();
    if head.starts_with(b"<!doctype html") || head.starts_with(b"<html") {
        return Some("the body is an HTML page, not a JS/CSS file".into());
    }
    None
}

fn expects_html(dest: &str) -> bool {
    let d = dest.to_ascii_lowercase();
    d.ends_with(".html") || d.ends_with(".htm")
}

pub(crate) struct Fetcher {
    client: reqwest::Client,
    opts: Options,
    printer: Printer,
}

enum Attempt {
    Retry(VendorError),
    Fail(VendorError),
}

impl Fetcher {
    pub(crate) fn new(opts: &Options, printer: &Printer) -> anyhow::Result<Self> {
        let allow = opts.allow_http.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 10 {
                return attempt.error("too many redirects");
            }
            let from_https = attempt
                .previous()
                .last()
                .is_some_and(|u| u.scheme() == "https");
            let to = attempt.url();
            if to.scheme() == "http"
                && (from_https || !http_allowed(to.host_str().unwrap_or(""), &allow))
            {
                let location = to.to_string();
                return attempt.error(RedirectRefused(location));
            }
            attempt.follow()
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!("devenv/", env!("CARGO_PKG_VERSION")))
            .redirect(policy)
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout)
            .build()?;
        Ok(Self {
            client,
            opts: opts.clone(),
            printer: printer.clone(),
        })
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Download every job (at most `concurrency` at once), verify each, and stage them all.
    /// Any failure drops the staging: nothing is left on disk.
    pub(crate) async fn fetch_all(&self, jobs: Vec<FetchJob>) -> anyhow::Result<Staging> {
        let mut staging = Staging::default();
        let root = &self.opts.project_dir;
        let mut prepared = Vec::new();
        for job in jobs {
            let target = resolve_inside(root, &job.dest).map_err(|source| VendorError::Dest {
                name: job.name.clone(),
                source,
            })?;
            check_scheme(&self.opts.mirrored(&job.url), &self.opts.allow_http)?;
            let dir = target.parent().unwrap_or(root).to_path_buf();
            create_dirs(root, &dir, &mut staging.created_dirs)?;
            let file_name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = tempfile::Builder::new()
                .prefix(&format!(".{file_name}.devenv-tmp-"))
                .tempfile_in(&dir)
                .map_err(|e| {
                    anyhow::Error::new(e).context(format!(
                        "cannot create a temporary file in {}",
                        dir.display()
                    ))
                })?;
            super::project::readable(tmp.as_file());
            prepared.push((job, target, tmp));
        }
        let multi = self.printer.multi_progress();
        let results: Vec<anyhow::Result<Staged>> = futures_util::stream::iter(prepared)
            .map(|(job, target, tmp)| self.fetch_one(job, target, tmp, &multi))
            .buffered(self.opts.concurrency)
            .collect()
            .await;
        let _ = multi.clear();
        for result in results {
            staging.files.push(result?);
        }
        Ok(staging)
    }

    async fn fetch_one(
        &self,
        job: FetchJob,
        target: PathBuf,
        mut tmp: tempfile::NamedTempFile,
        multi: &MultiProgress,
    ) -> anyhow::Result<Staged> {
        let with_512 = job.expected.iter().any(Expected::needs_sha512);
        let bar = multi.add(self.printer.bytes_bar(0, job.name.clone()));
        let mut attempt = 0u32;
        let digests = loop {
            tmp.as_file_mut().set_len(0)?;
            tmp.as_file_mut().rewind()?;
            bar.set_position(0);
            match self.attempt(&job, &mut tmp, with_512, &bar).await {
                Ok(d) => break d,
                Err(Attempt::Retry(err)) if attempt < self.opts.retries => {
                    attempt += 1;
                    let wait = Duration::from_millis(250u64 << attempt.min(4));
                    self.printer.warn(format!(
                        "{err}; retrying in {} ms ({attempt}/{})",
                        wait.as_millis(),
                        self.opts.retries
                    ));
                    tokio::time::sleep(wait).await;
                }
                Err(Attempt::Retry(err) | Attempt::Fail(err)) => {
                    bar.finish_and_clear();
                    return Err(err.into());
                }
            }
        };
        bar.finish_and_clear();
        for expected in &job.expected {
            if let Err((want, got)) = expected.check(&digests) {
                return Err(VendorError::Mismatch {
                    url: job.url.clone(),
                    expected: want,
                    actual: got,
                }
                .into());
            }
        }
        tmp.as_file().sync_all()?;
        self.printer.status(
            "Downloaded",
            format!("{} ({} bytes) → {}", job.name, digests.size, job.dest),
        );
        Ok(Staged {
            job,
            target,
            digests,
            tmp,
        })
    }

    /// One try at downloading `job` into `tmp`, hashing as it streams.
    async fn attempt(
        &self,
        job: &FetchJob,
        tmp: &mut tempfile::NamedTempFile,
        with_512: bool,
        bar: &indicatif::ProgressBar,
    ) -> Result<Digests, Attempt> {
        let response = self.request(job).await?;
        let length = response.content_length();
        bar.set_length(length.unwrap_or(0));
        let mut hasher = MultiHasher::new(with_512);
        let mut stream = response.bytes_stream();
        let mut first = true;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| classify(&job.url, source))?;
            if first && !expects_html(&job.dest) {
                first = false;
                if let Some(reason) = looks_like_html(None, &chunk) {
                    return Err(Attempt::Fail(VendorError::ContentType {
                        url: job.url.clone(),
                        reason,
                    }));
                }
            }
            self.check_size(job, hasher.size() + chunk.len() as u64)?;
            hasher.update(&chunk);
            tmp.write_all(&chunk).map_err(|e| {
                Attempt::Fail(VendorError::Invalid(format!(
                    "cannot write {}: {e}",
                    tmp.path().display()
                )))
            })?;
            bar.inc(chunk.len() as u64);
        }
        if let Some(len) = length
            && hasher.size() < len
        {
            return Err(Attempt::Retry(VendorError::Interrupted {
                url: job.url.clone(),
                got: hasher.size(),
                expected: len,
            }));
        }
        Ok(hasher.finish())
    }

    /// Send the request (to the mirror when one is set) and check what the headers say:
    /// the status (5xx, 408 and 429 are worth a retry), an HTML page where an asset was
    /// expected, a declared size over the cap.
    async fn request(&self, job: &FetchJob) -> Result<reqwest::Response, Attempt> {
        let fetch_url = self.opts.mirrored(&job.url);
        let response = self
            .client
            .get(&fetch_url)
            .send()
            .await
            .map_err(|source| classify(&job.url, source))?;
        let status = response.status();
        if !status.is_success() {
            let err = VendorError::Http {
                url: job.url.clone(),
                status: status.as_u16(),
            };
            let transient =
                status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408;
            return Err(if transient {
                Attempt::Retry(err)
            } else {
                Attempt::Fail(err)
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !expects_html(&job.dest)
            && let Some(reason) = looks_like_html(content_type, b"")
        {
            return Err(Attempt::Fail(VendorError::ContentType {
                url: job.url.clone(),
                reason,
            }));
        }
        if let Some(len) = response.content_length() {
            self.check_size(job, len)?;
        }
        Ok(response)
    }

    /// `size` bytes must stay within `vendor.max_size`.
    fn check_size(&self, job: &FetchJob, size: u64) -> Result<(), Attempt> {
        let cap = self.opts.max_size;
        if size > cap {
            return Err(Attempt::Fail(VendorError::TooLarge {
                url: job.url.clone(),
                size,
                cap,
            }));
        }
        Ok(())
    }
}

/// Sort a reqwest error: a refused redirect is final, everything else network-ish is retried.
fn classify(url: &str, source: reqwest::Error) -> Attempt {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&source);
    while let Some(err) = cause {
        if let Some(r) = err.downcast_ref::<RedirectRefused>() {
            return Attempt::Fail(VendorError::InsecureRedirect {
                url: url.to_string(),
                location: r.0.clone(),
            });
        }
        cause = err.source();
    }
    if source.is_builder() || source.is_redirect() {
        return Attempt::Fail(VendorError::Network {
            url: url.to_string(),
            source,
        });
    }
    Attempt::Retry(VendorError::Network {
        url: url.to_string(),
        source,
    })
}

/// `create_dir_all` that remembers which folders it made (to remove them on failure).
fn create_dirs(root: &Path, dir: &Path, created: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    let mut cur = dir;
    while !cur.exists() && cur.starts_with(root) && cur != root {
        missing.push(cur.to_path_buf());
        match cur.parent() {
            Some(p) => cur = p,
            None => break,
        }
    }
    for d in missing.into_iter().rev() {
        fs_err::create_dir(&d)?;
        created.push(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_policy() {
        assert!(check_scheme("https://cdn.jsdelivr.net/x.js", &[]).is_ok());
        assert!(check_scheme("http://127.0.0.1:8080/x.js", &[]).is_ok());
        assert!(check_scheme("http://localhost/x.js", &[]).is_ok());
        assert!(check_scheme("http://[::1]:1/x.js", &[]).is_ok());
        assert!(matches!(
            check_scheme("http://cdn.example.com/x.js", &[]),
            Err(VendorError::PlainHttp { .. })
        ));
        assert!(check_scheme("http://cdn.example.com/x.js", &["cdn.example.com".into()]).is_ok());
        assert!(check_scheme("ftp://x/y", &[]).is_err());
        assert!(check_scheme("not a url", &[]).is_err());
    }

    #[test]
    fn html_is_spotted() {
        assert!(looks_like_html(Some("text/html; charset=utf-8"), b"").is_some());
        assert!(looks_like_html(Some("text/plain"), b"  \n<!DOCTYPE html><html>").is_some());
        assert!(looks_like_html(Some("application/javascript"), b"var htmx=1").is_none());
    }
}

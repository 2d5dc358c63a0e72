//! The npm registry, for `outdated` and `update`: `GET {registry}/{package}` (abbreviated
//! metadata), `dist-tags.latest` and the version list. Also a small semver ordering.

use std::cmp::Ordering;
use std::time::Duration;

use serde::Deserialize;

use super::VendorError;
use super::config::Options;
use super::fetch::check_scheme;

/// `major.minor.patch[-pre]`, ordered as semver orders them (build metadata ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Option<String>,
}

impl Version {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches('v');
        let text = text.split('+').next()?;
        let (core, pre) = match text.split_once('-') {
            Some((c, p)) => (c, Some(p.to_string())),
            None => (text, None),
        };
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            major,
            minor,
            patch,
            pre,
        })
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    for (x, y) in a.split('.').zip(b.split('.')) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.split('.').count().cmp(&b.split('.').count())
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_pre(a, b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What the registry says about a package.
#[derive(Debug, Clone)]
pub(crate) struct PackageInfo {
    pub latest: String,
    pub versions: Vec<String>,
}

impl PackageInfo {
    /// The newest stable version with the same major as `current` (what a caret range allows).
    pub(crate) fn wanted(&self, current: &Version) -> Option<String> {
        self.versions
            .iter()
            .filter_map(|v| Version::parse(v).map(|p| (p, v)))
            .filter(|(p, _)| p.pre.is_none() && p.major == current.major && p >= current)
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v.clone())
    }
}

#[derive(Deserialize)]
struct Packument {
    #[serde(rename = "dist-tags", default)]
    dist_tags: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    versions: serde_json::Map<String, serde_json::Value>,
}

/// Fetch one package's metadata, retrying transient failures.
pub(crate) async fn npm_info(
    client: &reqwest::Client,
    opts: &Options,
    package: &str,
) -> Result<PackageInfo, VendorError> {
    let url = format!("{}/{}", opts.npm_registry, package.replace('/', "%2f"));
    check_scheme(&url, &opts.allow_http)?;
    let registry_err = |message: String| VendorError::Registry {
        package: package.to_string(),
        message,
    };
    let mut attempt = 0;
    let body = loop {
        let result = client
            .get(&url)
            .header(
                "accept",
                "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
            )
            .send()
            .await;
        let transient = match result {
            Ok(resp) if resp.status().is_success() => {
                break resp
                    .bytes()
                    .await
                    .map_err(|e| registry_err(format!("reading {url}: {e}")))?;
            }
            Ok(resp) if resp.status().as_u16() == 404 => {
                return Err(registry_err(format!("not found at {url}")));
            }
            Ok(resp) if resp.status().is_server_error() => format!("{url}: HTTP {}", resp.status()),
            Ok(resp) => return Err(registry_err(format!("{url}: HTTP {}", resp.status()))),
            Err(e) => format!("{url}: {e}"),
        };
        if attempt >= opts.retries {
            return Err(registry_err(transient));
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(250u64 << attempt.min(4))).await;
    };
    let doc: Packument = serde_json::from_slice(&body)
        .map_err(|e| registry_err(format!("{url} is not npm package metadata: {e}")))?;
    let latest = doc
        .dist_tags
        .get("latest")
        .cloned()
        .ok_or_else(|| registry_err("no `latest` dist-tag".into()))?;
    Ok(PackageInfo {
        latest,
        versions: doc.versions.keys().cloned().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_order() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.9.12") < v("2.0.0"));
        assert!(v("2.0.0-beta.2") < v("2.0.0"));
        assert!(v("2.0.0-beta.2") < v("2.0.0-beta.10"));
        assert!(v("1.10.0") > v("1.9.99"));
        assert!(Version::parse("1.2").is_none());
        let info = PackageInfo {
            latest: "2.0.4".into(),
            versions: vec![
                "1.9.11".into(),
                "1.9.12".into(),
                "2.0.0-beta.1".into(),
                "2.0.4".into(),
            ],
        };
        assert_eq!(info.wanted(&v("1.9.11")).as_deref(), Some("1.9.12"));
    }
}

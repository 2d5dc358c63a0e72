//! The `vendor:` section of devenv.yaml, and the resolved [`Options`] after environment
//! variables are applied (`DEVENV_VENDOR_MIRRORS`, `DEVENV_NPM_REGISTRY`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};

use super::VendorError;
use crate::env_vars;

pub(crate) const DEFAULT_MANIFEST: &str = "vendor.yaml";
pub(crate) const DEFAULT_LOCK: &str = "vendor.lock";
pub(crate) const DEFAULT_DEST_DIR: &str = "static/vendor";
pub(crate) const DEFAULT_NPM_REGISTRY: &str = "https://registry.npmjs.org";
pub(crate) const DEFAULT_MAX_SIZE: u64 = 10 * 1024 * 1024;

/// `vendor:` in devenv.yaml. Every key is optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct VendorConfig {
    /// The manifest, relative to the project folder.
    pub manifest: String,
    /// The lock, relative to the project folder.
    pub lock: String,
    /// Where `add` puts files when neither `--dest` nor `--dest-dir` is given.
    pub dest_dir: String,
    /// Largest file accepted: bytes, or `512KiB`, `10MiB`, `1MB`…
    #[serde(deserialize_with = "de_size")]
    pub max_size: u64,
    /// URL prefix → replacement, applied at fetch time (longest prefix wins).
    pub mirrors: IndexMap<String, String>,
    /// npm registry base URL for `outdated` / `update`.
    pub npm_registry: String,
    /// Hosts that may be fetched over plain http (loopback always may).
    pub allow_http: Vec<String>,
    /// Downloads in flight at once.
    pub concurrency: usize,
    /// Connect timeout and longest silence while reading, in seconds.
    pub timeout_secs: u64,
    /// Extra attempts after a transient failure (5xx, 429, timeouts, dropped connections).
    pub retries: u32,
    /// Globs (gitignore syntax) `scan` skips, besides `.git`, `node_modules`, `target` and
    /// the vendored files.
    pub scan_exclude: Vec<String>,
}

impl Default for VendorConfig {
    fn default() -> Self {
        Self {
            manifest: DEFAULT_MANIFEST.into(),
            lock: DEFAULT_LOCK.into(),
            dest_dir: DEFAULT_DEST_DIR.into(),
            max_size: DEFAULT_MAX_SIZE,
            mirrors: IndexMap::new(),
            npm_registry: DEFAULT_NPM_REGISTRY.into(),
            allow_http: Vec::new(),
            concurrency: 8,
            timeout_secs: 30,
            retries: 3,
            scan_exclude: Vec::new(),
        }
    }
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(n) => Ok(n),
        Raw::Text(s) => parse_size(&s).map_err(serde::de::Error::custom),
    }
}

/// `10MiB`, `512 KiB`, `1MB`, `2048`.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (try `10MiB`)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => 1024,
        "mb" => 1000 * 1000,
        "mib" | "m" => 1024 * 1024,
        "gb" => 1000 * 1000 * 1000,
        "gib" | "g" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "`{text}`: unknown size unit (use B, KiB, MiB, KB, MB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Settings for one vendor command, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub project_dir: PathBuf,
    pub manifest_path: PathBuf,
    pub lock_path: PathBuf,
    pub dest_dir: String,
    pub max_size: u64,
    /// Longest prefix first.
    pub mirrors: Vec<(String, String)>,
    pub npm_registry: String,
    pub allow_http: Vec<String>,
    pub concurrency: usize,
    pub timeout: Duration,
    pub retries: u32,
    pub scan_exclude: Vec<String>,
}

impl Options {
    pub(crate) fn resolve(config: &VendorConfig, project_dir: &Path) -> Result<Self, VendorError> {
        let mut mirrors: Vec<(String, String)> = config
            .mirrors
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Ok(text) = std::env::var(env_vars::DEVENV_VENDOR_MIRRORS) {
            // The environment wins over devenv.yaml for the same prefix.
            for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (from, to) = pair.split_once('=').ok_or_else(|| {
                    VendorError::Invalid(format!(
                        "{}: `{pair}` is not PREFIX=REPLACEMENT",
                        env_vars::DEVENV_VENDOR_MIRRORS
                    ))
                })?;
                mirrors.retain(|(f, _)| f != from);
                mirrors.push((from.to_string(), to.to_string()));
            }
        }
        mirrors.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        let npm_registry = std::env::var(env_vars::DEVENV_NPM_REGISTRY)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| config.npm_registry.clone());
        for (label, path) in [
            ("vendor.manifest", &config.manifest),
            ("vendor.lock", &config.lock),
        ] {
            vendor_manifest::paths::check_relative(path)
                .map_err(|e| VendorError::Invalid(format!("devenv.yaml `{label}`: {e}")))?;
        }
        Ok(Self {
            project_dir: project_dir.to_path_buf(),
            manifest_path: project_dir.join(&config.manifest),
            lock_path: project_dir.join(&config.lock),
            dest_dir: config.dest_dir.trim_end_matches('/').to_string(),
            max_size: config.max_size,
            mirrors,
            npm_registry: npm_registry.trim_end_matches('/').to_string(),
            allow_http: config.allow_http.clone(),
            concurrency: config.concurrency.max(1),
            timeout: Duration::from_secs(config.timeout_secs.max(1)),
            retries: config.retries,
            scan_exclude: config.scan_exclude.clone(),
        })
    }

    /// The URL actually fetched for a canonical URL.
    pub(crate) fn mirrored(&self, url: &str) -> String {
        for (from, to) in &self.mirrors {
            if let Some(rest) = url.strip_prefix(from.as_str()) {
                return format!("{to}{rest}");
            }
        }
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB").unwrap(), 10 * 1024 * 1024);
        assert_eq!(parse_size("512 KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("1MB").unwrap(), 1_000_000);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn config_keys_are_checked() {
        let cfg: VendorConfig =
            serde_yaml_ng::from_str("max_size: 2MiB\nmirrors:\n  'https://a/': 'http://b/'\n")
                .unwrap();
        assert_eq!(cfg.max_size, 2 * 1024 * 1024);
        assert_eq!(cfg.manifest, DEFAULT_MANIFEST);
        assert!(serde_yaml_ng::from_str::<VendorConfig>("colour: red\n").is_err());
    }

    #[test]
    fn longest_mirror_prefix_wins() {
        let mut cfg = VendorConfig::default();
        cfg.mirrors
            .insert("https://cdn.jsdelivr.net/".into(), "http://a/".into());
        cfg.mirrors.insert(
            "https://cdn.jsdelivr.net/npm/x@1/".into(),
            "http://b/".into(),
        );
        let opts = Options::resolve(&cfg, Path::new("/p")).unwrap();
        assert_eq!(
            opts.mirrored("https://cdn.jsdelivr.net/npm/x@1/y.js"),
            "http://b/y.js"
        );
        assert_eq!(
            opts.mirrored("https://cdn.jsdelivr.net/npm/z@1/y.js"),
            "http://a/npm/z@1/y.js"
        );
        assert_eq!(opts.mirrored("https://unpkg.com/z"), "https://unpkg.com/z");
    }
}

//! `vendor.yaml`: the list of third-party files the app ships, as people write it.
//!
//! ```yaml
//! version: 1
//! assets:
//!   htmx:
//!     url: https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js
//!     dest: static/vendor/htmx/htmx.min.js
//!     integrity: sha384-…        # optional pin, checked on every fetch
//! ```
//!
//! Asset names are keys, so they are unique; the map is sorted so rewrites give small diffs.
//! Each entry has a digest (sha256 of its canonical JSON) that the lock keeps, so the tool
//! knows offline which entries changed since the lock was written.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::hash::{Expected, HashError, sha256_hex};
use crate::paths::{PathError, check_relative};

/// The only manifest format version so far.
pub const MANIFEST_VERSION: u32 = 1;

const HEADER: &str = "\
# Third-party JS/CSS this app ships, pinned by `vendor.lock` (see docs/vendor.md).
# Edit by hand or with `devenv vendor add/remove/update`; run `devenv vendor sync` after editing.
";

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "{path}: unsupported manifest version {found} (this devenv reads version {MANIFEST_VERSION})"
    )]
    Version { path: String, found: u32 },
    #[error("{path}: asset `{name}`: {source}")]
    Dest {
        path: String,
        name: String,
        #[source]
        source: PathError,
    },
    #[error("{path}: asset `{name}`: {source}")]
    Pin {
        path: String,
        name: String,
        #[source]
        source: HashError,
    },
}

/// One vendored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Canonical https URL (a versioned CDN URL when there is one). Mirrors apply at fetch time.
    pub url: String,
    /// Where the file goes, relative to the project folder, with `/` separators.
    pub dest: String,
    /// Optional pin: the sha256 (hex) the download must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Optional pin: an SRI value (`sha384-…`) the download must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
}

impl Entry {
    /// sha256 of the entry's canonical JSON, as `sha256:<hex>`.
    pub fn digest(&self) -> String {
        // Field order is the struct's, absent pins are omitted: stable across runs.
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("sha256:{}", sha256_hex(json.as_bytes()))
    }

    /// The pins this entry declares, parsed.
    pub fn pins(&self) -> Result<Vec<Expected>, HashError> {
        let mut pins = Vec::new();
        if let Some(h) = &self.sha256 {
            pins.push(Expected::sha256(h)?);
        }
        if let Some(i) = &self.integrity {
            pins.push(Expected::integrity(i)?);
        }
        Ok(pins)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default = "default_version")]
    pub version: u32,
    #[serde(default)]
    pub assets: BTreeMap<String, Entry>,
}

fn default_version() -> u32 {
    MANIFEST_VERSION
}

impl Default for Manifest {
    fn default() -> Self {
        Self {
            version: MANIFEST_VERSION,
            assets: BTreeMap::new(),
        }
    }
}

/// Names are used on the command line and as lock keys: keep them plain.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@/+".contains(&b))
        && !name.starts_with(['-', '/']);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid asset name (letters, digits and `._-@/+`, not starting with `-` or `/`)"
        ))
    }
}

impl Manifest {
    /// Parse and validate; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let shown = path.display().to_string();
        let manifest: Manifest = if text.trim().is_empty() {
            Manifest::default()
        } else {
            serde_yaml_ng::from_str(text).map_err(|err| match err.location() {
                Some(loc) => ManifestError::Syntax {
                    path: shown.clone(),
                    line: loc.line(),
                    column: loc.column(),
                    message: err.to_string(),
                },
                None => ManifestError::Invalid {
                    path: shown.clone(),
                    message: err.to_string(),
                },
            })?
        };
        if manifest.version != MANIFEST_VERSION {
            return Err(ManifestError::Version {
                path: shown,
                found: manifest.version,
            });
        }
        let mut dests: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, entry) in &manifest.assets {
            check_name(name).map_err(|message| ManifestError::Invalid {
                path: shown.clone(),
                message,
            })?;
            check_relative(&entry.dest).map_err(|source| ManifestError::Dest {
                path: shown.clone(),
                name: name.clone(),
                source,
            })?;
            entry.pins().map_err(|source| ManifestError::Pin {
                path: shown.clone(),
                name: name.clone(),
                source,
            })?;
            if let Some(other) = dests.insert(entry.dest.as_str(), name.as_str()) {
                return Err(ManifestError::Invalid {
                    path: shown,
                    message: format!("assets `{other}` and `{name}` both write `{}`", entry.dest),
                });
            }
        }
        Ok(manifest)
    }

    /// The file's text: a short header, then stable YAML.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml_ng::to_string(self).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// The entry that downloads `url`, if any.
    pub fn find_url(&self, url: &str) -> Option<(&String, &Entry)> {
        self.assets.iter().find(|(_, e)| e.url == url)
    }

    /// The entry that writes `dest`, if any.
    pub fn find_dest(&self, dest: &str) -> Option<(&String, &Entry)> {
        self.assets.iter().find(|(_, e)| e.dest == dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "version: 1\nassets:\n  htmx:\n    url: https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js\n    dest: static/vendor/htmx/htmx.min.js\n";

    #[test]
    fn round_trips() {
        let m = Manifest::parse(GOOD, Path::new("vendor.yaml")).unwrap();
        assert_eq!(m.assets.len(), 1);
        let again = Manifest::parse(&m.to_yaml(), Path::new("vendor.yaml")).unwrap();
        assert_eq!(m, again);
        assert!(m.to_yaml().starts_with("# Third-party"));
    }

    #[test]
    fn digest_changes_with_the_entry() {
        let m = Manifest::parse(GOOD, Path::new("vendor.yaml")).unwrap();
        let mut e = m.assets["htmx"].clone();
        let before = e.digest();
        assert_eq!(before, m.assets["htmx"].digest());
        e.dest = "static/other.js".into();
        assert_ne!(before, e.digest());
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let err = Manifest::parse(
            "version: 1\nassets:\n  htmx:\n    url: x\n    dest: a.js\n    colour: red\n",
            Path::new("vendor.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("vendor.yaml:6:"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn escaping_dest_and_bad_pins_are_rejected() {
        let text = GOOD.replace("static/vendor/htmx/htmx.min.js", "../outside.js");
        assert!(matches!(
            Manifest::parse(&text, Path::new("v")),
            Err(ManifestError::Dest { .. })
        ));
        let text = format!("{GOOD}    sha256: nothex\n");
        assert!(matches!(
            Manifest::parse(&text, Path::new("v")),
            Err(ManifestError::Pin { .. })
        ));
        let text = "version: 2\n";
        assert!(matches!(
            Manifest::parse(text, Path::new("v")),
            Err(ManifestError::Version { found: 2, .. })
        ));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("htmx.org").is_ok());
        assert!(check_name("@picocss/pico").is_ok());
        assert!(check_name("-rf").is_err());
        assert!(check_name("a b").is_err());
    }
}

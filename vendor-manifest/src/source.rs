//! Versioned CDN URLs understood as package + version + path, so `outdated` and `update`
//! can ask the registry and rewrite the URL:
//!
//! - jsDelivr: `https://cdn.jsdelivr.net/npm/{pkg}@{ver}/{path}` (also `fastly.` / `gcore.`)
//! - unpkg: `https://unpkg.com/{pkg}@{ver}/{path}`
//! - cdnjs: `https://cdnjs.cloudflare.com/ajax/libs/{lib}/{ver}/{path}`
//!
//! `{pkg}` may be scoped (`@picocss/pico`). Any other https URL is a plain URL: it is pinned
//! and verified like the rest, just not updatable.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Npm,
    Cdnjs,
}

impl Registry {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Cdnjs => "cdnjs",
        }
    }
}

/// A URL that names a package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRef {
    pub registry: Registry,
    /// Package (npm) or library (cdnjs) name.
    pub name: String,
    pub version: String,
    /// The file inside the package, without a leading `/` (may be empty).
    pub path: String,
    /// Everything before the package name, e.g. `https://cdn.jsdelivr.net/npm/`.
    prefix: String,
    /// The text between name and version: `@` (npm CDNs) or `/` (cdnjs).
    separator: char,
    /// Query and fragment, kept as they were.
    suffix: String,
}

const NPM_PREFIXES: &[&str] = &[
    "https://cdn.jsdelivr.net/npm/",
    "https://fastly.jsdelivr.net/npm/",
    "https://gcore.jsdelivr.net/npm/",
    "https://unpkg.com/",
    "https://www.unpkg.com/",
];
const CDNJS_PREFIX: &str = "https://cdnjs.cloudflare.com/ajax/libs/";

impl PackageRef {
    pub fn parse(url: &str) -> Option<Self> {
        let (body, suffix) = match url.find(['?', '#']) {
            Some(i) => (&url[..i], &url[i..]),
            None => (url, ""),
        };
        if let Some(prefix) = NPM_PREFIXES.iter().find(|p| body.starts_with(*p)) {
            let rest = &body[prefix.len()..];
            // `@scope/name@ver/...` or `name@ver/...`: the version `@` is after the scope.
            let scope_len = if rest.starts_with('@') {
                rest.find('/')? + 1
            } else {
                0
            };
            let at = scope_len + rest[scope_len..].find('@')?;
            let name = &rest[..at];
            if name.is_empty() || name[scope_len..].contains('/') {
                return None;
            }
            let after = &rest[at + 1..];
            let (version, path) = after.split_once('/').unwrap_or((after, ""));
            if version.is_empty() {
                return None;
            }
            return Some(Self {
                registry: Registry::Npm,
                name: name.to_string(),
                version: version.to_string(),
                path: path.to_string(),
                prefix: prefix.to_string(),
                separator: '@',
                suffix: suffix.to_string(),
            });
        }
        if let Some(rest) = body.strip_prefix(CDNJS_PREFIX) {
            let mut parts = rest.splitn(3, '/');
            let name = parts.next().filter(|s| !s.is_empty())?;
            let version = parts.next().filter(|s| !s.is_empty())?;
            let path = parts.next().unwrap_or("");
            return Some(Self {
                registry: Registry::Cdnjs,
                name: name.to_string(),
                version: version.to_string(),
                path: path.to_string(),
                prefix: CDNJS_PREFIX.to_string(),
                separator: '/',
                suffix: suffix.to_string(),
            });
        }
        None
    }

    /// The same file at another version.
    pub fn url_for_version(&self, version: &str) -> String {
        let path = if self.path.is_empty() {
            String::new()
        } else {
            format!("/{}", self.path)
        };
        format!(
            "{}{}{}{}{}{}",
            self.prefix, self.name, self.separator, version, path, self.suffix
        )
    }

    /// Whether the version is exact (`1.2.3`, `1.2.3-beta.1`) rather than a range or tag.
    pub fn is_exact(&self) -> bool {
        let core = self.version.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsdelivr_unpkg_cdnjs() {
        let p = PackageRef::parse("https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js")
            .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("htmx.org", "2.0.3"));
        assert_eq!(p.path, "dist/htmx.min.js");
        assert_eq!(
            p.url_for_version("2.0.4"),
            "https://cdn.jsdelivr.net/npm/htmx.org@2.0.4/dist/htmx.min.js"
        );
        let s = PackageRef::parse(
            "https://cdn.jsdelivr.net/npm/@picocss/pico@1.5.10/css/pico.classless.min.css",
        )
        .unwrap();
        assert_eq!(s.name, "@picocss/pico");
        assert_eq!(s.version, "1.5.10");
        assert!(s.is_exact());
        let u = PackageRef::parse("https://unpkg.com/alpinejs@3.14.7?module").unwrap();
        assert_eq!(u.path, "");
        assert_eq!(
            u.url_for_version("3.15.0"),
            "https://unpkg.com/alpinejs@3.15.0?module"
        );
        let c =
            PackageRef::parse("https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js")
                .unwrap();
        assert_eq!(c.registry, Registry::Cdnjs);
        assert_eq!((c.name.as_str(), c.version.as_str()), ("jquery", "3.7.1"));
        assert_eq!(
            c.url_for_version("3.7.2"),
            "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.2/jquery.min.js"
        );
    }

    #[test]
    fn floating_and_plain_urls() {
        assert!(PackageRef::parse("https://unpkg.com/htmx.org").is_none());
        assert!(PackageRef::parse("https://code.jquery.com/jquery-3.7.1.min.js").is_none());
        let f = PackageRef::parse("https://cdn.jsdelivr.net/npm/htmx.org@2/dist/htmx.js").unwrap();
        assert!(!f.is_exact());
    }
}

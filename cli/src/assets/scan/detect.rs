//! Finding remote asset references in one file's bytes, without a full parser: every `//`
//! is a candidate; a candidate that starts a URL (`https://`, `http://`, or `//host/` after
//! a quote or `(`) is classified by what precedes it: an HTML attribute of an enclosing tag
//! (`<script src>`, `<link rel=… href>`), a CSS `url(` / `@import`, a JS `from` / `import(` /
//! `importScripts(`, a `sourceMappingURL=`, or an import-map block. Anything else is
//! reported only when its host is a known CDN (template helpers such as
//! `javascript_include_tag "https://…"` or `script.src = "https://…"`).

use memchr::memmem;

use super::hosts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// HTML and templates (Jinja, ERB, Handlebars, Twig, …).
    Markup,
    Css,
    Js,
}

/// Which scanner a file gets, by extension; `None` = not scanned.
pub(crate) fn kind_for(name: &str) -> Option<FileKind> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit('.').next()?;
    Some(match ext {
        "html" | "htm" | "xhtml" | "jinja" | "jinja2" | "j2" | "njk" | "nunjucks" | "hbs"
        | "handlebars" | "mustache" | "erb" | "twig" | "tmpl" | "tpl" | "gohtml" | "liquid"
        | "vue" | "svelte" | "astro" | "php" | "jsp" | "cshtml" | "razor" | "ejs" | "jsx"
        | "tsx" | "eex" | "heex" | "leex" => FileKind::Markup,
        "css" | "scss" | "sass" | "less" | "styl" => FileKind::Css,
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => FileKind::Js,
        _ => return None,
    })
}

/// One reference found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Byte offset of the URL's first character.
    pub offset: usize,
    pub url: String,
    pub host: String,
    /// `script`, `stylesheet`, `preload`, `preconnect`, `icon`, `manifest`, `media`,
    /// `importmap`, `css-import`, `css-url`, `js-import`, `js-dynamic-import`,
    /// `import-scripts`, `worker`, `sourcemap`, `literal`.
    pub kind: &'static str,
    /// For `<script>`, `<link>` and import maps: whether an integrity value covers it.
    pub has_integrity: Option<bool>,
    /// That integrity value, for pinning with `scan --add`.
    pub integrity: Option<String>,
}

fn is_ws(b: u8) -> bool {
    b.is_ascii_whitespace()
}

fn prev_non_ws(bytes: &[u8], end: usize) -> Option<usize> {
    (0..end).rev().find(|&i| !is_ws(bytes[i]))
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'-' || b == b':'
}

/// The identifier that ends at `end` (inclusive), and where it starts.
fn ident_before(bytes: &[u8], end: usize) -> (usize, &[u8]) {
    let mut start = end + 1;
    while start > 0 && is_ident(bytes[start - 1]) {
        start -= 1;
    }
    (start, &bytes[start..=end])
}

fn eq_ci(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// Parse the host after `//` at `i`; returns (host, index after host[:port]).
fn host_at(bytes: &[u8], i: usize) -> Option<(String, usize)> {
    let mut j = i + 2;
    while j < bytes.len()
        && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'.' || bytes[j] == b'-')
    {
        j += 1;
    }
    let host = std::str::from_utf8(&bytes[i + 2..j])
        .ok()?
        .to_ascii_lowercase();
    if host.is_empty() || host.starts_with('.') || host.ends_with('.') {
        return None;
    }
    let tld_ok = host
        .rsplit('.')
        .next()
        .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()));
    let ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.') && host.contains('.');
    if !(host.contains('.') && (tld_ok || ip)) && host != "localhost" {
        return None;
    }
    if j < bytes.len() && bytes[j] == b':' {
        let mut k = j + 1;
        while k < bytes.len() && bytes[k].is_ascii_digit() {
            k += 1;
        }
        if k > j + 1 {
            j = k;
        }
    }
    let next = bytes.get(j).copied();
    match next {
        None => Some((host, j)),
        Some(b'/' | b'?' | b'#' | b'"' | b'\'' | b'`' | b')' | b'<' | b'>') => Some((host, j)),
        Some(b) if is_ws(b) => Some((host, j)),
        _ => None,
    }
}

fn url_end(bytes: &[u8], from: usize, quote: Option<u8>) -> usize {
    let mut j = from;
    while j < bytes.len() {
        let b = bytes[j];
        if Some(b) == quote || is_ws(b) || matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>' | b'\\') {
            break;
        }
        if quote.is_none() && matches!(b, b')' | b',' | b';') {
            break;
        }
        j += 1;
    }
    j
}

/// Attributes of the tag `bytes[start..end]` (from `<` to `>`), names lowercased.
fn attributes(tag: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < tag.len() && is_ident(tag[i]) {
        i += 1; // the tag name
    }
    while i < tag.len() {
        while i < tag.len() && (is_ws(tag[i]) || tag[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < tag.len() && !is_ws(tag[i]) && !matches!(tag[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = String::from_utf8_lossy(&tag[start..i]).to_ascii_lowercase();
        let mut j = i;
        while j < tag.len() && is_ws(tag[j]) {
            j += 1;
        }
        let mut value = String::new();
        if j < tag.len() && tag[j] == b'=' {
            j += 1;
            while j < tag.len() && is_ws(tag[j]) {
                j += 1;
            }
            if j < tag.len() && (tag[j] == b'"' || tag[j] == b'\'') {
                let q = tag[j];
                let vs = j + 1;
                let mut ve = vs;
                while ve < tag.len() && tag[ve] != q {
                    ve += 1;
                }
                value = String::from_utf8_lossy(&tag[vs..ve]).into_owned();
                j = (ve + 1).min(tag.len());
            } else {
                let vs = j;
                while j < tag.len() && !is_ws(tag[j]) && tag[j] != b'>' {
                    j += 1;
                }
                value = String::from_utf8_lossy(&tag[vs..j]).into_owned();
            }
            i = j;
        }
        out.push((name, value));
    }
    out
}

/// The tag enclosing `at`: (start of `<`, end after `>`), when `at` is inside one.
fn enclosing_tag(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let floor = at.saturating_sub(4096);
    let lt = (floor..at)
        .rev()
        .find(|&i| bytes[i] == b'<' || bytes[i] == b'>')?;
    if bytes[lt] != b'<' || !bytes.get(lt + 1).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut quote: Option<u8> = None;
    let ceil = (at + 8192).min(bytes.len());
    for (i, &b) in bytes.iter().enumerate().take(ceil).skip(lt + 1) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some((lt, i + 1)),
            _ => {}
        }
    }
    None
}

fn tag_name(tag: &[u8]) -> String {
    let end = tag[1..]
        .iter()
        .position(|b| !is_ident(*b))
        .map_or(tag.len(), |p| p + 1);
    String::from_utf8_lossy(&tag[1..end]).to_ascii_lowercase()
}

/// An import map body: (start, end, its `integrity` object).
type ImportMapBlock = (usize, usize, serde_json::Map<String, serde_json::Value>);

/// `<script type="importmap">` bodies in a markup file.
fn importmap_blocks(bytes: &[u8]) -> Vec<ImportMapBlock> {
    let mut blocks = Vec::new();
    let lower = bytes.to_ascii_lowercase();
    let mut from = 0;
    while let Some(rel) = memmem::find(&lower[from..], b"<script") {
        let start = from + rel;
        let Some((_, open_end)) = enclosing_tag(bytes, start + 1) else {
            from = start + 7;
            continue;
        };
        let is_map = attributes(&bytes[start..open_end])
            .iter()
            .any(|(n, v)| n == "type" && v.eq_ignore_ascii_case("importmap"));
        let close =
            memmem::find(&lower[open_end..], b"</script").map_or(bytes.len(), |r| open_end + r);
        if is_map {
            let integrity = serde_json::from_slice::<serde_json::Value>(&bytes[open_end..close])
                .ok()
                .and_then(|v| v.get("integrity").and_then(|i| i.as_object()).cloned())
                .unwrap_or_default();
            blocks.push((open_end, close, integrity));
        }
        from = close.max(start + 7);
    }
    blocks
}

fn link_kind(rel: &str) -> Option<&'static str> {
    let rels: Vec<String> = rel
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let has = |r: &str| rels.iter().any(|x| x == r);
    if has("stylesheet") {
        Some("stylesheet")
    } else if has("preconnect") || has("dns-prefetch") {
        Some("preconnect")
    } else if has("modulepreload") || has("preload") || has("prefetch") {
        Some("preload")
    } else if has("icon") || has("apple-touch-icon") || has("mask-icon") {
        Some("icon")
    } else if has("manifest") {
        Some("manifest")
    } else {
        None
    }
}

enum Class {
    Report(&'static str, Option<bool>, Option<String>),
    /// An attribute or construct that is not an asset load (`<a href>`, `xmlns=`).
    Ignore,
    /// Nothing recognised: a literal.
    Literal,
}

fn classify_attr(
    bytes: &[u8],
    attr_start: usize,
    attr: &str,
    url_at: usize,
    known_cdn: bool,
) -> Class {
    if attr.eq_ignore_ascii_case("sourcemappingurl") {
        return Class::Report("sourcemap", None, None);
    }
    let Some((lt, gt)) = enclosing_tag(bytes, attr_start) else {
        return Class::Literal;
    };
    if gt <= url_at {
        return Class::Literal;
    }
    let tag = &bytes[lt..gt];
    let name = tag_name(tag);
    let attrs = attributes(tag);
    let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let integrity = get("integrity").filter(|v| !v.trim().is_empty());
    match (name.as_str(), attr) {
        ("script", "src") => Class::Report("script", Some(integrity.is_some()), integrity),
        ("link", "href") => match link_kind(&get("rel").unwrap_or_default()) {
            Some(kind @ ("stylesheet" | "preload")) => {
                Class::Report(kind, Some(integrity.is_some()), integrity)
            }
            Some(kind) => Class::Report(kind, None, None),
            None => Class::Ignore,
        },
        (
            "img" | "source" | "video" | "audio" | "track" | "embed" | "input",
            "src" | "srcset" | "poster",
        ) if known_cdn => Class::Report("media", None, None),
        _ => Class::Ignore,
    }
}

fn classify(bytes: &[u8], start: usize, quote: Option<u8>, known_cdn: bool) -> Class {
    let before = if quote.is_some() { start - 1 } else { start };
    let Some(p) = prev_non_ws(bytes, before) else {
        return Class::Literal;
    };
    match bytes[p] {
        b'(' => classify_call(bytes, p),
        b',' => {
            // A later argument of `importScripts("a", "b")` on the same line.
            let line_start = bytes[..p]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            if memmem::find(&bytes[line_start..p], b"importScripts(").is_some() {
                Class::Report("import-scripts", None, None)
            } else {
                Class::Literal
            }
        }
        b'=' => {
            let Some(e) = prev_non_ws(bytes, p) else {
                return Class::Literal;
            };
            let (s, ident) = ident_before(bytes, e);
            let attr = String::from_utf8_lossy(ident).to_ascii_lowercase();
            if attr.ends_with("sourcemappingurl") {
                return Class::Report("sourcemap", None, None);
            }
            classify_attr(bytes, s, &attr, start, known_cdn)
        }
        _ => {
            let (s, word) = ident_before(bytes, p);
            if word == b"from"
                || (word == b"import" && s.checked_sub(1).is_none_or(|i| bytes[i] != b'@'))
            {
                Class::Report("js-import", None, None)
            } else if eq_ci(word, "import") {
                Class::Report("css-import", None, None)
            } else {
                Class::Literal
            }
        }
    }
}

/// A URL that is the argument of the call whose `(` is at `open`: CSS `url(` (in an
/// `@import` or not), `import(`, `importScripts(`, `new Worker(`, `register(`.
fn classify_call(bytes: &[u8], open: usize) -> Class {
    let Some(e) = prev_non_ws(bytes, open) else {
        return Class::Literal;
    };
    let (s, ident) = ident_before(bytes, e);
    // `background:url(`: the CSS property is not part of the function name.
    let (s, ident) = match ident.iter().rposition(|&b| b == b':') {
        Some(c) => (s + c + 1, &ident[c + 1..]),
        None => (s, ident),
    };
    if eq_ci(ident, "url") {
        let is_import = prev_non_ws(bytes, s).is_some_and(|q| {
            let (_, w) = ident_before(bytes, q);
            q >= 1 && eq_ci(w, "import") && bytes.get(q + 1 - w.len() - 1) == Some(&b'@')
        });
        Class::Report(if is_import { "css-import" } else { "css-url" }, None, None)
    } else if ident == b"import" {
        Class::Report("js-dynamic-import", None, None)
    } else if ident == b"importScripts" {
        Class::Report("import-scripts", None, None)
    } else if ident == b"Worker" || ident == b"SharedWorker" || ident == b"register" {
        Class::Report("worker", None, None)
    } else {
        Class::Literal
    }
}

/// Every remote reference in a file.
pub(crate) fn detect(bytes: &[u8], kind: FileKind) -> Vec<Hit> {
    let mut hits = Vec::new();
    let finder = memmem::Finder::new(b"//");
    let mut maps: Option<Vec<ImportMapBlock>> = None;
    let mut last_end = 0;
    for i in finder.find_iter(bytes) {
        if i < last_end {
            continue;
        }
        let Some(url) = url_at(bytes, i) else {
            continue;
        };
        last_end = url.end;
        if kind == FileKind::Markup {
            let blocks = maps.get_or_insert_with(|| importmap_blocks(bytes));
            if let Some((_, _, integrity)) = blocks
                .iter()
                .find(|(s, e, _)| *s <= url.start && url.start < *e)
            {
                hits.extend(importmap_hit(bytes, url, integrity));
                continue;
            }
        }
        hits.extend(classified_hit(bytes, url));
    }
    hits
}

/// A URL found at a `//`.
struct Url {
    /// Where it starts: the scheme, or the `//` of a protocol-relative URL.
    start: usize,
    end: usize,
    /// The quote before it, when it is quoted.
    quote: Option<u8>,
    host: String,
    text: String,
}

/// The URL whose `//` is at `i`, when it is one.
fn url_at(bytes: &[u8], i: usize) -> Option<Url> {
    let start = if i >= 6 && bytes[i - 6..i].eq_ignore_ascii_case(b"https:") {
        i - 6
    } else if i >= 5 && bytes[i - 5..i].eq_ignore_ascii_case(b"http:") {
        i - 5
    } else if i >= 1 && matches!(bytes[i - 1], b'"' | b'\'' | b'(' | b'`') {
        i
    } else {
        return None;
    };
    if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        return None; // `xhttps://` or `foo//`
    }
    let (host, after_host) = host_at(bytes, i)?;
    let quote = start
        .checked_sub(1)
        .map(|q| bytes[q])
        .filter(|b| matches!(b, b'"' | b'\'' | b'`'));
    let end = url_end(bytes, after_host, quote);
    let text = String::from_utf8_lossy(&bytes[start..end]).into_owned();
    Some(Url {
        start,
        end,
        quote,
        host,
        text,
    })
}

/// A URL inside an import map: a mapped address (with the map's integrity for it), not a
/// key (`"https://…": "…"` keys name what is remapped, they are not loaded).
fn importmap_hit(
    bytes: &[u8],
    url: Url,
    integrity: &serde_json::Map<String, serde_json::Value>,
) -> Option<Hit> {
    let value = integrity
        .get(&url.text)
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let is_key = bytes.get(url.end) == Some(&b'"')
        && prev_non_ws(bytes, url.start.saturating_sub(1))
            .is_some_and(|p| bytes[p] == b'{' || bytes[p] == b',')
        && integrity.contains_key(&url.text);
    (!is_key).then(|| Hit {
        offset: url.start,
        url: url.text,
        host: url.host,
        kind: "importmap",
        has_integrity: Some(value.is_some()),
        integrity: value,
    })
}

/// A URL outside import maps, by what precedes it; a bare quoted literal only for a
/// known CDN.
fn classified_hit(bytes: &[u8], url: Url) -> Option<Hit> {
    let known_cdn = hosts::cdn_name(&url.host).is_some();
    let (kind, has_integrity, integrity) = match classify(bytes, url.start, url.quote, known_cdn) {
        Class::Report(kind, has_integrity, integrity) => (kind, has_integrity, integrity),
        Class::Literal if known_cdn && url.quote.is_some() => ("literal", None, None),
        _ => return None,
    };
    Some(Hit {
        offset: url.start,
        url: url.text,
        host: url.host,
        kind,
        has_integrity,
        integrity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, kind: FileKind) -> Vec<(&'static str, String, Option<bool>)> {
        detect(text.as_bytes(), kind)
            .into_iter()
            .map(|h| (h.kind, h.url, h.has_integrity))
            .collect()
    }

    #[test]
    fn html_tags() {
        let html = r#"<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
<link rel=stylesheet href="https://cdn.jsdelivr.net/npm/@picocss/pico@1.5.10/css/pico.min.css" integrity="sha384-abc">
<script src="//unpkg.com/htmx.org@1.9.12"></script>
<a href="https://example.com/page">not an asset</a>
<svg xmlns="http://www.w3.org/2000/svg"></svg>
<link rel="canonical" href="https://shop.example.com/">"#;
        let got = kinds(html, FileKind::Markup);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, "preconnect");
        assert_eq!(
            got[1],
            (
                "stylesheet",
                "https://cdn.jsdelivr.net/npm/@picocss/pico@1.5.10/css/pico.min.css".into(),
                Some(true)
            )
        );
        assert_eq!(
            got[2],
            ("script", "//unpkg.com/htmx.org@1.9.12".into(), Some(false))
        );
    }

    #[test]
    fn css_and_js() {
        let css = "@import url(\"https://fonts.googleapis.com/css2?family=Inter\");\n@import 'https://cdn.example.com/a.css';\nbody{background:url(https://cdn.example.com/bg.png)}";
        let got = kinds(css, FileKind::Css);
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            ["css-import", "css-import", "css-url"]
        );
        let js = "import { h } from \"https://esm.sh/preact@10.19.3\";\nconst m = await import('https://cdn.example.com/m.js');\nimportScripts(\"https://cdn.example.com/w.js\", \"https://cdn.example.com/w2.js\");\n// see https://example.com/docs\nconst s = \"https://cdn.jsdelivr.net/npm/x@1/y.js\";";
        let got = kinds(js, FileKind::Js);
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            [
                "js-import",
                "js-dynamic-import",
                "import-scripts",
                "import-scripts",
                "literal"
            ]
        );
    }

    #[test]
    fn import_maps() {
        let html = r#"<script type="importmap">
{ "imports": { "vue": "https://unpkg.com/vue@3.4.21/dist/vue.esm-browser.js", "lit": "https://cdn.jsdelivr.net/npm/lit@3.1.2/+esm" },
  "integrity": { "https://unpkg.com/vue@3.4.21/dist/vue.esm-browser.js": "sha384-xyz" } }
</script>"#;
        let got = kinds(html, FileKind::Markup);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].2, Some(true));
        assert_eq!(got[1].2, Some(false));
    }

    #[test]
    fn file_kinds() {
        assert_eq!(kind_for("base.html.jinja"), Some(FileKind::Markup));
        assert_eq!(kind_for("show.html.erb"), Some(FileKind::Markup));
        assert_eq!(kind_for("app.hbs"), Some(FileKind::Markup));
        assert_eq!(kind_for("site.scss"), Some(FileKind::Css));
        assert_eq!(kind_for("sw.mjs"), Some(FileKind::Js));
        assert_eq!(kind_for("app.py"), None);
    }
}

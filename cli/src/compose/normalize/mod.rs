//! From parsed YAML `Value`s to the typed model, strictly: every key checked, every short
//! syntax expanded, every path made absolute. Errors carry the file and line of the key.

mod consistency;
mod deploy;
mod document;
mod environment;
mod ports;
mod service;
mod volumes;

use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;
use serde_yaml_ng::{Mapping, Value};

use super::error::{ComposeError, Location};
use super::graph::did_you_mean;
use super::interpolate::Env;
use super::shellwords;
use super::yaml::find_line_depth;

pub(super) use document::document;
pub(super) use service::service;
pub(super) use volumes::short_volume_target;

/// One source file's path and text (for line lookups).
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub path: PathBuf,
    pub text: String,
}

/// Where we are while normalizing, and what we collected.
pub(super) struct Ctx<'a> {
    sources: &'a [Source],
    pub working_dir: &'a Path,
    pub env: &'a Env,
    pub notes: Vec<String>,
    path: Vec<String>,
}

pub(super) type Result<T> = std::result::Result<T, ComposeError>;

impl<'a> Ctx<'a> {
    pub(super) fn new(sources: &'a [Source], working_dir: &'a Path, env: &'a Env) -> Self {
        Self {
            sources,
            working_dir,
            env,
            notes: Vec::new(),
            path: Vec::new(),
        }
    }

    /// The location of the current path, searched in every source (the deepest match wins,
    /// the later file on ties, as overrides come later).
    pub(super) fn location_of(&self, path: &[String]) -> Option<Location> {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let mut best: Option<(usize, &Source, Option<u32>)> = None;
        for source in self.sources {
            let (depth, line) = find_line_depth(&source.text, &keys);
            if best.as_ref().is_none_or(|(d, _, _)| depth >= *d) {
                best = Some((depth, source, line));
            }
        }
        match best {
            Some((0, source, _)) if self.sources.len() == 1 => Some(Location {
                file: source.path.clone(),
                line: None,
                column: None,
            }),
            Some((0, _, _)) | None => None,
            Some((_, source, line)) => Some(Location {
                file: source.path.clone(),
                line,
                column: None,
            }),
        }
    }

    pub(super) fn location(&self) -> Option<Location> {
        self.location_of(&self.path)
    }

    /// A human name for the current path: `service \`web\``, `networks.front`, ….
    pub(super) fn context(&self) -> String {
        match self.path.as_slice() {
            [] => "the top level".into(),
            [first, name, rest @ ..] if first == "services" => {
                if rest.is_empty() {
                    format!("service `{name}`")
                } else {
                    format!("service `{name}` ({})", dotted(rest))
                }
            }
            other => format!("`{}`", dotted(other)),
        }
    }

    /// Run `f` on each item of a list with `[i]` on the path, so an error points at the item's
    /// own line.
    pub(super) fn each_item<T>(
        &mut self,
        items: &[Value],
        mut f: impl FnMut(&mut Self, &Value) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.at(&format!("[{i}]"), |c| f(c, item))?);
        }
        Ok(out)
    }

    /// An `Invalid` error at the current path.
    pub(super) fn err(&self, message: impl Into<String>) -> ComposeError {
        ComposeError::Invalid {
            location: self.location(),
            message: message.into(),
        }
    }

    /// "`key` (in service `web`) must be …" at the current path.
    pub(super) fn expected(&self, what: &str, got: &Value) -> ComposeError {
        // `volumes[2]`: a list item is named with its key.
        let mut parent = self.path.clone();
        let mut key = parent.pop().unwrap_or_default();
        while key.starts_with('[')
            && let Some(prev) = parent.pop()
        {
            key = format!("{prev}{key}");
        }
        let ctx = if parent.is_empty() {
            String::new()
        } else {
            let c = Ctx {
                sources: self.sources,
                working_dir: self.working_dir,
                env: self.env,
                notes: Vec::new(),
                path: parent,
            };
            format!(" in {}", c.context())
        };
        self.err(format!(
            "`{key}`{ctx} must be {what}, not {}",
            describe(got)
        ))
    }

    /// Run `f` with `key` pushed on the path.
    pub(super) fn at<T>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.path.push(key.to_string());
        let out = f(self);
        self.path.pop();
        out
    }

    pub(super) fn unknown_key(&self, key: &str, known: &[&str]) -> ComposeError {
        let mut path = self.path.clone();
        path.push(key.to_string());
        ComposeError::UnknownKey {
            location: self.location_of(&path),
            key: key.to_string(),
            context: self.context(),
            suggestion: did_you_mean(key, known.iter().copied()),
        }
    }

    pub(super) fn note(&mut self, message: String) {
        if !self.notes.contains(&message) {
            self.notes.push(message);
        }
    }

    /// A mapping (null counts as empty).
    pub(super) fn mapping<'v>(&self, v: &'v Value) -> Result<Option<&'v Mapping>> {
        match v {
            Value::Mapping(m) => Ok(Some(m)),
            Value::Null => Ok(None),
            other => Err(self.expected("a mapping", other)),
        }
    }

    /// Iterate a mapping's entries with string keys; `x-` keys skipped.
    pub(super) fn entries<'v>(&self, v: &'v Value) -> Result<Vec<(String, &'v Value)>> {
        let Some(m) = self.mapping(v)? else {
            return Ok(Vec::new());
        };
        Ok(m.iter()
            .map(|(k, v)| (key_string(k), v))
            .filter(|(k, _)| !k.starts_with("x-"))
            .collect())
    }

    pub(super) fn string(&self, v: &Value) -> Result<String> {
        scalar(v).ok_or_else(|| self.expected("a string", v))
    }

    pub(super) fn opt_string(&self, v: &Value) -> Result<Option<String>> {
        match v {
            Value::Null => Ok(None),
            other => self.string(other).map(Some),
        }
    }

    pub(super) fn bool(&self, v: &Value) -> Result<bool> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" | "1" => Ok(true),
                "false" | "no" | "n" | "off" | "0" | "" => Ok(false),
                _ => Err(self.expected("true or false", v)),
            },
            _ => Err(self.expected("true or false", v)),
        }
    }

    pub(super) fn int(&self, v: &Value) -> Result<i64> {
        match v {
            Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| self.expected("a whole number", v)),
            _ => Err(self.expected("a whole number", v)),
        }
    }

    pub(super) fn uint(&self, v: &Value) -> Result<u64> {
        let n = self.int(v)?;
        u64::try_from(n).map_err(|_| self.expected("a non-negative whole number", v))
    }

    pub(super) fn float(&self, v: &Value) -> Result<f64> {
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        n.filter(|f| f.is_finite())
            .ok_or_else(|| self.expected("a number", v))
    }

    pub(super) fn duration(&self, v: &Value) -> Result<std::time::Duration> {
        let text = self.string(v)?;
        super::duration::parse(&text).map_err(|e| self.err(e))
    }

    pub(super) fn bytes(&self, v: &Value) -> Result<u64> {
        let text = self.string(v)?;
        parse_bytes(&text).ok_or_else(|| {
            self.err(format!(
                "`{text}` is not a size (expected bytes or e.g. `64m`, `1g`, `512kb`)"
            ))
        })
    }

    /// A list of scalars; a single scalar counts as a one-item list when `single` is true.
    pub(super) fn strings(&self, v: &Value, single: bool) -> Result<Vec<String>> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Sequence(seq) => seq
                .iter()
                .map(|item| scalar(item).ok_or_else(|| self.expected("a list of strings", v)))
                .collect(),
            other if single && scalar(other).is_some() => {
                Ok(vec![scalar(other).unwrap_or_default()])
            }
            other => Err(self.expected("a list of strings", other)),
        }
    }

    /// A map of strings from a mapping or a list of `KEY=VALUE` (a bare `KEY` is "").
    pub(super) fn string_map(&self, v: &Value) -> Result<IndexMap<String, String>> {
        Ok(self
            .opt_map(v)?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    }

    /// Like `string_map`, keeping bare keys and null values as `None`.
    pub(super) fn opt_map(&self, v: &Value) -> Result<IndexMap<String, Option<String>>> {
        let mut out = IndexMap::new();
        match v {
            Value::Null => {}
            Value::Mapping(m) => {
                for (k, val) in m {
                    let key = key_string(k);
                    let value = match val {
                        Value::Null => None,
                        other => Some(scalar(other).ok_or_else(|| {
                            self.err(format!(
                                "the value of `{key}` in {} must be a string, number or boolean, not {}",
                                self.context(),
                                describe(other)
                            ))
                        })?),
                    };
                    out.insert(key, value);
                }
            }
            Value::Sequence(seq) => {
                for item in seq {
                    let text = scalar(item)
                        .ok_or_else(|| self.expected("a list of `KEY=VALUE` strings", v))?;
                    match text.split_once('=') {
                        Some((k, val)) => out.insert(k.to_string(), Some(val.to_string())),
                        None => out.insert(text, None),
                    };
                }
            }
            other => return Err(self.expected("a mapping or a list of `KEY=VALUE`", other)),
        }
        Ok(out)
    }

    /// A command: a list, or a string split into words exactly as compose splits it (not by
    /// a shell: the first `&&`, `|`, `;`, `<` or `>` ends it, with a warning); null is unset.
    pub(super) fn command(&mut self, v: &Value) -> Result<Option<Vec<String>>> {
        match v {
            Value::Null => Ok(None),
            Value::Sequence(_) => self.strings(v, false).map(Some),
            other => {
                let text = self.string(other)?;
                let split = shellwords::split(&text)
                    .map_err(|e| self.err(format!("cannot split `{text}` into words: {e}")))?;
                if let Some(at) = split.stopped_at {
                    self.warn_shell_operator(&text, at, &split.words);
                }
                Ok(Some(split.words))
            }
        }
    }

    /// Compose runs a shell-form string without a shell and drops everything from the first
    /// shell operator on; say so, and how to get a shell.
    fn warn_shell_operator(&mut self, text: &str, at: usize, kept: &[String]) {
        let key = self.path.last().cloned().unwrap_or_default();
        let operator: String = text[at..]
            .chars()
            .take_while(|c| matches!(c, ';' | '&' | '|' | '<' | '>'))
            .collect();
        let kept = kept.join(" ");
        let quoted = serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""));
        let message = format!(
            "{}{}: `{key}` holds the shell operator `{operator}`, but no shell runs it: \
             like compose, devenv runs only `{kept}` and drops the rest; for a shell write \
             `{key}: [\"sh\", \"-c\", {quoted}]`",
            super::WARNING,
            self.context()
        );
        self.note(message);
    }

    /// A host path from the compose file, absolute (`~` is the home folder). As in compose, a
    /// path written absolute is kept as written (`/etc/pihole/`); the others are joined to the
    /// working directory and cleaned.
    pub(super) fn host_path(&self, raw: &str) -> PathBuf {
        if raw.starts_with('/') || super::paths::is_windows_absolute(raw) {
            return PathBuf::from(raw);
        }
        absolute(self.working_dir, raw, self.env)
    }
}

/// `volumes[2].bind`: keys joined with dots, list indexes attached.
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for part in path {
        if !out.is_empty() && !part.starts_with('[') {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

/// Resolve `raw` against `base`, expanding `~`, lexically cleaned (no `.`/`..` left).
pub(super) fn absolute(base: &Path, raw: &str, env: &Env) -> PathBuf {
    let home = env
        .get("HOME")
        .cloned()
        .or_else(|| std::env::var("HOME").ok())
        .unwrap_or_else(|| "/".into());
    let expanded = if raw == "~" {
        PathBuf::from(home)
    } else if let Some(rest) = raw.strip_prefix("~/") {
        Path::new(&home).join(rest)
    } else {
        PathBuf::from(raw)
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    clean(&joined)
}

/// Remove `.` and resolve `..` lexically.
pub(super) fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A container path cleaned as compose cleans it (Go's `path.Clean`): `/var/www/html/` →
/// `/var/www/html`, `//a/./b/../c` → `/a/c`.
pub(super) fn clean_container_path(raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let rooted = raw.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// A mapping key as text.
pub(super) fn key_string(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => scalar(other).unwrap_or_else(|| "<complex key>".into()),
    }
}

/// A scalar as text (strings, numbers, booleans); `None` for null, lists, maps.
pub(super) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) if s.len() > 40 => "a long string".into(),
        Value::String(s) => format!("`{s}`"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a `{}`-tagged value", t.tag),
    }
}

/// Sizes like compose/docker: `1024`, `64m`, `1.5g`, `512kb`, `2GiB` (binary multiples).
pub(super) fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        _ => return None,
    };
    let bytes = n * mult;
    (bytes.is_finite() && bytes < 1.8e19).then_some(bytes as u64)
}

/// Remove `!reset` values and unwrap `!override` (used when checking one file on its own).
pub(super) fn untag(value: &mut Value) {
    match value {
        Value::Mapping(m) => {
            m.retain(|_, v| !matches!(v, Value::Tagged(t) if t.tag == "reset"));
            for (_, v) in m.iter_mut() {
                untag(v);
            }
        }
        Value::Sequence(seq) => {
            seq.retain(|v| !matches!(v, Value::Tagged(t) if t.tag == "reset"));
            for v in seq.iter_mut() {
                untag(v);
            }
        }
        Value::Tagged(t) if t.tag == "override" => {
            let mut inner = std::mem::take(&mut t.value);
            untag(&mut inner);
            *value = inner;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_paths_are_cleaned_like_go() {
        assert_eq!(clean_container_path("/var/www/html/"), "/var/www/html");
        assert_eq!(clean_container_path("//a/./b/../c"), "/a/c");
        assert_eq!(clean_container_path("/"), "/");
        assert_eq!(clean_container_path("/../x"), "/x");
        assert_eq!(clean_container_path("a/../../b"), "../b");
        assert_eq!(clean_container_path("./"), ".");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1024"), Some(1024));
        assert_eq!(parse_bytes("64m"), Some(64 * 1024 * 1024));
        assert_eq!(parse_bytes("1GB"), Some(1 << 30));
        assert_eq!(parse_bytes("1.5k"), Some(1536));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("9999999999999999999999g"), None);
    }

    #[test]
    fn paths_are_absolute_and_clean() {
        let env = Env::new();
        let base = Path::new("/proj");
        assert_eq!(absolute(base, "./data", &env), PathBuf::from("/proj/data"));
        assert_eq!(absolute(base, "../x/./y", &env), PathBuf::from("/x/y"));
        assert_eq!(absolute(base, "/abs", &env), PathBuf::from("/abs"));
        let mut env = Env::new();
        env.insert("HOME".into(), "/home/u".into());
        assert_eq!(absolute(base, "~/c", &env), PathBuf::from("/home/u/c"));
    }
}

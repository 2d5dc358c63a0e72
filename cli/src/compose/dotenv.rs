//! `.env` and `env_file:` files: `KEY=value` lines like compose reads them.
//!
//! Blank lines and `#` comments are skipped; `export ` is allowed; values may be unquoted
//! (trailing ` #comment` dropped, whitespace trimmed), single-quoted (literal) or
//! double-quoted (`\n`, `\t`, `\"`, `\\` escapes, may span lines). Unquoted and
//! double-quoted values are interpolated with the variables known so far.

use std::path::Path;

use indexmap::IndexMap;

use super::error::{ComposeError, Location};
use super::interpolate::{Env, interpolate};

/// One parsed file: `KEY=value` pairs; a bare `KEY` (no `=`) maps to `None`.
pub(super) type EnvFile = IndexMap<String, Option<String>>;

/// Parse dotenv text. `lookup` provides the variables for `${...}` in values (the file's own
/// earlier entries are visible too).
pub(super) fn parse(text: &str, file: &Path, lookup: &Env) -> Result<EnvFile, ComposeError> {
    let mut out = EnvFile::new();
    let mut scope = lookup.clone();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let raw = lines[i].trim_start_matches('\u{feff}');
        i += 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let err = |message: String| ComposeError::Invalid {
            location: Some(Location {
                file: file.to_path_buf(),
                line: Some(line_no as u32),
                column: None,
            }),
            message,
        };
        let Some((key, value)) = line.split_once('=') else {
            if !valid_key(line) {
                return Err(err(format!("`{line}` is not a `KEY=value` line")));
            }
            out.insert(line.to_string(), None);
            continue;
        };
        let key = key.trim();
        if !valid_key(key) {
            return Err(err(format!("`{key}` is not a valid variable name")));
        }
        let parsed = value_of(key, value.trim_start(), &lines, &mut i, &scope).map_err(err)?;
        scope.insert(key.to_string(), parsed.clone());
        out.insert(key.to_string(), Some(parsed));
    }
    Ok(out)
}

/// The value of `key`: single-quoted (literal), double-quoted (escapes and `${...}`; may
/// continue on the following lines, which `next` then moves past), or bare (`${...}`, and
/// ` #` starts a comment).
fn value_of(
    key: &str,
    value: &str,
    lines: &[&str],
    next: &mut usize,
    scope: &Env,
) -> Result<String, String> {
    if let Some(body) = value.strip_prefix('\'') {
        return match body.find('\'') {
            Some(end) => Ok(body[..end].to_string()),
            None => Err(format!("unclosed single quote in the value of `{key}`")),
        };
    }
    let expanded = if let Some(body) = value.strip_prefix('"') {
        let mut collected = body.to_string();
        loop {
            if let Some(end) = closing_double_quote(&collected) {
                collected.truncate(end);
                break;
            }
            let Some(line) = lines.get(*next) else {
                return Err(format!("unclosed double quote in the value of `{key}`"));
            };
            collected.push('\n');
            collected.push_str(line);
            *next += 1;
        }
        expand(&unescape(&collected), scope)
    } else {
        let bare = value.find(" #").map_or(value, |pos| &value[..pos]);
        expand(bare.trim(), scope)
    };
    expanded.map_err(|e| format!("in the value of `{key}`: {e}"))
}

/// Read and parse a dotenv file, naming the path on IO errors.
pub(super) fn read(path: &Path, lookup: &Env) -> Result<EnvFile, ComposeError> {
    let text = super::text::read(path)?;
    parse(&text, path, lookup)
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

fn closing_double_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('$') => out.push_str("$$"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Interpolate a value; unset variables are simply blank here (no warning).
fn expand(value: &str, scope: &Env) -> Result<String, String> {
    interpolate(value, scope, &mut Vec::new()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> EnvFile {
        let mut env = Env::new();
        env.insert("HOME_X".into(), "/home/x".into());
        parse(text, Path::new(".env"), &env).unwrap()
    }

    fn get<'a>(f: &'a EnvFile, k: &str) -> Option<&'a str> {
        f.get(k).and_then(|v| v.as_deref())
    }

    #[test]
    fn forms() {
        let f = p(
            "# comment\n\nA=1\nexport B = two words \nC='lit $HOME_X'\nD=\"q\\n$HOME_X\"\nE=x #c\nF=a#b\nG=${A}-${NOPE:-d}\nBARE\nH=\"multi\nline\"\nI=\n",
        );
        assert_eq!(get(&f, "A"), Some("1"));
        assert_eq!(get(&f, "B"), Some("two words"));
        assert_eq!(get(&f, "C"), Some("lit $HOME_X"));
        assert_eq!(get(&f, "D"), Some("q\n/home/x"));
        assert_eq!(get(&f, "E"), Some("x"));
        assert_eq!(get(&f, "F"), Some("a#b"));
        assert_eq!(get(&f, "G"), Some("1-d"));
        assert_eq!(f.get("BARE"), Some(&None));
        assert_eq!(get(&f, "H"), Some("multi\nline"));
        assert_eq!(get(&f, "I"), Some(""));
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("A=1\n1BAD=2\n", Path::new("x.env"), &Env::new()).unwrap_err();
        assert!(err.to_string().starts_with("x.env:2:"), "{err}");
        let err = parse("A=\"open\n", Path::new("x.env"), &Env::new()).unwrap_err();
        assert!(err.to_string().contains("unclosed"), "{err}");
    }
}

//! Variable interpolation like compose: `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?message}`, `${VAR?message}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a literal `$`.
//! Defaults and alternatives are interpolated too (nesting). Applies to values, never keys.

use indexmap::IndexMap;
use serde_yaml_ng::Value;

/// Variables visible to interpolation: the process environment over `.env`.
pub(super) type Env = IndexMap<String, String>;

/// What went wrong in one string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum InterpolationError {
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR unset (or empty for `:?`).
    Required { var: String, message: String },
    /// A `${` that starts no valid substitution (`${}`, `${1}`, `${A:=b}`), or is unclosed.
    Invalid { template: String },
}

impl std::fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolationError::Required { var, message } if message.is_empty() => {
                write!(f, "required variable `{var}` is missing a value")
            }
            InterpolationError::Required { var, message } => {
                write!(f, "required variable `{var}` is missing a value: {message}")
            }
            InterpolationError::Invalid { template } => write!(
                f,
                "invalid interpolation format in `{template}` (write `$$` for a literal `$`)"
            ),
        }
    }
}

/// Interpolate one string. Unset variables (without a default) become "" and are pushed to
/// `missing` (once each), as compose warns about them.
pub(super) fn interpolate(
    text: &str,
    env: &Env,
    missing: &mut Vec<String>,
) -> Result<String, InterpolationError> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let invalid = || InterpolationError::Invalid {
        template: text.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = closing_brace(r).ok_or_else(invalid)?;
            let inner = &r[..end];
            out.push_str(&braced(inner, env, missing, text)?);
            rest = &r[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                // Compose's pattern matches no substitution here (`$1`, `a $ b`, a trailing
                // `$`), so the `$` is kept as it is.
                out.push('$');
                rest = after;
                continue;
            }
            let name = &after[..len];
            out.push_str(&lookup(name, env, missing));
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Length of a variable name at the start of `s`: `[A-Za-z_][A-Za-z0-9_]*`.
fn name_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return 0,
    }
    chars
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(s.len(), |(i, _)| i)
}

/// The index of the `}` closing a `${`, skipping nested `${...}`.
fn closing_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn lookup(name: &str, env: &Env, missing: &mut Vec<String>) -> String {
    match env.get(name) {
        Some(v) => v.clone(),
        None => {
            if !missing.iter().any(|m| m == name) {
                missing.push(name.to_string());
            }
            String::new()
        }
    }
}

fn braced(
    inner: &str,
    env: &Env,
    missing: &mut Vec<String>,
    template: &str,
) -> Result<String, InterpolationError> {
    let invalid = || InterpolationError::Invalid {
        template: template.to_string(),
    };
    let len = name_len(inner);
    if len == 0 {
        return Err(invalid());
    }
    let name = &inner[..len];
    let op = &inner[len..];
    let value = env.get(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let (kind, arg) = if op.is_empty() {
        return Ok(lookup(name, env, missing));
    } else if let Some(a) = op.strip_prefix(":-") {
        ("default", (a, true))
    } else if let Some(a) = op.strip_prefix('-') {
        ("default", (a, false))
    } else if let Some(a) = op.strip_prefix(":?") {
        ("required", (a, true))
    } else if let Some(a) = op.strip_prefix('?') {
        ("required", (a, false))
    } else if let Some(a) = op.strip_prefix(":+") {
        ("alt", (a, true))
    } else if let Some(a) = op.strip_prefix('+') {
        ("alt", (a, false))
    } else {
        return Err(invalid());
    };
    let (arg, colon) = arg;
    let present = if colon { non_empty } else { set };
    match kind {
        "default" if present => Ok(value.cloned().unwrap_or_default()),
        "default" => interpolate(arg, env, missing),
        "required" if present => Ok(value.cloned().unwrap_or_default()),
        "required" => Err(InterpolationError::Required {
            var: name.to_string(),
            message: interpolate(arg, env, missing)?,
        }),
        _ if present => interpolate(arg, env, missing),
        _ => Ok(String::new()),
    }
}

/// Interpolate every string value in `value` (mapping keys untouched). On error, returns the
/// path of keys to the failing value (for the line lookup).
pub(super) fn interpolate_value(
    value: &mut Value,
    env: &Env,
    missing: &mut Vec<String>,
    path: &mut Vec<String>,
) -> Result<(), InterpolationError> {
    match value {
        Value::String(s) if s.contains('$') => {
            *s = interpolate(s, env, missing)?;
        }
        Value::Sequence(seq) => {
            for v in seq {
                interpolate_value(v, env, missing, path)?;
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                path.push(super::normalize::key_string(k));
                interpolate_value(v, env, missing, path)?;
                path.pop();
            }
        }
        Value::Tagged(t) => interpolate_value(&mut t.value, env, missing, path)?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        let mut e = Env::new();
        e.insert("A".into(), "alpha".into());
        e.insert("EMPTY".into(), String::new());
        e.insert("PORT".into(), "8080".into());
        e
    }

    fn run(s: &str) -> Result<String, InterpolationError> {
        interpolate(s, &env(), &mut Vec::new())
    }

    #[test]
    fn plain_and_braced() {
        assert_eq!(run("x-$A-${A}-y").unwrap(), "x-alpha-alpha-y");
        assert_eq!(run("$A_B").unwrap(), "");
        assert_eq!(run("${A}_B").unwrap(), "alpha_B");
        assert_eq!(run("no dollars").unwrap(), "no dollars");
        assert_eq!(run("cost $$5 and $${A}").unwrap(), "cost $5 and ${A}");
    }

    #[test]
    fn defaults() {
        assert_eq!(run("${MISSING:-d}").unwrap(), "d");
        assert_eq!(run("${MISSING-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY-d}").unwrap(), "");
        assert_eq!(run("${A:-d}").unwrap(), "alpha");
        assert_eq!(run("${MISSING:-}").unwrap(), "");
        assert_eq!(run("${MISSING:-a:b/c}").unwrap(), "a:b/c");
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(run("${X:-${Y:-${PORT}}}").unwrap(), "8080");
        assert_eq!(run("${X:-${Y:-z}}/p").unwrap(), "z/p");
        assert_eq!(run("${X:-$PORT}").unwrap(), "8080");
    }

    #[test]
    fn required() {
        let err = run("${MISSING:?set MISSING please}").unwrap_err();
        assert_eq!(
            err,
            InterpolationError::Required {
                var: "MISSING".into(),
                message: "set MISSING please".into()
            }
        );
        assert!(run("${EMPTY:?x}").is_err());
        assert_eq!(run("${EMPTY?x}").unwrap(), "");
        assert_eq!(run("${A:?x}").unwrap(), "alpha");
    }

    #[test]
    fn alternatives() {
        assert_eq!(run("${A:+on}").unwrap(), "on");
        assert_eq!(run("${EMPTY:+on}").unwrap(), "");
        assert_eq!(run("${EMPTY+on}").unwrap(), "on");
        assert_eq!(run("${MISSING+on}").unwrap(), "");
    }

    #[test]
    fn missing_is_blank_and_recorded_once() {
        let mut missing = Vec::new();
        let out = interpolate("$NOPE ${NOPE} ${ALSO}", &env(), &mut missing).unwrap();
        assert_eq!(out, "  ");
        assert_eq!(missing, vec!["NOPE".to_string(), "ALSO".to_string()]);
    }

    #[test]
    fn invalid_templates() {
        for bad in ["${", "${A", "${}", "${1A}", "${A#x}", "${A:=b}"] {
            assert!(
                matches!(run(bad), Err(InterpolationError::Invalid { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_dollar_before_no_name_is_literal() {
        // As in compose: no substitution starts here, so the `$` stays.
        for literal in ["$", "a $ b", "$1", "x$", "$-x", "$.x"] {
            assert_eq!(run(literal).unwrap(), literal);
        }
    }

    #[test]
    fn keys_are_not_interpolated() {
        let mut v: Value = serde_yaml_ng::from_str("$A: ${A}\nlist: [$PORT]\n").unwrap();
        interpolate_value(&mut v, &env(), &mut Vec::new(), &mut Vec::new()).unwrap();
        assert_eq!(v["$A"], Value::from("alpha"));
        assert_eq!(v["list"][0], Value::from("8080"));
    }
}

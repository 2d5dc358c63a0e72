//! Reading one compose file: YAML with precise syntax errors, `<<` merge keys, and finding the
//! line a key sits on (serde_yaml_ng's `Value` carries no positions, so we scan the source).

use std::path::Path;

use serde_yaml_ng::Value;

use super::error::{ComposeError, Location};

/// Parse YAML text into a `Value`, with `file:line:col: message` and a caret on error.
pub(super) fn parse(text: &str, file: &Path) -> Result<Value, ComposeError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    if let Some(err) = control_character(text, file) {
        return Err(err);
    }
    // Several documents (`---`) are merged in order, as compose merges them.
    let mut value = Value::Null;
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let doc = parse_document(document, text, file)?;
        if matches!(value, Value::Null) {
            value = doc;
        } else {
            super::merge::merge_documents(&mut value, doc);
        }
    }
    Ok(value)
}

fn parse_document(
    document: serde_yaml_ng::Deserializer<'_>,
    text: &str,
    file: &Path,
) -> Result<Value, ComposeError> {
    use serde::Deserialize;
    let mut value = Value::deserialize(document).map_err(|err| {
        let loc = err.location();
        let (line, column) = match &loc {
            Some(l) => (Some(l.line() as u32), Some(l.column() as u32)),
            None => (None, None),
        };
        // serde_yaml_ng appends " at line L column C"; we print the location first instead.
        let mut message = err.to_string();
        if let Some(pos) = message.find(" at line ") {
            message.truncate(pos);
        }
        let snippet = match &loc {
            Some(l) => snippet(text, l.line(), l.column()),
            None => String::new(),
        };
        ComposeError::Syntax {
            location: Location {
                file: file.to_path_buf(),
                line,
                column,
            },
            message,
            snippet,
        }
    })?;
    apply_merge(&mut value, 0).map_err(|message| {
        ComposeError::invalid(
            Some(Location {
                file: file.to_path_buf(),
                line: find_line(text, &["<<"]),
                column: None,
            }),
            message,
        )
    })?;
    Ok(value)
}

/// The first character YAML does not allow (C0 controls but tab, LF and CR; DEL; C1 controls
/// but NEL), at its own line and column: the parser would report its byte offset at 1:1.
fn control_character(text: &str, file: &Path) -> Option<ComposeError> {
    let (offset, c) = text.char_indices().find(|&(_, c)| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}'))
            || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    })?;
    let (line, column) = super::text::line_and_column(&text.as_bytes()[..offset]);
    Some(ComposeError::Syntax {
        location: Location {
            file: file.to_path_buf(),
            line: Some(line as u32),
            column: Some(column as u32),
        },
        message: format!(
            "control character U+{:04X} is not allowed in YAML",
            c as u32
        ),
        snippet: snippet(text, line, column),
    })
}

/// The offending line with a caret under `column` (both 1-based), prefixed by a newline.
pub(super) fn snippet(text: &str, line: usize, column: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    // Errors at the end of the input point past the last line: show the last line instead.
    let (line, column) = if line > lines.len() {
        let last = lines
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .unwrap_or(0);
        (last + 1, lines.get(last).map_or(1, |l| l.len() + 1))
    } else {
        (line, column)
    };
    match lines.get(line.saturating_sub(1)) {
        Some(src) => {
            // Tabs as arrows; other control characters as U+FFFD, never raw to the terminal.
            let shown: String = src
                .chars()
                .map(|c| match c {
                    '\t' => '\u{2192}',
                    c if c.is_control() => '\u{FFFD}',
                    c => c,
                })
                .collect();
            format!(
                "\n{:>5} | {shown}\n      | {:>width$}^",
                line,
                "",
                width = column.saturating_sub(1)
            )
        }
        None => String::new(),
    }
}

/// Resolve YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) everywhere, innermost first so
/// chains of merges work. Explicit keys win over merged ones; earlier merged maps win.
pub(super) fn apply_merge(value: &mut Value, depth: usize) -> Result<(), String> {
    if depth > 200 {
        return Err("the YAML nests too deeply".into());
    }
    match value {
        Value::Mapping(map) => {
            for (_, v) in map.iter_mut() {
                apply_merge(v, depth + 1)?;
            }
            if let Some(merge) = map.remove("<<") {
                let sources = match merge {
                    Value::Mapping(m) => vec![m],
                    Value::Sequence(seq) => {
                        let mut out = Vec::new();
                        for item in seq {
                            match item {
                                Value::Mapping(m) => out.push(m),
                                _ => {
                                    return Err(
                                        "a `<<` merge list may only hold mappings (anchors of maps)"
                                            .into(),
                                    );
                                }
                            }
                        }
                        out
                    }
                    _ => return Err("`<<` must merge a mapping (e.g. `<<: *defaults`)".into()),
                };
                for source in sources {
                    for (k, v) in source {
                        if !map.contains_key(&k) {
                            map.insert(k, v);
                        }
                    }
                }
            }
        }
        Value::Sequence(seq) => {
            for v in seq {
                apply_merge(v, depth + 1)?;
            }
        }
        Value::Tagged(t) => apply_merge(&mut t.value, depth + 1)?,
        _ => {}
    }
    Ok(())
}

/// The key on a source line, with its column: `  foo: 1` → ("foo", 2); `- foo: 1` → ("foo", 2).
fn key_on_line(line: &str) -> Option<(&str, usize)> {
    let mut rest = line;
    let mut col = 0;
    loop {
        let trimmed = rest.trim_start_matches(' ');
        col += rest.len() - trimmed.len();
        rest = trimmed;
        if let Some(after) = rest.strip_prefix("- ") {
            col += 2;
            rest = after;
        } else {
            break;
        }
    }
    if rest.starts_with('#') || rest.is_empty() {
        return None;
    }
    let (key, after) = if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = rest[1..].find(q)? + 1;
        (&rest[1..end], &rest[end + 1..])
    } else {
        let end = rest.find(':')?;
        (rest[..end].trim_end(), &rest[end..])
    };
    let after = after.trim_start_matches(' ');
    let after = after.strip_prefix(':')?;
    if after.is_empty() || after.starts_with(' ') || after.starts_with('\t') {
        Some((key, col))
    } else {
        None
    }
}

/// The 1-based line of the key at `path` (mapping keys, outermost first), found by
/// indentation. Falls back to the deepest ancestor found; `None` when not even the first
/// key is in the text (e.g. it came from an anchor or a flow mapping).
pub(super) fn find_line(text: &str, path: &[&str]) -> Option<u32> {
    find_line_depth(text, path).1
}

/// Like [`find_line`], also saying how many leading keys of `path` were found. Tries every
/// candidate for each key (backtracking), so a key in the second item of a list is found.
pub(super) fn find_line_depth(text: &str, path: &[&str]) -> (usize, Option<u32>) {
    let lines: Vec<&str> = text.lines().collect();
    search(&lines, path, 0, None, 0)
}

fn search(
    lines: &[&str],
    path: &[&str],
    start: usize,
    parent_indent: Option<usize>,
    depth: usize,
) -> (usize, Option<u32>) {
    let Some((key, rest)) = path.split_first() else {
        return (0, None);
    };
    if depth > 64 {
        return (0, None);
    }
    if let Some(n) = list_index(key) {
        return search_item(lines, n, rest, start, parent_indent, depth);
    }
    let mut best: (usize, Option<u32>) = (0, None);
    // Keys that are direct children share the column of the first key in the block.
    let mut child_col: Option<usize> = None;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some(p) = parent_indent
            && indent <= p
            && !(indent == p && content.starts_with("- "))
        {
            break;
        }
        let Some((k, col)) = key_on_line(line) else {
            continue;
        };
        let col_ok = match child_col {
            None => {
                child_col = Some(col);
                true
            }
            Some(c) => c == col,
        };
        if !col_ok || k != *key {
            continue;
        }
        let here = Some(i as u32 + 1);
        if rest.is_empty() {
            return (1, here);
        }
        let (d, l) = search(lines, rest, i + 1, Some(col), depth + 1);
        let candidate = (1 + d, l.or(here));
        if candidate.0 == path.len() {
            return candidate;
        }
        if candidate.0 > best.0 {
            best = candidate;
        }
    }
    best
}

/// A path segment `[n]`: the n-th item (0-based) of a block list.
fn list_index(segment: &str) -> Option<usize> {
    segment.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// The line of the n-th `- ` item under the current key, then `rest` within that item only.
fn search_item(
    lines: &[&str],
    n: usize,
    rest: &[&str],
    start: usize,
    parent_indent: Option<usize>,
    depth: usize,
) -> (usize, Option<u32>) {
    let mut item_col: Option<usize> = None;
    let mut count = 0;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let is_item = content == "-" || content.starts_with("- ");
        if let Some(p) = parent_indent
            && (indent < p || (indent == p && !is_item))
        {
            break;
        }
        if !is_item || item_col.is_some_and(|c| c != indent) {
            continue;
        }
        item_col = Some(indent);
        if count < n {
            count += 1;
            continue;
        }
        let here = Some(i as u32 + 1);
        if rest.is_empty() {
            return (1, here);
        }
        // The item ends where a line at its indentation or less starts.
        let end = lines
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, l)| {
                let t = l.trim();
                !t.is_empty()
                    && !t.starts_with('#')
                    && l.len() - l.trim_start_matches(' ').len() <= indent
            })
            .map_or(lines.len(), |(j, _)| j);
        let (d, l) = search(&lines[..end], rest, i, Some(indent), depth + 1);
        return (1 + d, l.or(here));
    }
    (0, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name: demo
services:
  web:
    image: nginx
    ports:
      - target: 80
        publishd: 8080
  db:
    image: postgres
    imagee: x
volumes:
  data: {}
";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(find_line(TEXT, &["services", "db", "imagee"]), Some(10));
        assert_eq!(find_line(TEXT, &["services", "web", "image"]), Some(4));
        assert_eq!(
            find_line(TEXT, &["services", "web", "ports", "publishd"]),
            Some(7)
        );
        assert_eq!(find_line(TEXT, &["volumes", "data"]), Some(12));
        // A key not under that service falls back to the deepest ancestor.
        assert_eq!(find_line(TEXT, &["services", "web", "imagee"]), Some(3));
        assert_eq!(find_line(TEXT, &["nothing"]), None);
        // A key in a later list item, and a key deeper than a same-named one.
        let text = "services:\n  web:\n    volumes:\n      - type: bind\n        bind: {}\n      - type: bind\n        bind:\n          propagatoin: x\n    image: x\n";
        assert_eq!(
            find_line(text, &["services", "web", "volumes", "bind", "propagatoin"]),
            Some(8)
        );
        assert_eq!(find_line(text, &["services", "web", "image"]), Some(9));
    }

    #[test]
    fn finds_list_items() {
        let text = "services:\n  web:\n    volumes:\n      - ./a:/a\n      # c\n      - nope:/x\n      - type: bind\n        source: ./b\n      - type: volume\n        sourc: y\n    ports: [80]\n";
        let at = |p: &[&str]| find_line(text, p);
        assert_eq!(at(&["services", "web", "volumes", "[0]"]), Some(4));
        assert_eq!(at(&["services", "web", "volumes", "[1]"]), Some(6));
        assert_eq!(
            at(&["services", "web", "volumes", "[2]", "source"]),
            Some(8)
        );
        // A key of a later item is not found in an earlier one.
        assert_eq!(
            at(&["services", "web", "volumes", "[3]", "sourc"]),
            Some(10)
        );
        assert_eq!(at(&["services", "web", "volumes", "[2]", "sourc"]), Some(7));
        // A flow list has no item lines: its key's line.
        assert_eq!(at(&["services", "web", "ports", "[0]"]), Some(11));
        // Items at the parent's own indentation.
        let flat = "services:\n  web:\n    volumes:\n    - a:/a\n    - b:/b\n    image: x\n";
        assert_eq!(
            find_line(flat, &["services", "web", "volumes", "[1]"]),
            Some(5)
        );
    }

    #[test]
    fn syntax_errors_have_location_and_caret() {
        let err = parse("services:\n  web:\n    image: [a\n", Path::new("c.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("c.yaml:"), "{text}");
        assert!(text.contains('^'), "{text}");
    }

    #[test]
    fn several_documents_merge_in_order() {
        let v = parse(
            "services:\n  a:\n    image: x\n---\nservices:\n  a:\n    command: y\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(v["services"]["a"]["image"], Value::from("x"));
        assert_eq!(v["services"]["a"]["command"], Value::from("y"));
    }

    #[test]
    fn tabs_are_a_syntax_error_not_a_panic() {
        let err = parse("services:\n\tweb:\n\t\timage: x\n", Path::new("c.yaml")).unwrap_err();
        assert!(err.to_string().starts_with("c.yaml:2:"), "{err}");
    }

    #[test]
    fn a_control_character_is_reported_where_it_is() {
        let text = "services:\n  web:\n    image: busybox\n    environment:\n      A: \"x\0y\"\n";
        let err = parse(text, Path::new("c.yaml")).unwrap_err().to_string();
        assert!(
            err.starts_with("c.yaml:5:12: control character U+0000"),
            "{err}"
        );
        assert!(!err.contains('\0'), "the raw NUL is not printed: {err:?}");
    }

    #[test]
    fn chained_merge_keys() {
        let v = parse(
            "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\nd: {<<: [*a, {x: 9, w: 4}]}\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(v["c"]["x"], Value::from(1));
        assert_eq!(v["c"]["y"], Value::from(2));
        assert_eq!(v["d"]["x"], Value::from(1));
        assert_eq!(v["d"]["w"], Value::from(4));
        assert!(parse("a: {<<: 5}\n", Path::new("c.yaml")).is_err());
    }
}

//! Reading Alembic revision scripts: what `upgrade()` calls on `op` (and on the aliases of
//! `with op.batch_alter_table(…) as batch_op:`), never `downgrade()`.
//!
//! A small Python tokenizer (strings with prefixes and triple quotes, comments, brackets,
//! logical-line indentation) is enough: we look for `op.<name>(…)` calls and read their
//! literal arguments. Anything that is not a literal where we need one (an f-string, a
//! variable passed to `op.execute`) becomes an `unparsed` warning, never a guess.

use super::checks::{FileState, Hit, check_statement};
use crate::migrate::sqltext;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Name,
    Str { value: String, readable: bool },
    Op,
    Other,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    text: String,
    line: usize,
    /// Column of the logical line this token starts, if it is the first token of one.
    line_start_col: Option<usize>,
}

impl Tok {
    fn is_op(&self, s: &str) -> bool {
        self.kind == Kind::Op && self.text == s
    }
    fn is_name(&self, s: &str) -> bool {
        self.kind == Kind::Name && self.text == s
    }
}

/// What came out of a script.
#[derive(Debug, Default)]
pub(crate) struct PyLint {
    pub hits: Vec<Hit>,
    /// (line, message) for what could not be read.
    pub unreadable: Vec<(usize, String)>,
    /// `#` comments with their lines (for ignores and the cleanup marker).
    pub comments: Vec<(usize, String)>,
    /// True when the script has an `upgrade()` at all.
    pub has_upgrade: bool,
}

/// `(line, text)` pairs: comments, or problems.
type Lines = Vec<(usize, String)>;

fn tokenize(src: &str) -> (Vec<Tok>, Lines, Lines) {
    let b = src.as_bytes();
    let (mut i, mut line, mut depth) = (0usize, 1usize, 0i32);
    let mut toks = Vec::new();
    let mut comments = Vec::new();
    let mut problems = Vec::new();
    let mut at_line_start = true;
    let mut col = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
            if depth == 0 {
                at_line_start = true;
                col = 0;
            }
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' {
            if at_line_start {
                col += if c == b'\t' { 8 } else { 1 };
            }
            i += 1;
            continue;
        }
        if c == b'\\' && b.get(i + 1) == Some(&b'\n') {
            i += 2;
            line += 1;
            continue;
        }
        if c == b'#' {
            let start = i;
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            comments.push((line, src[start + 1..i].trim().to_string()));
            continue;
        }
        let start_line = line;
        let line_start_col = if at_line_start && depth == 0 {
            Some(col)
        } else {
            None
        };
        at_line_start = false;
        // String with optional prefix.
        let mut p = i;
        while p < b.len() && p - i < 2 && b"rRbBuUfF".contains(&b[p]) {
            p += 1;
        }
        if p < b.len() && (b[p] == b'\'' || b[p] == b'"') {
            let prefix = src[i..p].to_ascii_lowercase();
            let q = b[p];
            let triple = b.get(p + 1) == Some(&q) && b.get(p + 2) == Some(&q);
            let open = if triple { 3 } else { 1 };
            let body = p + open;
            let mut j = body;
            let mut closed = None;
            while j < b.len() {
                if b[j] == b'\\' {
                    if b.get(j + 1) == Some(&b'\n') {
                        line += 1;
                    }
                    j += 2;
                    continue;
                }
                if b[j] == b'\n' {
                    if !triple {
                        break;
                    }
                    line += 1;
                }
                if b[j] == q && (!triple || (b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q)))
                {
                    closed = Some(j);
                    break;
                }
                j += 1;
            }
            let Some(end) = closed else {
                problems.push((start_line, "unterminated string".to_string()));
                break;
            };
            let raw = &src[body.min(end)..end];
            let readable = (!prefix.contains('f') || !raw.contains('{')) && !prefix.contains('b');
            let value = if prefix.contains('r') {
                raw.to_string()
            } else {
                unescape(raw)
            };
            toks.push(Tok {
                kind: Kind::Str { value, readable },
                text: String::new(),
                line: start_line,
                line_start_col,
            });
            i = end + open;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            toks.push(Tok {
                kind: Kind::Name,
                text: src[start..i].to_string(),
                line,
                line_start_col,
            });
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok {
                kind: Kind::Other,
                text: src[start..i].to_string(),
                line,
                line_start_col,
            });
            continue;
        }
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = (depth - 1).max(0),
            _ => {}
        }
        // `==`, `!=`, `<=`, `>=` are one operator (so `x == y` is not a keyword argument).
        let two = b.get(i + 1) == Some(&b'=') && b"=!<>".contains(&c);
        let len = if two {
            2
        } else {
            src[i..].chars().next().map_or(1, char::len_utf8)
        };
        toks.push(Tok {
            kind: Kind::Op,
            text: src[i..i + len].to_string(),
            line,
            line_start_col,
        });
        i += len;
    }
    (toks, comments, problems)
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
            Some('\n') => {}
            Some(other @ ('\\' | '\'' | '"')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An argument: `name=value` or positional.
struct Arg<'a> {
    name: Option<&'a str>,
    value: &'a [Tok],
}

/// Arguments of the call whose `(` is at `open`; returns them and the index after `)`.
fn call_args(toks: &[Tok], open: usize) -> (Vec<Arg<'_>>, usize) {
    let mut depth = 0;
    let mut args = Vec::new();
    let mut start = open + 1;
    let mut i = open;
    while i < toks.len() {
        let t = &toks[i];
        if t.kind == Kind::Op && matches!(t.text.as_str(), "(" | "[" | "{") {
            depth += 1;
        } else if t.kind == Kind::Op && matches!(t.text.as_str(), ")" | "]" | "}") {
            depth -= 1;
            if depth == 0 {
                push_arg(&mut args, &toks[start..i]);
                return (args, i + 1);
            }
        } else if depth == 1 && t.is_op(",") {
            push_arg(&mut args, &toks[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    (args, toks.len())
}

fn push_arg<'a>(args: &mut Vec<Arg<'a>>, toks: &'a [Tok]) {
    if toks.is_empty() {
        return;
    }
    if toks.len() >= 2 && toks[0].kind == Kind::Name && toks[1].is_op("=") {
        args.push(Arg {
            name: Some(&toks[0].text),
            value: &toks[2..],
        });
    } else {
        args.push(Arg {
            name: None,
            value: toks,
        });
    }
}

fn kw<'a>(args: &'a [Arg<'a>], name: &str) -> Option<&'a [Tok]> {
    args.iter().find(|a| a.name == Some(name)).map(|a| a.value)
}

fn is_true(v: Option<&[Tok]>) -> bool {
    v.is_some_and(|v| v.len() == 1 && v[0].is_name("True"))
}

fn is_false(v: Option<&[Tok]>) -> bool {
    v.is_some_and(|v| v.len() == 1 && v[0].is_name("False"))
}

/// A string literal (adjacent literals joined), also inside `sa.text(…)` / `text(…)`.
fn literal(v: &[Tok]) -> Option<(String, usize, bool)> {
    let strs: Vec<&Tok> = v
        .iter()
        .filter(|t| matches!(t.kind, Kind::Str { .. }))
        .collect();
    let non_str = v
        .iter()
        .filter(|t| !matches!(t.kind, Kind::Str { .. }))
        .count();
    let wrapped = non_str > 0
        && v.iter().any(|t| t.is_name("text"))
        && v.iter().all(|t| {
            matches!(t.kind, Kind::Str { .. } | Kind::Name)
                || t.is_op(".")
                || t.is_op("(")
                || t.is_op(")")
        });
    if strs.is_empty() || (non_str > 0 && !wrapped) {
        return None;
    }
    let mut out = String::new();
    let mut readable = true;
    for t in &strs {
        if let Kind::Str { value, readable: r } = &t.kind {
            out.push_str(value);
            readable &= r;
        }
    }
    Some((out, strs[0].line, readable))
}

fn str_arg(args: &[Arg<'_>], pos: usize, name: &str) -> String {
    let v = kw(args, name).or_else(|| {
        args.iter()
            .filter(|a| a.name.is_none())
            .nth(pos)
            .map(|a| a.value)
    });
    v.and_then(literal)
        .map_or_else(|| "?".into(), |(s, _, _)| s)
}

/// Lint an Alembic script's `upgrade()`.
pub(crate) fn lint(src: &str) -> PyLint {
    let (toks, comments, problems) = tokenize(src);
    let mut out = PyLint {
        comments,
        ..PyLint::default()
    };
    for (line, message) in problems {
        out.unreadable.push((line, message));
    }
    let Some(def) = toks
        .windows(2)
        .position(|w| w[0].is_name("def") && w[1].is_name("upgrade"))
    else {
        return out;
    };
    out.has_upgrade = true;
    let def_col = toks[def].line_start_col.unwrap_or(0);
    let body_end = toks[def + 2..]
        .iter()
        .position(|t| t.line_start_col.is_some_and(|c| c <= def_col))
        .map_or(toks.len(), |p| def + 2 + p);
    let body = &toks[def..body_end];
    let mut state = FileState::default();
    let mut aliases: Vec<(String, String)> = Vec::new();
    // (column of the `with … autocommit_block()` line): no transaction inside it.
    let mut autocommit: Option<usize> = None;
    let mut line_col = def_col;
    let mut i = 0;
    while i < body.len() {
        let t = &body[i];
        if let Some(c) = t.line_start_col {
            line_col = c;
            if autocommit.is_some_and(|a| c <= a) {
                autocommit = None;
            }
        }
        if t.is_name("autocommit_block") {
            autocommit = Some(line_col);
        }
        state.no_transaction = autocommit.is_some();
        let is_call = t.kind == Kind::Name
            && body.get(i + 1).is_some_and(|x| x.is_op("."))
            && body.get(i + 2).is_some_and(|x| x.kind == Kind::Name)
            && body.get(i + 3).is_some_and(|x| x.is_op("("));
        if !is_call {
            i += 1;
            continue;
        }
        let recv = t.text.as_str();
        let batch_table = aliases
            .iter()
            .find(|(a, _)| a == recv)
            .map(|(_, t)| t.clone());
        if recv != "op" && batch_table.is_none() {
            i += 1;
            continue;
        }
        let method = body[i + 2].text.as_str();
        let line = t.line;
        let (args, next) = call_args(body, i + 3);
        // With a batch alias the table is implied, so positional args shift by one.
        let shift = usize::from(batch_table.is_none());
        let table = batch_table
            .clone()
            .unwrap_or_else(|| str_arg(&args, 0, "table_name"));
        let mut hit = |rule: &'static str, subject: String| {
            out.hits.push(Hit {
                rule,
                line,
                subject,
                statement: line,
            });
        };
        match method {
            "batch_alter_table" => {
                if body.get(next).is_some_and(|x| x.is_name("as"))
                    && let Some(alias) = body.get(next + 1)
                {
                    aliases.push((alias.text.clone(), str_arg(&args, 0, "table_name")));
                }
            }
            "create_table" => {
                state.created.insert(str_arg(&args, 0, "table_name"));
            }
            "drop_table" if !state.created.contains(&table) => {
                hit("drop-table", format!("op.drop_table({table})"));
            }
            "drop_column" if !state.created.contains(&table) => {
                let col = str_arg(&args, shift, "column_name");
                hit("drop-column", format!("op.drop_column({table}.{col})"));
            }
            "rename_table" => hit("rename-table", format!("op.rename_table({table})")),
            "alter_column" if !state.created.contains(&table) => {
                let col = str_arg(&args, shift, "column_name");
                if kw(&args, "type_").is_some() {
                    hit(
                        "change-column-type",
                        format!("op.alter_column({table}.{col}, type_=…)"),
                    );
                }
                if is_false(kw(&args, "nullable")) {
                    hit(
                        "set-not-null",
                        format!("op.alter_column({table}.{col}, nullable=False)"),
                    );
                }
                if is_true(kw(&args, "nullable")) {
                    hit(
                        "drop-not-null",
                        format!("op.alter_column({table}.{col}, nullable=True)"),
                    );
                }
                if kw(&args, "new_column_name").is_some() {
                    hit(
                        "rename-column",
                        format!("op.alter_column({table}.{col}, new_column_name=…)"),
                    );
                }
            }
            "add_column" if !state.created.contains(&table) => {
                let column = args
                    .iter()
                    .filter(|a| a.name.is_none())
                    .nth(shift)
                    .map(|a| a.value)
                    .or(kw(&args, "column"));
                if let Some(col) = column
                    && let Some(open) = col.iter().position(|x| x.is_op("("))
                {
                    let (cargs, _) = call_args(col, open);
                    let name = str_arg(&cargs, 0, "name");
                    let required =
                        is_false(kw(&cargs, "nullable")) || is_true(kw(&cargs, "primary_key"));
                    if required && kw(&cargs, "server_default").is_none() {
                        hit(
                            "add-required-column",
                            format!("op.add_column({table}.{name}, nullable=False)"),
                        );
                    }
                }
            }
            "create_index" => {
                let on = str_arg(&args, 1, "table_name");
                let concurrently = is_true(kw(&args, "postgresql_concurrently"));
                if concurrently && !state.no_transaction {
                    hit(
                        "concurrently-in-transaction",
                        format!("op.create_index(…, postgresql_concurrently=True) on {on}"),
                    );
                } else if !concurrently && !state.created.contains(&on) {
                    hit(
                        "create-index-non-concurrently",
                        format!("op.create_index on {on}"),
                    );
                }
            }
            "drop_index" => {
                let concurrently = is_true(kw(&args, "postgresql_concurrently"));
                if concurrently && !state.no_transaction {
                    hit(
                        "concurrently-in-transaction",
                        "op.drop_index(…, postgresql_concurrently=True)".into(),
                    );
                } else if !concurrently {
                    hit("drop-index-non-concurrently", "op.drop_index".into());
                }
            }
            "create_foreign_key" if !is_true(kw(&args, "postgresql_not_valid")) => {
                let src = str_arg(&args, 1, "source_table");
                if !state.created.contains(&src) {
                    hit(
                        "add-foreign-key-not-valid",
                        format!("op.create_foreign_key on {src}"),
                    );
                }
            }
            "create_check_constraint" if !is_true(kw(&args, "postgresql_not_valid")) => {
                let on = str_arg(&args, 1, "table_name");
                if !state.created.contains(&on) {
                    hit(
                        "add-check-not-valid",
                        format!("op.create_check_constraint on {on}"),
                    );
                }
            }
            "create_unique_constraint" => {
                let on = str_arg(&args, 1, "table_name");
                if !state.created.contains(&on) {
                    hit(
                        "add-unique-constraint",
                        format!("op.create_unique_constraint on {on}"),
                    );
                }
            }
            "create_primary_key" => {
                let on = str_arg(&args, 1, "table_name");
                if !state.created.contains(&on) {
                    hit("add-primary-key", format!("op.create_primary_key on {on}"));
                }
            }
            "create_exclude_constraint" => hit(
                "add-exclusion-constraint",
                "op.create_exclude_constraint".into(),
            ),
            "execute" => match args.first().and_then(|a| literal(a.value)) {
                Some((sql, sql_line, true)) => {
                    let lexed = sqltext::split(&sql);
                    for p in lexed.problems {
                        out.unreadable.push((
                            sql_line + p.line - 1,
                            format!("SQL in op.execute: {}", p.message),
                        ));
                    }
                    let mut hits = Vec::new();
                    for (n, stmt) in lexed.statements.iter().enumerate() {
                        check_statement(stmt, n, &mut state, &mut hits);
                    }
                    for h in hits {
                        out.hits.push(Hit {
                            line,
                            statement: line,
                            ..h
                        });
                    }
                }
                _ => out.unreadable.push((
                    line,
                    "op.execute(…) with an argument that is not a string literal".into(),
                )),
            },
            _ => {}
        }
        i = next.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(src: &str) -> Vec<(&'static str, usize)> {
        lint(src).hits.iter().map(|h| (h.rule, h.line)).collect()
    }

    #[test]
    fn reads_upgrade_not_downgrade() {
        let src = r#"
revision = "abc"

def upgrade():
    op.add_column("users", sa.Column("email", sa.String(), nullable=False))
    op.add_column("users", sa.Column("nick", sa.String(), nullable=False, server_default=""))
    op.create_index("ix_users_email", "users", ["email"])
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("legacy")
    op.execute("""
        ALTER TABLE users
          ALTER COLUMN id TYPE bigint
    """)
    op.execute(f"DROP TABLE {name}")


def downgrade():
    op.drop_column("users", "email")
"#;
        let hits = rules(src);
        assert_eq!(
            hits,
            vec![
                ("add-required-column", 5),
                ("create-index-non-concurrently", 7),
                ("drop-column", 9),
                ("change-column-type", 10),
            ]
        );
        let l = lint(src);
        assert_eq!(l.unreadable.len(), 1);
        assert_eq!(l.unreadable[0].0, 14);
    }

    #[test]
    fn concurrently_needs_an_autocommit_block() {
        let src = "def upgrade():\n    op.create_index('i', 't', ['a'], postgresql_concurrently=True)\n    with op.get_context().autocommit_block():\n        op.create_index('j', 't', ['b'], postgresql_concurrently=True)\n    op.alter_column('t', 'a', nullable=False, new_column_name='b')\n";
        assert_eq!(
            rules(src),
            vec![
                ("concurrently-in-transaction", 2),
                ("set-not-null", 5),
                ("rename-column", 5)
            ]
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        for src in [
            "def upgrade(:\n  op.drop_table(",
            "'''",
            "def upgrade():\n    op.execute(\"DROP",
            "op.(",
            "é = 'x",
        ] {
            let _ = lint(src);
        }
    }
}

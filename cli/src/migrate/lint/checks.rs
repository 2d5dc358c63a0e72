//! The SQL checks: which statements raise which rule of [`super::rules`].
//!
//! The checks read token streams from [`crate::migrate::sqltext`], not a full grammar: any
//! SQL PostgreSQL accepts goes through without a panic, and a statement whose shape is not
//! recognised is simply not flagged. Tables created in the same file are exempt from the
//! locking and dropping rules (nothing uses them yet).

use std::collections::HashSet;

use crate::migrate::sqltext::{Statement, Token, TokenKind};

/// A raw hit before ignores and cleanup markers are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: &'static str,
    pub line: usize,
    /// What was found, e.g. `DROP COLUMN users.email`.
    pub subject: String,
    /// Index of the statement the hit belongs to (for per-statement ignores).
    pub statement: usize,
}

/// State carried across the statements of one file.
#[derive(Debug, Default)]
pub(crate) struct FileState {
    pub no_transaction: bool,
    pub created: HashSet<String>,
    pub not_valid: HashSet<String>,
}

fn words(tokens: &[Token]) -> Vec<&str> {
    tokens
        .iter()
        .map(|t| {
            if t.kind == TokenKind::Word {
                t.text.as_str()
            } else {
                ""
            }
        })
        .collect()
}

/// Parse `[schema.]name` at `i`; returns (name, next index).
fn object_name(tokens: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut name = tokens.get(i)?.ident()?.to_string();
    i += 1;
    while tokens.get(i).is_some_and(|t| t.is_punct('.')) {
        name = tokens.get(i + 1)?.ident()?.to_string();
        i += 2;
    }
    Some((name, i))
}

fn skip_words(tokens: &[Token], mut i: usize, skip: &[&[&str]]) -> usize {
    'outer: loop {
        for seq in skip {
            if seq
                .iter()
                .enumerate()
                .all(|(k, w)| tokens.get(i + k).is_some_and(|t| t.is(w)))
            {
                i += seq.len();
                continue 'outer;
            }
        }
        return i;
    }
}

/// Split at top-level commas.
fn split_commas(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct('(') || t.is_punct('[') {
            depth += 1;
        } else if t.is_punct(')') || t.is_punct(']') {
            depth -= 1;
        } else if t.is_punct(',') && depth == 0 {
            out.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        out.push(&tokens[start..]);
    }
    out
}

fn has_seq(w: &[&str], seq: &[&str]) -> bool {
    w.windows(seq.len()).any(|win| win == seq)
}

/// The text of the token at `i`, or empty.
fn text_at(tokens: &[Token], i: usize) -> String {
    tokens.get(i).map(|x| x.text.clone()).unwrap_or_default()
}

const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "statement_timestamp",
];

const SERIAL: &[&str] = &["serial", "bigserial", "smallserial", "serial4", "serial8"];

/// Reports a hit: (rule, line, subject).
trait Report: FnMut(&'static str, usize, String) {}
impl<F: FnMut(&'static str, usize, String)> Report for F {}

/// Check one statement; `index` is its position in the file.
pub(crate) fn check_statement(
    stmt: &Statement,
    index: usize,
    state: &mut FileState,
    hits: &mut Vec<Hit>,
) {
    let t = &stmt.tokens;
    let w = words(t);
    let line = stmt.line;
    let mut hit = |rule: &'static str, line: usize, subject: String| {
        hits.push(Hit {
            rule,
            line,
            subject,
            statement: index,
        });
    };
    match (
        w.first().copied().unwrap_or(""),
        w.get(1).copied().unwrap_or(""),
    ) {
        ("begin" | "commit" | "rollback" | "end" | "abort", _) | ("start", "transaction")
            if !state.no_transaction =>
        {
            hit("transaction-in-file", line, w[0].to_uppercase());
        }
        ("create", _) => check_create(t, &w, state, &mut hit, line),
        ("alter", "table") => check_alter_table(t, state, &mut hit),
        ("alter", "type") if has_seq(&w, &["rename", "value"]) => {
            let name = object_name(t, 2).map(|(n, _)| n).unwrap_or_default();
            let subject = format!("ALTER TYPE {name} RENAME VALUE");
            hit("rename-enum-value", line, subject);
        }
        ("drop", "table") => check_drop_table(t, state, &mut hit, line),
        ("drop", "schema") => hit("drop-schema", line, "DROP SCHEMA".into()),
        ("drop", "database") => hit("drop-schema", line, "DROP DATABASE".into()),
        ("drop", "index") => check_drop_index(&w, state, &mut hit, line),
        ("reindex", _) => check_reindex(t, &w, state, &mut hit, line),
        ("vacuum", _) if w.contains(&"full") => {
            hit("rewrite-table", line, "VACUUM FULL".into());
        }
        ("cluster", _) => hit("rewrite-table", line, "CLUSTER".into()),
        ("truncate", _) => hit("truncate-table", line, "TRUNCATE".into()),
        _ => {}
    }
}

fn check_drop_table(t: &[Token], state: &FileState, hit: &mut impl Report, line: usize) {
    let i = skip_words(t, 2, &[&["if", "exists"]]);
    for part in split_commas(&t[i.min(t.len())..]) {
        if let Some((name, _)) = object_name(part, 0)
            && !state.created.contains(&name)
        {
            hit("drop-table", line, format!("DROP TABLE {name}"));
        }
    }
}

fn check_drop_index(w: &[&str], state: &FileState, hit: &mut impl Report, line: usize) {
    let concurrently = w.get(2) == Some(&"concurrently");
    if !concurrently {
        hit("drop-index-non-concurrently", line, "DROP INDEX".into());
    } else if !state.no_transaction {
        let subject = "DROP INDEX CONCURRENTLY".into();
        hit("concurrently-in-transaction", line, subject);
    }
}

fn check_reindex(t: &[Token], w: &[&str], state: &FileState, hit: &mut impl Report, line: usize) {
    let concurrently = w.contains(&"concurrently")
        || t.iter()
            .any(|x| x.text.eq_ignore_ascii_case("concurrently"));
    if !concurrently {
        hit("reindex-non-concurrently", line, "REINDEX".into());
    } else if !state.no_transaction {
        let subject = "REINDEX CONCURRENTLY".into();
        hit("concurrently-in-transaction", line, subject);
    }
}

fn check_create(
    t: &[Token],
    w: &[&str],
    state: &mut FileState,
    hit: &mut impl Report,
    line: usize,
) {
    let i = skip_words(
        t,
        1,
        &[
            &["or", "replace"],
            &["unique"],
            &["temporary"],
            &["temp"],
            &["unlogged"],
            &["global"],
            &["local"],
        ],
    );
    match w.get(i).copied() {
        Some("table") => check_create_table(t, i + 1, state, hit),
        Some("index") => {
            let concurrently = w.get(i + 1) == Some(&"concurrently");
            let Some(on) = w.iter().position(|x| *x == "on") else {
                return;
            };
            let j = skip_words(t, on + 1, &[&["only"]]);
            let table = object_name(t, j).map(|(n, _)| n).unwrap_or_default();
            if concurrently {
                if !state.no_transaction {
                    let subject = format!("CREATE INDEX CONCURRENTLY ON {table}");
                    hit("concurrently-in-transaction", line, subject);
                }
            } else if !state.created.contains(&table) {
                let subject = format!("CREATE INDEX ON {table}");
                hit("create-index-non-concurrently", line, subject);
            }
        }
        _ => {}
    }
}

/// `CREATE TABLE` (the name at `at`): remember the table, and style-check its columns.
fn check_create_table(t: &[Token], at: usize, state: &mut FileState, hit: &mut impl Report) {
    let j = skip_words(t, at, &[&["if", "not", "exists"]]);
    let Some((name, next)) = object_name(t, j) else {
        return;
    };
    state.created.insert(name);
    if t.get(next).is_some_and(|x| x.is_punct('(')) {
        let end = t.len().saturating_sub(1);
        for col in split_commas(&t[next + 1..end.max(next + 1)]) {
            style_column(col, hit);
        }
    }
}

fn style_column(col: &[Token], hit: &mut impl Report) {
    let w = words(col);
    let first = w.first().copied().unwrap_or("");
    if col.is_empty()
        || [
            "constraint",
            "primary",
            "unique",
            "foreign",
            "check",
            "exclude",
            "like",
        ]
        .contains(&first)
    {
        return;
    }
    let name = col[0].text.clone();
    let line = col[0].line;
    let ty: Vec<&str> = w.iter().skip(1).take(4).copied().collect();
    match ty.first().copied().unwrap_or("") {
        "json" => hit("prefer-jsonb", line, format!("column {name} json")),
        "timestamp" if !has_seq(&ty, &["with", "time", "zone"]) => {
            let subject = format!("column {name} timestamp");
            hit("prefer-timestamptz", line, subject);
        }
        "varchar" | "char" | "character"
            if col.get(2).is_some_and(|x| x.is_punct('(')) || ty.get(1) == Some(&"varying") =>
        {
            hit("prefer-text", line, format!("column {name} {}", ty[0]));
        }
        t if SERIAL.contains(&t) => {
            hit("prefer-identity", line, format!("column {name} {}", ty[0]));
        }
        _ => {}
    }
}

/// One comma-separated action of an `ALTER TABLE`.
struct Action<'a> {
    tokens: &'a [Token],
    words: Vec<&'a str>,
    table: &'a str,
    /// The table was created in this file.
    fresh: bool,
    line: usize,
}

fn check_alter_table(t: &[Token], state: &mut FileState, hit: &mut impl Report) {
    let i = skip_words(t, 2, &[&["if", "exists"], &["only"]]);
    let Some((table, mut next)) = object_name(t, i) else {
        return;
    };
    if t.get(next).is_some_and(|x| x.is_punct('*')) {
        next += 1;
    }
    let fresh = state.created.contains(&table);
    for tokens in split_commas(&t[next.min(t.len())..]) {
        let Some(first) = tokens.first() else {
            continue;
        };
        let a = Action {
            tokens,
            words: words(tokens),
            table: &table,
            fresh,
            line: first.line,
        };
        match a.words[0] {
            "add" => alter_add(&a, state, hit),
            "drop" if !fresh => alter_drop(&a, hit),
            "rename" if !fresh => alter_rename(&a, hit),
            "alter" if !fresh => alter_column(&a, hit),
            "validate" if !state.no_transaction => {
                if let Some(n) = tokens.get(2)
                    && state.not_valid.contains(&n.text)
                {
                    let subject = format!("VALIDATE CONSTRAINT {}", n.text);
                    hit("validate-in-same-transaction", a.line, subject);
                }
            }
            _ => {}
        }
    }
}

/// `ADD [CONSTRAINT name] <constraint>` or `ADD [COLUMN] …`.
fn alter_add(a: &Action<'_>, state: &mut FileState, hit: &mut impl Report) {
    let w = &a.words;
    let named = w.get(1) == Some(&"constraint");
    let k = skip_words(a.tokens, 1, &[&["constraint"]]);
    let kind = if named { w.get(k + 1) } else { w.get(1) };
    let (table, line, fresh) = (a.table, a.line, a.fresh);
    let using_index = has_seq(w, &["using", "index"]);
    match kind.copied().unwrap_or("") {
        "foreign" | "check" if has_seq(w, &["not", "valid"]) => {
            if named && let Some(n) = a.tokens.get(2) {
                state.not_valid.insert(n.text.clone());
            }
        }
        "foreign" if !fresh => {
            let subject = format!("ADD FOREIGN KEY on {table}");
            hit("add-foreign-key-not-valid", line, subject);
        }
        "check" if !fresh => hit("add-check-not-valid", line, format!("ADD CHECK on {table}")),
        "unique" if !fresh && !using_index => {
            hit(
                "add-unique-constraint",
                line,
                format!("ADD UNIQUE on {table}"),
            );
        }
        "primary" if !fresh && !using_index => {
            hit(
                "add-primary-key",
                line,
                format!("ADD PRIMARY KEY on {table}"),
            );
        }
        "exclude" if !fresh => {
            let subject = format!("ADD EXCLUDE on {table}");
            hit("add-exclusion-constraint", line, subject);
        }
        "foreign" | "check" | "unique" | "primary" | "exclude" => {}
        _ => alter_add_column(a, hit),
    }
}

/// `ADD [COLUMN] [IF NOT EXISTS] name type …`.
fn alter_add_column(a: &Action<'_>, hit: &mut impl Report) {
    let c = skip_words(a.tokens, 1, &[&["column"], &["if", "not", "exists"]]);
    let col = &a.tokens[c.min(a.tokens.len())..];
    style_column(col, hit);
    if a.fresh {
        return;
    }
    let cw = words(col);
    let column = format!("{}.{}", a.table, text_at(col, 0));
    let line = a.line;
    let has_default = cw.contains(&"default");
    let generated = cw.contains(&"generated");
    let serial = cw.get(1).is_some_and(|t| SERIAL.contains(t));
    let volatile_default = has_default
        && col
            .iter()
            .any(|x| x.kind == TokenKind::Word && VOLATILE.contains(&x.text.as_str()));
    let primary_key = has_seq(&cw, &["primary", "key"]);
    if generated || serial || volatile_default {
        let subject = format!("ADD COLUMN {column}");
        hit("add-column-volatile-default", line, subject);
    } else if (has_seq(&cw, &["not", "null"]) || primary_key) && !has_default {
        let subject = format!("ADD COLUMN {column} NOT NULL");
        hit("add-required-column", line, subject);
    }
    // Constraints written inline on the new column lock and validate like their
    // `ADD CONSTRAINT` forms (NOT VALID cannot be written inline).
    let inline = [
        (
            cw.contains(&"references"),
            "add-foreign-key-not-valid",
            "REFERENCES",
        ),
        (cw.contains(&"check"), "add-check-not-valid", "CHECK"),
        (cw.contains(&"unique"), "add-unique-constraint", "UNIQUE"),
        (primary_key, "add-primary-key", "PRIMARY KEY"),
    ];
    for (found, rule, what) in inline {
        if found {
            hit(rule, line, format!("ADD COLUMN {column} {what}"));
        }
    }
}

/// `DROP [COLUMN] [IF EXISTS] name` (dropping a constraint is fine).
fn alter_drop(a: &Action<'_>, hit: &mut impl Report) {
    if a.words.get(1) == Some(&"constraint") {
        return;
    }
    let c = skip_words(a.tokens, 1, &[&["column"], &["if", "exists"]]);
    let subject = format!("DROP COLUMN {}.{}", a.table, text_at(a.tokens, c));
    hit("drop-column", a.line, subject);
}

/// `RENAME TO new` (the table) or `RENAME [COLUMN] old TO new`.
fn alter_rename(a: &Action<'_>, hit: &mut impl Report) {
    match a.words.get(1).copied() {
        Some("to") => hit("rename-table", a.line, format!("RENAME TABLE {}", a.table)),
        Some("constraint") => {}
        _ => {
            let c = skip_words(a.tokens, 1, &[&["column"]]);
            let subject = format!("RENAME COLUMN {}.{}", a.table, text_at(a.tokens, c));
            hit("rename-column", a.line, subject);
        }
    }
}

/// `ALTER [COLUMN] name TYPE …`, `SET NOT NULL`, `DROP NOT NULL`.
fn alter_column(a: &Action<'_>, hit: &mut impl Report) {
    let c = skip_words(a.tokens, 1, &[&["column"]]);
    let column = format!("{}.{}", a.table, text_at(a.tokens, c));
    let rest = &a.words[(c + 1).min(a.words.len())..];
    if rest.first() == Some(&"type") || rest.starts_with(&["set", "data", "type"]) {
        let subject = format!("ALTER COLUMN {column} TYPE");
        hit("change-column-type", a.line, subject);
    } else if rest.starts_with(&["set", "not", "null"]) {
        let subject = format!("ALTER COLUMN {column} SET NOT NULL");
        hit("set-not-null", a.line, subject);
    } else if rest.starts_with(&["drop", "not", "null"]) {
        let subject = format!("ALTER COLUMN {column} DROP NOT NULL");
        hit("drop-not-null", a.line, subject);
    }
}

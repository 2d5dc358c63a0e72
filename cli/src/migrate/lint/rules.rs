//! The rule table (id, severity, why, the safe sequence) and the SQL checks.
//!
//! The checks read token streams from [`crate::migrate::sqltext`], not a full grammar: any
//! SQL PostgreSQL accepts goes through without a panic, and a statement whose shape is not
//! recognised is simply not flagged. Tables created in the same file are exempt from the
//! locking and dropping rules (nothing uses them yet).

use std::collections::HashSet;

use crate::migrate::sqltext::{Statement, Token, TokenKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Breaks the running code or locks a table for long: exit 1.
    Error,
    /// A style note: reported, exit code unchanged.
    Style,
    /// devenv could not read something; reported, exit code unchanged.
    Warning,
}

/// One rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// Allowed in a migration marked `-- devenv:cleanup <reason>`.
    pub cleanup_ok: bool,
    pub why: &'static str,
    pub safe: &'static str,
}

macro_rules! rule {
    ($id:literal, $sev:ident, $cleanup:literal, $why:literal, $safe:literal) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            cleanup_ok: $cleanup,
            why: $why,
            safe: $safe,
        }
    };
}

/// Every rule, in the order the docs list them.
pub(crate) static RULES: &[Rule] = &[
    rule!(
        "drop-column",
        Error,
        true,
        "the code running now still reads or writes the column; its queries fail the moment the column is gone",
        "deploy code that no longer uses the column first, then drop it in a later migration marked `-- devenv:cleanup <reason>`"
    ),
    rule!(
        "drop-table",
        Error,
        true,
        "the code running now still queries the table; every such query fails once it is dropped",
        "deploy code that no longer uses the table, then drop it in a later migration marked `-- devenv:cleanup <reason>`"
    ),
    rule!(
        "drop-schema",
        Error,
        true,
        "drops every object in it at once, including tables the running code uses",
        "move code off the schema's objects first, then drop it in a cleanup migration"
    ),
    rule!(
        "rename-column",
        Error,
        true,
        "the running code uses the old name; every query naming it fails after the rename",
        "add the new column, write to both, backfill, switch reads to the new column, then drop the old one in a cleanup migration"
    ),
    rule!(
        "rename-table",
        Error,
        true,
        "the running code uses the old name; every query naming it fails after the rename",
        "rename and keep the old name working with a view (`CREATE VIEW old AS SELECT * FROM new`), move the code over, drop the view in a cleanup migration"
    ),
    rule!(
        "rename-enum-value",
        Error,
        true,
        "the running code still writes and compares the old value",
        "add the new value (`ALTER TYPE … ADD VALUE`), move code and rows over, stop using the old value"
    ),
    rule!(
        "drop-not-null",
        Error,
        true,
        "the running code may assume the column is never NULL and break on the first NULL it reads",
        "deploy code that handles NULL first, then drop the constraint in a cleanup migration"
    ),
    rule!(
        "truncate-table",
        Error,
        true,
        "deletes every row the running code relies on, under an ACCESS EXCLUSIVE lock",
        "delete only what must go, in batches, or do it in a cleanup migration with a reason"
    ),
    rule!(
        "change-column-type",
        Error,
        false,
        "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (reads and writes wait), and the running code may not handle the new type",
        "add a new column of the new type, backfill it in batches, switch the code, drop the old column in a cleanup migration (varchar(n) → text or a longer varchar does not rewrite: ignore with that reason)"
    ),
    rule!(
        "set-not-null",
        Error,
        false,
        "scans the whole table under an ACCESS EXCLUSIVE lock, and running code that inserts NULL starts failing",
        "`ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID`; in a later migration `VALIDATE CONSTRAINT c`, then `SET NOT NULL` (no scan thanks to the valid check) and drop the check"
    ),
    rule!(
        "add-required-column",
        Error,
        false,
        "a NOT NULL column without a DEFAULT: INSERTs from the running code don't set it and fail (and on a non-empty table the ALTER itself fails)",
        "add it with a constant DEFAULT (instant since PostgreSQL 11), or nullable; backfill; set NOT NULL later with the CHECK … NOT VALID sequence"
    ),
    rule!(
        "add-column-volatile-default",
        Error,
        false,
        "a volatile default (random(), gen_random_uuid(), clock_timestamp(), serial, a generated column) rewrites the whole table under an ACCESS EXCLUSIVE lock",
        "add the column without a default, then `ALTER COLUMN … SET DEFAULT …` in a second statement, and backfill old rows in batches"
    ),
    rule!(
        "create-index-non-concurrently",
        Error,
        false,
        "CREATE INDEX blocks every write to the table for as long as the build takes",
        "`-- devenv:no-transaction` as the file's first line and `CREATE INDEX CONCURRENTLY IF NOT EXISTS …` (one index per file keeps a retry simple)"
    ),
    rule!(
        "drop-index-non-concurrently",
        Error,
        false,
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait behind it",
        "`-- devenv:no-transaction` as the file's first line and `DROP INDEX CONCURRENTLY IF EXISTS …`"
    ),
    rule!(
        "reindex-non-concurrently",
        Error,
        false,
        "REINDEX blocks writes to the table (and reads that use the index) for the whole rebuild",
        "`-- devenv:no-transaction` as the file's first line and `REINDEX … CONCURRENTLY`"
    ),
    rule!(
        "concurrently-in-transaction",
        Error,
        false,
        "CONCURRENTLY cannot run inside a transaction block, and devenv runs each file in one: the migration fails",
        "put `-- devenv:no-transaction` on the file's first line (in Alembic: inside `with op.get_context().autocommit_block():`)"
    ),
    rule!(
        "add-foreign-key-not-valid",
        Error,
        false,
        "checking every existing row holds SHARE ROW EXCLUSIVE locks on both tables for the whole scan, blocking their writes",
        "`ADD CONSTRAINT … FOREIGN KEY … NOT VALID`, then `VALIDATE CONSTRAINT …` in a later migration (it takes a weaker lock)"
    ),
    rule!(
        "add-check-not-valid",
        Error,
        false,
        "checking every existing row holds an ACCESS EXCLUSIVE lock for the whole scan",
        "`ADD CONSTRAINT … CHECK (…) NOT VALID`, then `VALIDATE CONSTRAINT …` in a later migration"
    ),
    rule!(
        "add-unique-constraint",
        Error,
        false,
        "builds a unique index while holding an ACCESS EXCLUSIVE lock: reads and writes wait for the build",
        "`CREATE UNIQUE INDEX CONCURRENTLY i ON t (…)` in a no-transaction file, then `ADD CONSTRAINT c UNIQUE USING INDEX i`"
    ),
    rule!(
        "add-primary-key",
        Error,
        false,
        "builds the primary-key index (and checks NOT NULL) under an ACCESS EXCLUSIVE lock",
        "`CREATE UNIQUE INDEX CONCURRENTLY i ON t (…)` in a no-transaction file, then `ADD CONSTRAINT pk PRIMARY KEY USING INDEX i`"
    ),
    rule!(
        "add-exclusion-constraint",
        Error,
        false,
        "builds its index and checks every row under an ACCESS EXCLUSIVE lock, and has no NOT VALID or USING INDEX form",
        "create the constraint together with the table, or ignore with a reason when the table is small"
    ),
    rule!(
        "validate-in-same-transaction",
        Error,
        false,
        "validating in the transaction that added the constraint keeps the ADD's strong lock during the whole scan, undoing NOT VALID",
        "validate in a later migration"
    ),
    rule!(
        "rewrite-table",
        Error,
        false,
        "VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock",
        "let autovacuum work, or use pg_repack outside migrations"
    ),
    rule!(
        "transaction-in-file",
        Error,
        false,
        "devenv runs each file in its own transaction; a BEGIN/COMMIT inside splits it, so a failure leaves it half applied",
        "remove BEGIN/COMMIT; if the file must not run in a transaction, put `-- devenv:no-transaction` on its first line"
    ),
    rule!(
        "cleanup-without-reason",
        Error,
        false,
        "a cleanup marker lets drops through, so it must say why they are safe now",
        "`-- devenv:cleanup <reason>`, e.g. `-- devenv:cleanup users.legacy_id unused since release 42`"
    ),
    rule!(
        "ignore-without-reason",
        Error,
        false,
        "an ignore without a reason gets copied along and hides real problems",
        "`-- devenv:ignore <rule-id> <reason>` on the line above the statement"
    ),
    rule!(
        "prefer-jsonb",
        Style,
        false,
        "json keeps the text as written (no indexing, no equality); jsonb is what you want almost always",
        "use `jsonb`"
    ),
    rule!(
        "prefer-timestamptz",
        Style,
        false,
        "timestamp without time zone silently depends on the session's time zone",
        "use `timestamptz`"
    ),
    rule!(
        "prefer-text",
        Style,
        false,
        "varchar(n)/char(n) lengths are a poor check and changing them later needs a migration",
        "use `text` (with a CHECK on length if it matters)"
    ),
    rule!(
        "prefer-identity",
        Style,
        false,
        "serial types leave a separately-owned sequence behind; identity columns are the standard form",
        "`bigint GENERATED BY DEFAULT AS IDENTITY`"
    ),
    rule!(
        "unparsed",
        Warning,
        false,
        "devenv could not read this part, so it was not checked",
        "check it by hand, or simplify it so it can be read"
    ),
];

pub(crate) fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

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

/// Check one statement; `index` is its position in the file.
pub(crate) fn check_statement(
    stmt: &Statement,
    index: usize,
    state: &mut FileState,
    hits: &mut Vec<Hit>,
) {
    let t = &stmt.tokens;
    let w = words(t);
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
            hit("transaction-in-file", stmt.line, w[0].to_uppercase());
        }
        ("create", _) => check_create(t, &w, state, &mut hit, stmt.line),
        ("alter", "table") => check_alter_table(t, state, &mut hit),
        ("alter", "type") if has_seq(&w, &["rename", "value"]) => {
            let name = object_name(t, 2).map(|(n, _)| n).unwrap_or_default();
            hit(
                "rename-enum-value",
                stmt.line,
                format!("ALTER TYPE {name} RENAME VALUE"),
            );
        }
        ("drop", "table") => {
            let i = skip_words(t, 2, &[&["if", "exists"]]);
            for part in split_commas(&t[i.min(t.len())..]) {
                if let Some((name, _)) = object_name(part, 0)
                    && !state.created.contains(&name)
                {
                    hit("drop-table", stmt.line, format!("DROP TABLE {name}"));
                }
            }
        }
        ("drop", "schema") => hit("drop-schema", stmt.line, "DROP SCHEMA".into()),
        ("drop", "database") => hit("drop-schema", stmt.line, "DROP DATABASE".into()),
        ("drop", "index") => {
            let concurrently = w.get(2) == Some(&"concurrently");
            if !concurrently {
                hit(
                    "drop-index-non-concurrently",
                    stmt.line,
                    "DROP INDEX".into(),
                );
            } else if !state.no_transaction {
                hit(
                    "concurrently-in-transaction",
                    stmt.line,
                    "DROP INDEX CONCURRENTLY".into(),
                );
            }
        }
        ("reindex", _) => {
            if w.contains(&"concurrently")
                || t.iter()
                    .any(|x| x.text.eq_ignore_ascii_case("concurrently"))
            {
                if !state.no_transaction {
                    hit(
                        "concurrently-in-transaction",
                        stmt.line,
                        "REINDEX CONCURRENTLY".into(),
                    );
                }
            } else {
                hit("reindex-non-concurrently", stmt.line, "REINDEX".into());
            }
        }
        ("vacuum", _) if w.contains(&"full") => {
            hit("rewrite-table", stmt.line, "VACUUM FULL".into());
        }
        ("cluster", _) => hit("rewrite-table", stmt.line, "CLUSTER".into()),
        ("truncate", _) => hit("truncate-table", stmt.line, "TRUNCATE".into()),
        _ => {}
    }
}

fn check_create(
    t: &[Token],
    w: &[&str],
    state: &mut FileState,
    hit: &mut impl FnMut(&'static str, usize, String),
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
        Some("table") => {
            let j = skip_words(t, i + 1, &[&["if", "not", "exists"]]);
            if let Some((name, next)) = object_name(t, j) {
                state.created.insert(name);
                if t.get(next).is_some_and(|x| x.is_punct('(')) {
                    let end = t.len().saturating_sub(1);
                    for col in split_commas(&t[next + 1..end.max(next + 1)]) {
                        style_column(col, hit);
                    }
                }
            }
        }
        Some("index") => {
            let concurrently = w.get(i + 1) == Some(&"concurrently");
            let Some(on) = w.iter().position(|x| *x == "on") else {
                return;
            };
            let j = skip_words(t, on + 1, &[&["only"]]);
            let table = object_name(t, j).map(|(n, _)| n).unwrap_or_default();
            if concurrently {
                if !state.no_transaction {
                    hit(
                        "concurrently-in-transaction",
                        line,
                        format!("CREATE INDEX CONCURRENTLY ON {table}"),
                    );
                }
            } else if !state.created.contains(&table) {
                hit(
                    "create-index-non-concurrently",
                    line,
                    format!("CREATE INDEX ON {table}"),
                );
            }
        }
        _ => {}
    }
}

fn style_column(col: &[Token], hit: &mut impl FnMut(&'static str, usize, String)) {
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
            hit(
                "prefer-timestamptz",
                line,
                format!("column {name} timestamp"),
            );
        }
        "varchar" | "char" | "character"
            if col.get(2).is_some_and(|x| x.is_punct('(')) || ty.get(1) == Some(&"varying") =>
        {
            hit("prefer-text", line, format!("column {name} {}", ty[0]));
        }
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" => {
            hit("prefer-identity", line, format!("column {name} {}", ty[0]));
        }
        _ => {}
    }
}

fn check_alter_table(
    t: &[Token],
    state: &mut FileState,
    hit: &mut impl FnMut(&'static str, usize, String),
) {
    let i = skip_words(t, 2, &[&["if", "exists"], &["only"]]);
    let Some((table, mut next)) = object_name(t, i) else {
        return;
    };
    if t.get(next).is_some_and(|x| x.is_punct('*')) {
        next += 1;
    }
    let fresh = state.created.contains(&table);
    for action in split_commas(&t[next.min(t.len())..]) {
        let Some(first) = action.first() else {
            continue;
        };
        let line = first.line;
        let w = words(action);
        match w[0] {
            "add" => {
                let k = skip_words(action, 1, &[&["constraint"]]);
                let kind = if w.get(1) == Some(&"constraint") {
                    w.get(k + 1).copied()
                } else {
                    w.get(1).copied()
                };
                let constraint_name = if w.get(1) == Some(&"constraint") {
                    action.get(2).map(|x| x.text.clone())
                } else {
                    None
                };
                let not_valid = has_seq(&w, &["not", "valid"]);
                let using_index = has_seq(&w, &["using", "index"]);
                match kind.unwrap_or("") {
                    "foreign" | "check" if not_valid => {
                        if let Some(n) = constraint_name {
                            state.not_valid.insert(n);
                        }
                    }
                    "foreign" if !fresh => hit(
                        "add-foreign-key-not-valid",
                        line,
                        format!("ADD FOREIGN KEY on {table}"),
                    ),
                    "check" if !fresh => {
                        hit("add-check-not-valid", line, format!("ADD CHECK on {table}"));
                    }
                    "unique" if !fresh && !using_index => hit(
                        "add-unique-constraint",
                        line,
                        format!("ADD UNIQUE on {table}"),
                    ),
                    "primary" if !fresh && !using_index => hit(
                        "add-primary-key",
                        line,
                        format!("ADD PRIMARY KEY on {table}"),
                    ),
                    "exclude" if !fresh => hit(
                        "add-exclusion-constraint",
                        line,
                        format!("ADD EXCLUDE on {table}"),
                    ),
                    "foreign" | "check" | "unique" | "primary" | "exclude" => {}
                    _ => {
                        let c = skip_words(action, 1, &[&["column"], &["if", "not", "exists"]]);
                        let col = &action[c.min(action.len())..];
                        let cw = words(col);
                        let name = col.first().map(|x| x.text.clone()).unwrap_or_default();
                        style_column(col, hit);
                        if fresh {
                            continue;
                        }
                        let has_default = cw.contains(&"default");
                        let generated = cw.contains(&"generated");
                        let serial = matches!(
                            cw.get(1).copied(),
                            Some("serial" | "bigserial" | "smallserial" | "serial4" | "serial8")
                        );
                        let volatile_default = has_default
                            && col.iter().any(|x| {
                                x.kind == TokenKind::Word && VOLATILE.contains(&x.text.as_str())
                            });
                        if generated || serial || volatile_default {
                            hit(
                                "add-column-volatile-default",
                                line,
                                format!("ADD COLUMN {table}.{name}"),
                            );
                        } else if (has_seq(&cw, &["not", "null"])
                            || has_seq(&cw, &["primary", "key"]))
                            && !has_default
                        {
                            hit(
                                "add-required-column",
                                line,
                                format!("ADD COLUMN {table}.{name} NOT NULL"),
                            );
                        }
                        // Constraints written inline on the new column lock and validate like
                        // their `ADD CONSTRAINT` forms (NOT VALID cannot be written inline).
                        if cw.contains(&"references") {
                            hit(
                                "add-foreign-key-not-valid",
                                line,
                                format!("ADD COLUMN {table}.{name} REFERENCES"),
                            );
                        }
                        if cw.contains(&"check") {
                            hit(
                                "add-check-not-valid",
                                line,
                                format!("ADD COLUMN {table}.{name} CHECK"),
                            );
                        }
                        if cw.contains(&"unique") {
                            hit(
                                "add-unique-constraint",
                                line,
                                format!("ADD COLUMN {table}.{name} UNIQUE"),
                            );
                        }
                        if has_seq(&cw, &["primary", "key"]) {
                            hit(
                                "add-primary-key",
                                line,
                                format!("ADD COLUMN {table}.{name} PRIMARY KEY"),
                            );
                        }
                    }
                }
            }
            "drop" if !fresh => {
                if w.get(1) == Some(&"constraint") {
                    continue;
                }
                let c = skip_words(action, 1, &[&["column"], &["if", "exists"]]);
                let name = action.get(c).map(|x| x.text.clone()).unwrap_or_default();
                hit("drop-column", line, format!("DROP COLUMN {table}.{name}"));
            }
            "rename" if !fresh => match w.get(1).copied() {
                Some("to") => hit("rename-table", line, format!("RENAME TABLE {table}")),
                Some("constraint") => {}
                _ => {
                    let c = skip_words(action, 1, &[&["column"]]);
                    let name = action.get(c).map(|x| x.text.clone()).unwrap_or_default();
                    hit(
                        "rename-column",
                        line,
                        format!("RENAME COLUMN {table}.{name}"),
                    );
                }
            },
            "alter" if !fresh => {
                let c = skip_words(action, 1, &[&["column"]]);
                let name = action.get(c).map(|x| x.text.clone()).unwrap_or_default();
                let rest = &w[(c + 1).min(w.len())..];
                if rest.first() == Some(&"type") || rest.starts_with(&["set", "data", "type"]) {
                    hit(
                        "change-column-type",
                        line,
                        format!("ALTER COLUMN {table}.{name} TYPE"),
                    );
                } else if rest.starts_with(&["set", "not", "null"]) {
                    hit(
                        "set-not-null",
                        line,
                        format!("ALTER COLUMN {table}.{name} SET NOT NULL"),
                    );
                } else if rest.starts_with(&["drop", "not", "null"]) {
                    hit(
                        "drop-not-null",
                        line,
                        format!("ALTER COLUMN {table}.{name} DROP NOT NULL"),
                    );
                }
            }
            "validate" if !state.no_transaction => {
                if let Some(n) = action.get(2)
                    && state.not_valid.contains(&n.text)
                {
                    hit(
                        "validate-in-same-transaction",
                        line,
                        format!("VALIDATE CONSTRAINT {}", n.text),
                    );
                }
            }
            _ => {}
        }
    }
}

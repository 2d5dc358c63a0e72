//! Reading Alembic revision scripts: what `upgrade()` calls on `op` (and on the aliases of
//! `with op.batch_alter_table(…) as batch_op:`), never `downgrade()`.
//!
//! A small Python tokenizer ([`super::python_lexer`]: strings with prefixes and triple
//! quotes, comments, brackets, logical-line indentation) is enough: we look for
//! `op.<name>(…)` calls and read their literal arguments. Anything that is not a literal where we need one (an f-string, a
//! variable passed to `op.execute`) becomes an `unparsed` warning, never a guess.

use super::checks::{FileState, Hit, check_statement};
use super::python_lexer::{Kind, Tok, Tokenized, tokenize};
use crate::migrate::sqltext;

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
    let Tokenized {
        toks,
        comments,
        problems,
    } = tokenize(src);
    let mut out = PyLint {
        comments,
        unreadable: problems,
        ..PyLint::default()
    };
    let Some((body, def_col)) = upgrade_body(&toks) else {
        return out;
    };
    out.has_upgrade = true;
    let mut upgrade = Upgrade {
        state: FileState::default(),
        aliases: Vec::new(),
        autocommit: None,
        line_col: def_col,
        out,
    };
    upgrade.read(body);
    upgrade.out
}

/// The tokens of `def upgrade(…):` through its indented body, and the `def`'s column.
fn upgrade_body(toks: &[Tok]) -> Option<(&[Tok], usize)> {
    let def = toks
        .windows(2)
        .position(|w| w[0].is_name("def") && w[1].is_name("upgrade"))?;
    let def_col = toks[def].line_start_col.unwrap_or(0);
    let body_end = toks[def + 2..]
        .iter()
        .position(|t| t.line_start_col.is_some_and(|c| c <= def_col))
        .map_or(toks.len(), |p| def + 2 + p);
    Some((&toks[def..body_end], def_col))
}

/// One `recv.method(…)` call on `op` or a batch alias.
struct Call<'t> {
    method: &'t str,
    line: usize,
    args: Vec<Arg<'t>>,
    /// The index after the call's `)`.
    next: usize,
    /// The name after `as` following the call (`with op.batch_alter_table(…) as batch_op:`).
    alias: Option<&'t str>,
    /// The table: the batch alias's, else the first argument.
    table: String,
    /// Where the column argument is: with a batch alias the table is implied, so
    /// positional arguments shift by one.
    shift: usize,
}

/// Walking `upgrade()`'s body.
struct Upgrade {
    state: FileState,
    /// `with op.batch_alter_table("t") as alias:` gives (alias, table).
    aliases: Vec<(String, String)>,
    /// Column of the `with … autocommit_block()` line: no transaction inside it.
    autocommit: Option<usize>,
    /// Column of the current logical line.
    line_col: usize,
    out: PyLint,
}

impl Upgrade {
    fn read(&mut self, body: &[Tok]) {
        let mut i = 0;
        while i < body.len() {
            self.track_blocks(&body[i]);
            i = match self.call_at(body, i) {
                Some(call) => {
                    self.check(&call);
                    call.next.max(i + 1)
                }
                None => i + 1,
            };
        }
    }

    /// Follow the indentation in and out of `autocommit_block()`.
    fn track_blocks(&mut self, t: &Tok) {
        if let Some(c) = t.line_start_col {
            self.line_col = c;
            if self.autocommit.is_some_and(|a| c <= a) {
                self.autocommit = None;
            }
        }
        if t.is_name("autocommit_block") {
            self.autocommit = Some(self.line_col);
        }
        self.state.no_transaction = self.autocommit.is_some();
    }

    /// The call starting at `i`, when it is one on `op` or a batch alias.
    fn call_at<'t>(&self, body: &'t [Tok], i: usize) -> Option<Call<'t>> {
        let t = &body[i];
        let is_call = t.kind == Kind::Name
            && body.get(i + 1).is_some_and(|x| x.is_op("."))
            && body.get(i + 2).is_some_and(|x| x.kind == Kind::Name)
            && body.get(i + 3).is_some_and(|x| x.is_op("("));
        if !is_call {
            return None;
        }
        let recv = t.text.as_str();
        let batch_table = self
            .aliases
            .iter()
            .find(|(a, _)| a == recv)
            .map(|(_, t)| t.clone());
        if recv != "op" && batch_table.is_none() {
            return None;
        }
        let (args, next) = call_args(body, i + 3);
        let alias = body
            .get(next)
            .filter(|x| x.is_name("as"))
            .and(body.get(next + 1))
            .map(|x| x.text.as_str());
        let shift = usize::from(batch_table.is_none());
        let table = batch_table.unwrap_or_else(|| str_arg(&args, 0, "table_name"));
        Some(Call {
            method: body[i + 2].text.as_str(),
            line: t.line,
            args,
            next,
            alias,
            table,
            shift,
        })
    }

    fn hit(&mut self, line: usize, rule: &'static str, subject: String) {
        self.out.hits.push(Hit {
            rule,
            line,
            subject,
            statement: line,
        });
    }

    fn created(&self, table: &str) -> bool {
        self.state.created.contains(table)
    }

    fn check(&mut self, c: &Call<'_>) {
        let (line, table, args) = (c.line, &c.table, &c.args);
        let not_valid = is_true(kw(args, "postgresql_not_valid"));
        match c.method {
            "batch_alter_table" => {
                if let Some(alias) = c.alias {
                    self.aliases
                        .push((alias.to_string(), str_arg(args, 0, "table_name")));
                }
            }
            "create_table" => {
                self.state.created.insert(str_arg(args, 0, "table_name"));
            }
            "drop_table" if !self.created(table) => {
                self.hit(line, "drop-table", format!("op.drop_table({table})"));
            }
            "drop_column" if !self.created(table) => {
                let col = str_arg(args, c.shift, "column_name");
                let subject = format!("op.drop_column({table}.{col})");
                self.hit(line, "drop-column", subject);
            }
            "rename_table" => self.hit(line, "rename-table", format!("op.rename_table({table})")),
            "alter_column" if !self.created(table) => self.alter_column(c),
            "add_column" if !self.created(table) => self.add_column(c),
            "create_index" => self.create_index(c),
            "drop_index" => self.drop_index(c),
            "create_foreign_key" if !not_valid => {
                self.constraint(c, "source_table", "add-foreign-key-not-valid");
            }
            "create_check_constraint" if !not_valid => {
                self.constraint(c, "table_name", "add-check-not-valid");
            }
            "create_unique_constraint" => self.constraint(c, "table_name", "add-unique-constraint"),
            "create_primary_key" => self.constraint(c, "table_name", "add-primary-key"),
            "create_exclude_constraint" => {
                let subject = "op.create_exclude_constraint".into();
                self.hit(line, "add-exclusion-constraint", subject);
            }
            "execute" => self.execute(c),
            _ => {}
        }
    }

    fn alter_column(&mut self, c: &Call<'_>) {
        let args = &c.args;
        let column = format!("{}.{}", c.table, str_arg(args, c.shift, "column_name"));
        let changes = [
            (kw(args, "type_").is_some(), "change-column-type", "type_=…"),
            (
                is_false(kw(args, "nullable")),
                "set-not-null",
                "nullable=False",
            ),
            (
                is_true(kw(args, "nullable")),
                "drop-not-null",
                "nullable=True",
            ),
            (
                kw(args, "new_column_name").is_some(),
                "rename-column",
                "new_column_name=…",
            ),
        ];
        for (found, rule, what) in changes {
            if found {
                self.hit(c.line, rule, format!("op.alter_column({column}, {what})"));
            }
        }
    }

    /// `op.add_column(table, sa.Column(name, type, nullable=False))` without a server default.
    fn add_column(&mut self, c: &Call<'_>) {
        let column = c
            .args
            .iter()
            .filter(|a| a.name.is_none())
            .nth(c.shift)
            .map(|a| a.value)
            .or(kw(&c.args, "column"));
        let Some(col) = column else {
            return;
        };
        let Some(open) = col.iter().position(|x| x.is_op("(")) else {
            return;
        };
        let (cargs, _) = call_args(col, open);
        let name = str_arg(&cargs, 0, "name");
        let required = is_false(kw(&cargs, "nullable")) || is_true(kw(&cargs, "primary_key"));
        if required && kw(&cargs, "server_default").is_none() {
            let subject = format!("op.add_column({}.{name}, nullable=False)", c.table);
            self.hit(c.line, "add-required-column", subject);
        }
    }

    fn create_index(&mut self, c: &Call<'_>) {
        let on = str_arg(&c.args, 1, "table_name");
        let concurrently = is_true(kw(&c.args, "postgresql_concurrently"));
        if concurrently && !self.state.no_transaction {
            let subject = format!("op.create_index(…, postgresql_concurrently=True) on {on}");
            self.hit(c.line, "concurrently-in-transaction", subject);
        } else if !concurrently && !self.created(&on) {
            let subject = format!("op.create_index on {on}");
            self.hit(c.line, "create-index-non-concurrently", subject);
        }
    }

    fn drop_index(&mut self, c: &Call<'_>) {
        let concurrently = is_true(kw(&c.args, "postgresql_concurrently"));
        if concurrently && !self.state.no_transaction {
            let subject = "op.drop_index(…, postgresql_concurrently=True)".into();
            self.hit(c.line, "concurrently-in-transaction", subject);
        } else if !concurrently {
            self.hit(
                c.line,
                "drop-index-non-concurrently",
                "op.drop_index".into(),
            );
        }
    }

    /// `op.create_<constraint>(name, table, …)` on a table not created in this script.
    fn constraint(&mut self, c: &Call<'_>, table_kw: &str, rule: &'static str) {
        let on = str_arg(&c.args, 1, table_kw);
        if !self.created(&on) {
            self.hit(c.line, rule, format!("op.{} on {on}", c.method));
        }
    }

    /// `op.execute("…")`: the SQL goes through the SQL checks; hits land on the call's line.
    fn execute(&mut self, c: &Call<'_>) {
        let Some((sql, sql_line, true)) = c.args.first().and_then(|a| literal(a.value)) else {
            let message = "op.execute(…) with an argument that is not a string literal";
            self.out.unreadable.push((c.line, message.into()));
            return;
        };
        let lexed = sqltext::split(&sql);
        for p in lexed.problems {
            let message = format!("SQL in op.execute: {}", p.message);
            self.out.unreadable.push((sql_line + p.line - 1, message));
        }
        let mut hits = Vec::new();
        for (n, stmt) in lexed.statements.iter().enumerate() {
            check_statement(stmt, n, &mut self.state, &mut hits);
        }
        for h in hits {
            self.out.hits.push(Hit {
                line: c.line,
                statement: c.line,
                ..h
            });
        }
    }
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

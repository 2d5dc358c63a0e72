//! Applying SQL migrations: under the migration lock, each file verbatim in its own
//! transaction together with its history row (or statement by statement for
//! `-- devenv:no-transaction`), with `lock_timeout`/`statement_timeout` set on the session.
//!
//! Transactional files are sent whole with the simple-query protocol, so the server does
//! the statement splitting (dollar quotes, `DO` blocks, `BEGIN ATOMIC` all work); our lexer
//! is used only to name the failing line. Errors name the file and line, and when
//! `lock_timeout` fires, the sessions that held the lock (sampled while the statement waited).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::MigrateError;
use super::config::pg_millis;
use super::connect::{Target, query_err};
use super::files::{self, MigrationFile};
use super::history::{self, State as HistoryState};
use super::lock::MigrationLock;
use super::sqltext;
use super::status::{self, State};
use crate::ui::Printer;

/// What `db migrate` was asked to do.
#[derive(Debug, Clone)]
pub(crate) struct MigrateOptions {
    pub dir: PathBuf,
    pub dry_run: bool,
    /// Apply pending files up to and including this version.
    pub target: Option<u64>,
    pub allow_out_of_order: bool,
    /// Versions whose edited file is accepted (the recorded checksum is replaced).
    pub accept_checksum: Vec<u64>,
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub lock_wait: Duration,
    pub history_table: String,
}

/// One file applied (or, for a dry run, that would be).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct AppliedFile {
    pub version: u64,
    pub name: String,
    pub file: String,
    pub no_transaction: bool,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Outcome {
    pub dry_run: bool,
    pub applied: Vec<AppliedFile>,
    /// Pending files left after a `--target` run.
    pub remaining: usize,
}

/// Apply pending migrations.
pub(crate) async fn migrate(
    target: &Target,
    opts: &MigrateOptions,
    printer: &Printer,
) -> Result<Outcome, MigrateError> {
    let dir = opts.dir.clone();
    let files = tokio::task::spawn_blocking(move || files::discover(&dir))
        .await
        .map_err(|e| MigrateError::Io(std::io::Error::other(e)))??;
    let table = opts.history_table.as_str();

    let lock = if opts.dry_run {
        None
    } else {
        let printer = printer.clone();
        Some(
            MigrationLock::acquire(target, table, opts.lock_wait, |holder| {
                printer.status(
                    "Waiting",
                    format!(
                        "for the migration lock{holder} (up to {})",
                        humantime::format_duration(opts.lock_wait)
                    ),
                );
            })
            .await?,
        )
    };
    let client = target.connect("devenv migrate").await?;
    let result = run_locked(&client, lock.as_ref(), &files, opts, printer).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result
}

async fn run_locked(
    client: &Client,
    lock: Option<&MigrationLock>,
    files: &[MigrationFile],
    opts: &MigrateOptions,
    printer: &Printer,
) -> Result<Outcome, MigrateError> {
    let table = opts.history_table.as_str();
    let applied = match history::read(client, table).await? {
        HistoryState::Ours(applied) => applied,
        HistoryState::Missing {
            foreign: Some((foreign, tool)),
        } => {
            return Err(MigrateError::ForeignHistory {
                tool,
                table: foreign,
                ours: table.to_string(),
            });
        }
        HistoryState::Missing { foreign: None } => {
            if !opts.dry_run {
                history::ensure(client, table).await?;
            }
            Vec::new()
        }
    };

    let mut rows = status::compare(files, &applied);
    for version in &opts.accept_checksum {
        let Some(row) = rows.iter_mut().find(|r| r.version == *version) else {
            return Err(MigrateError::UnknownVersion { version: *version });
        };
        match (row.state, &row.checksum) {
            (State::Changed, Some(sum)) => {
                if !opts.dry_run {
                    history::accept_checksum(client, table, *version, sum).await?;
                }
                printer.status(
                    "Accepted",
                    format!(
                        "the edited `{}` (checksum sha256:{})",
                        row.file.as_deref().unwrap_or(&row.name),
                        &sum[..12.min(sum.len())]
                    ),
                );
                row.state = State::Applied;
            }
            (State::Applied, _) => printer.note(format!(
                "`{}` is unchanged; nothing to accept",
                row.file.as_deref().unwrap_or(&row.name)
            )),
            _ => return Err(MigrateError::UnknownVersion { version: *version }),
        }
    }

    let changed: Vec<&status::Row> = rows.iter().filter(|r| r.state == State::Changed).collect();
    if !changed.is_empty() {
        return Err(MigrateError::Changed {
            files: changed
                .iter()
                .map(|r| format!("`{}`", r.file.as_deref().unwrap_or(&r.name)))
                .collect(),
            versions: changed.iter().map(|r| r.version).collect(),
        });
    }
    for row in rows.iter().filter(|r| r.state == State::Missing) {
        printer.warn(format!(
            "migration {} `{}` was applied but its file is gone",
            row.version, row.name
        ));
    }

    let newest = applied.iter().map(|a| a.version).max().unwrap_or(0);
    let pending: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| {
            rows.iter()
                .any(|r| r.version == f.version && r.state == State::Pending)
        })
        .collect();
    let (todo, later): (Vec<&MigrationFile>, Vec<&MigrationFile>) = pending
        .into_iter()
        .partition(|f| opts.target.is_none_or(|t| f.version <= t));
    let out_of_order: Vec<String> = todo
        .iter()
        .filter(|f| {
            f.version < newest && !opts.allow_out_of_order && !f.directives.allow_out_of_order
        })
        .map(|f| format!("`{}`", f.file_name()))
        .collect();
    if !out_of_order.is_empty() {
        return Err(MigrateError::OutOfOrder {
            files: out_of_order,
            newest,
        });
    }
    for f in &todo {
        let lexed = sqltext::split(&f.sql);
        if lexed.statements.is_empty() {
            return Err(MigrateError::EmptyFile {
                path: f.path.clone(),
            });
        }
        if !f.directives.no_transaction
            && let Some((line, statement)) = transaction_control(&lexed)
        {
            return Err(MigrateError::TransactionControl {
                path: f.path.clone(),
                line,
                statement,
            });
        }
    }

    let mut outcome = Outcome {
        dry_run: opts.dry_run,
        applied: Vec::new(),
        remaining: later.len(),
    };
    if opts.dry_run {
        for f in &todo {
            printer.status(
                "Would apply",
                format!(
                    "{}{}",
                    f.file_name(),
                    if f.directives.no_transaction {
                        " (no transaction)"
                    } else {
                        ""
                    }
                ),
            );
            outcome.applied.push(applied_file(f, Duration::ZERO));
        }
        return Ok(outcome);
    }
    if todo.is_empty() {
        return Ok(outcome);
    }

    let mut session = format!("SET lock_timeout = '{}'", pg_millis(opts.lock_timeout));
    session.push_str(&format!(
        "; SET statement_timeout = '{}'",
        pg_millis(opts.statement_timeout)
    ));
    client
        .batch_execute(&session)
        .await
        .map_err(query_err("setting lock_timeout and statement_timeout"))?;
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(query_err("reading the session's pid"))?;
    let insert = history::insert_sql(table);
    let by = history::applied_by();
    let bar = printer.spinner("Migrating");
    for (i, f) in todo.iter().enumerate() {
        bar.set_message(format!(
            "Migrating {} ({}/{})",
            f.file_name(),
            i + 1,
            todo.len()
        ));
        let started = Instant::now();
        let ctx = FileRun {
            client,
            lock_client: lock.map(MigrationLock::client),
            pid,
            file: f,
            opts,
        };
        let result = if f.directives.no_transaction {
            ctx.run_no_transaction(&insert, &by, started).await
        } else {
            ctx.run_transaction(&insert, &by, started).await
        };
        if let Err(err) = result {
            bar.finish_and_clear();
            return Err(err);
        }
        let took = started.elapsed();
        printer.status(
            "Applied",
            format!("{} ({} ms)", f.file_name(), took.as_millis()),
        );
        outcome.applied.push(applied_file(f, took));
    }
    bar.finish_and_clear();
    Ok(outcome)
}

fn applied_file(f: &MigrationFile, took: Duration) -> AppliedFile {
    AppliedFile {
        version: f.version,
        name: f.name.clone(),
        file: f.file_name(),
        no_transaction: f.directives.no_transaction,
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    }
}

struct FileRun<'a> {
    client: &'a Client,
    lock_client: Option<&'a Client>,
    pid: i32,
    file: &'a MigrationFile,
    opts: &'a MigrateOptions,
}

impl FileRun<'_> {
    async fn record(
        &self,
        insert: &str,
        by: &str,
        started: Instant,
    ) -> Result<(), tokio_postgres::Error> {
        let version = i64::try_from(self.file.version).unwrap_or(i64::MAX);
        let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let no_tx = self.file.directives.no_transaction;
        self.client
            .execute(
                insert,
                &[
                    &version,
                    &self.file.name,
                    &self.file.checksum,
                    &ms,
                    &by,
                    &env!("CARGO_PKG_VERSION"),
                    &no_tx,
                ],
            )
            .await
            .map(|_| ())
    }

    async fn run_transaction(
        &self,
        insert: &str,
        by: &str,
        started: Instant,
    ) -> Result<(), MigrateError> {
        self.client
            .batch_execute("BEGIN")
            .await
            .map_err(query_err("starting a transaction"))?;
        let (result, blockers) = self.watch(run_counting(self.client, &self.file.sql)).await;
        if let Err((completed, err)) = result {
            let _ = self.client.batch_execute("ROLLBACK").await;
            return Err(self.failure(err, completed, None, blockers).await);
        }
        if let Err(err) = self.record(insert, by, started).await {
            let _ = self.client.batch_execute("ROLLBACK").await;
            return Err(query_err(format!(
                "recording `{}` in the history",
                self.file.file_name()
            ))(err));
        }
        self.client
            .batch_execute("COMMIT")
            .await
            .map_err(|err| MigrateError::Failed {
                file: self.file.file_name(),
                line: 1,
                message: format!("COMMIT failed: {}", super::db_message(&err)),
                no_transaction: false,
                hint: None,
                source: err,
            })
    }

    async fn run_no_transaction(
        &self,
        insert: &str,
        by: &str,
        started: Instant,
    ) -> Result<(), MigrateError> {
        let lexed = sqltext::split(&self.file.sql);
        for (i, stmt) in lexed.statements.iter().enumerate() {
            let text = stmt.text(&self.file.sql);
            let (result, blockers) = self.watch(run_counting(self.client, text)).await;
            if let Err((_, err)) = result {
                return Err(self.failure(err, i, Some(stmt), blockers).await);
            }
        }
        self.record(insert, by, started)
            .await
            .map_err(query_err(format!(
                "recording `{}` in the history",
                self.file.file_name()
            )))
    }

    /// Run `fut` while sampling who blocks our session, for the lock_timeout message.
    async fn watch<T>(&self, fut: impl Future<Output = T>) -> (T, Vec<String>) {
        let Some(lock_client) = self.lock_client else {
            return (fut.await, Vec::new());
        };
        pin_mut!(fut);
        let mut blockers = Vec::new();
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_millis(200),
            Duration::from_millis(400),
        );
        loop {
            tokio::select! {
                out = &mut fut => return (out, blockers),
                _ = tick.tick() => {
                    let now = blocking_sessions(lock_client, self.pid).await;
                    if !now.is_empty() {
                        blockers = now;
                    }
                }
            }
        }
    }

    async fn failure(
        &self,
        err: tokio_postgres::Error,
        completed: usize,
        stmt: Option<&sqltext::Statement>,
        blockers: Vec<String>,
    ) -> MigrateError {
        let sql = &self.file.sql;
        let lexed;
        let stmt = match stmt {
            Some(s) => Some(s),
            None => {
                lexed = sqltext::split(sql);
                lexed.statements.get(completed).or(lexed.statements.last())
            }
        };
        let mut line = stmt.map_or(1, |s| s.line);
        if let Some(db) = err.as_db_error() {
            if let Some(ErrorPosition::Original(pos)) = db.position() {
                let pos = *pos as usize;
                line = match stmt.filter(|_| self.file.directives.no_transaction) {
                    // The statement was sent alone: its position counts from its start.
                    Some(s) => {
                        let before = sql.get(..s.start).unwrap_or("");
                        let stmt_text = sql.get(s.start..s.end).unwrap_or("");
                        let skipped = stmt_text.len() - stmt_text.trim_start().len();
                        let lead = before.chars().count() + stmt_text[..skipped].chars().count();
                        sqltext::line_of_char_position(sql, lead + pos)
                    }
                    None => sqltext::line_of_char_position(sql, pos),
                };
            } else if let (Some(where_), Some(s)) = (db.where_(), stmt) {
                // PL/pgSQL reports `… line N at …`, counted from the body's first line.
                if let Some(n) = plpgsql_line(where_)
                    && let Some(body) = s
                        .tokens
                        .iter()
                        .find(|t| t.kind == sqltext::TokenKind::String)
                {
                    line = body.line + n - 1;
                }
            }
        }
        let file = self.file.file_name();
        let no_transaction = self.file.directives.no_transaction;
        if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
            let blockers = if blockers.is_empty() {
                "\n  (the blocking session had ended by the time devenv looked)".to_string()
            } else {
                blockers
                    .iter()
                    .map(|b| format!("\n  blocked by {b}"))
                    .collect()
            };
            return MigrateError::LockTimeout {
                file,
                line,
                timeout: humantime::format_duration(self.opts.lock_timeout).to_string(),
                blockers,
            };
        }
        let mut hint = None;
        let mut message = super::db_message(&err);
        if err.code() == Some(&SqlState::QUERY_CANCELED) {
            message = format!(
                "{message} (statement_timeout {})",
                humantime::format_duration(self.opts.statement_timeout)
            );
            hint = Some(
                "raise `database.statement_timeout` in devenv.yaml, or make the statement cheaper"
                    .to_string(),
            );
        } else if err.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION) {
            hint = Some(format!(
                "put `-- devenv:no-transaction` on the first line of `{file}`; its statements then run one by one outside a transaction"
            ));
        } else if let Some(h) = err.as_db_error().and_then(|d| d.hint()) {
            hint = Some(h.to_string());
        }
        if no_transaction {
            let mut h = format!(
                "`{file}` runs without a transaction: the {completed} statement(s) before line {line} were applied and stay applied, and the file is not recorded. Make it safe to run again from the top (IF NOT EXISTS / IF EXISTS), then run `devenv db migrate` again"
            );
            for index in invalid_indexes(self.client).await {
                h.push_str(&format!(
                    "; index `{index}` is INVALID after a failed CONCURRENTLY build: `DROP INDEX CONCURRENTLY IF EXISTS {index};`"
                ));
            }
            if let Some(extra) = hint {
                h = format!("{extra}\n{h}");
            }
            hint = Some(h);
        }
        MigrateError::Failed {
            file,
            line,
            message,
            no_transaction,
            hint,
            source: err,
        }
    }
}

/// Send `sql` with the simple-query protocol, counting completed statements so a failure
/// can be placed on the statement after the last one that completed.
async fn run_counting(client: &Client, sql: &str) -> Result<usize, (usize, tokio_postgres::Error)> {
    let stream = client.simple_query_raw(sql).await.map_err(|e| (0, e))?;
    pin_mut!(stream);
    let mut completed = 0;
    while let Some(msg) = stream.next().await {
        match msg {
            Ok(SimpleQueryMessage::CommandComplete(_)) => completed += 1,
            Ok(_) => {}
            Err(e) => return Err((completed, e)),
        }
    }
    Ok(completed)
}

fn plpgsql_line(where_: &str) -> Option<usize> {
    let rest = where_.split(" line ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `pid 123 (`psql`, idle in transaction for 12s): LOCK TABLE users` for each blocker.
async fn blocking_sessions(client: &Client, pid: i32) -> Vec<String> {
    let rows = client
        .query(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), \
             left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 200), \
             coalesce(extract(epoch FROM now() - a.xact_start)::bigint, 0) \
             FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1))",
            &[&pid],
        )
        .await;
    rows.map(|rows| {
        rows.iter()
            .map(|r| {
                let pid: i32 = r.try_get(0).unwrap_or(0);
                let app: String = r.try_get(1).unwrap_or_default();
                let state: String = r.try_get(2).unwrap_or_default();
                let query: String = r.try_get(3).unwrap_or_default();
                let secs: i64 = r.try_get(4).unwrap_or(0);
                format!("pid {pid} (`{app}`, {state}, transaction open {secs}s): {query}")
            })
            .collect()
    })
    .unwrap_or_default()
}

async fn invalid_indexes(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT i.indisvalid AND n.nspname = current_schema()",
            &[],
        )
        .await
        .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
        .unwrap_or_default()
}

/// A top-level `BEGIN`, `COMMIT`, `ROLLBACK`, `ABORT` or `START TRANSACTION` in a file that
/// runs in devenv's transaction: (line, statement). `END` is left alone, since the lexer
/// may see it closing a `BEGIN ATOMIC` function body.
fn transaction_control(lexed: &sqltext::Lexed) -> Option<(usize, String)> {
    lexed.statements.iter().find_map(|s| {
        let first = s.tokens.first()?;
        let control = ["begin", "commit", "rollback", "abort"]
            .iter()
            .any(|w| first.is(w))
            || (first.is("start") && s.tokens.get(1).is_some_and(|t| t.is("transaction")));
        control.then(|| (s.line, first.text.to_uppercase()))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn plpgsql_context_lines() {
        assert_eq!(
            super::plpgsql_line("PL/pgSQL function inline_code_block line 3 at RAISE"),
            Some(3)
        );
        assert_eq!(super::plpgsql_line("SQL statement"), None);
    }
}

#[cfg(test)]
mod transaction_control_tests {
    use super::*;

    #[test]
    fn top_level_transaction_control_is_found_in_any_case() {
        let sql = "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n";
        assert_eq!(
            transaction_control(&sqltext::split(sql)),
            Some((2, "COMMIT".into()))
        );
        assert_eq!(
            transaction_control(&sqltext::split("begin;\nselect 1;\n")).map(|x| x.0),
            Some(1)
        );
        assert_eq!(
            transaction_control(&sqltext::split("Start Transaction;\n")).map(|x| x.0),
            Some(1)
        );
        let body = "DO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n";
        assert_eq!(transaction_control(&sqltext::split(body)), None);
    }
}

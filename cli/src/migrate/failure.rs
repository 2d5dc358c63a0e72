//! Turning a PostgreSQL error raised while a file was applied into a [`MigrateError`] people
//! can act on: the file and line (from the server's error position, the PL/pgSQL context,
//! or the statement that was running), the sessions that held the lock when `lock_timeout`
//! fired, and a hint; for a no-transaction file, what stayed applied and which indexes a
//! failed `CONCURRENTLY` build left INVALID.

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::{ErrorPosition, SqlState};

use super::MigrateError;
use super::files::MigrationFile;
use super::sqltext;

/// Where in a file the error came.
pub(super) struct FailedAt<'a> {
    pub file: &'a MigrationFile,
    /// Statements of the file that completed before the failure.
    pub completed: usize,
    /// The statement, when it was sent alone (no-transaction files); `None` when the whole
    /// file was sent and the failing statement is found from `completed`.
    pub stmt: Option<&'a sqltext::Statement>,
    /// Sessions seen blocking ours while the statement waited.
    pub blockers: Vec<String>,
}

/// The error for `err`, raised at `at`. `client` is the session that ran the file (used to
/// look for INVALID indexes after a no-transaction failure).
pub(super) async fn failure(
    client: &Client,
    lock_timeout: Duration,
    statement_timeout: Duration,
    at: FailedAt<'_>,
    err: tokio_postgres::Error,
) -> MigrateError {
    let line = failure_line(&at, &err);
    let file = at.file.file_name();
    if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return MigrateError::LockTimeout {
            file,
            line,
            timeout: humantime::format_duration(lock_timeout).to_string(),
            blockers: blockers_text(&at.blockers),
        };
    }
    let (message, mut hint) = message_and_hint(&err, &file, statement_timeout);
    let no_transaction = at.file.directives.no_transaction;
    if no_transaction {
        let partial = partial_hint(client, &file, at.completed, line).await;
        hint = Some(match hint {
            Some(extra) => format!("{extra}\n{partial}"),
            None => partial,
        });
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

/// The line of the file the error belongs to.
fn failure_line(at: &FailedAt<'_>, err: &tokio_postgres::Error) -> usize {
    let sql = &at.file.sql;
    let lexed;
    let stmt = match at.stmt {
        Some(s) => Some(s),
        None => {
            lexed = sqltext::split(sql);
            lexed
                .statements
                .get(at.completed)
                .or(lexed.statements.last())
        }
    };
    let statement_line = stmt.map_or(1, |s| s.line);
    let Some(db) = err.as_db_error() else {
        return statement_line;
    };
    if let Some(ErrorPosition::Original(pos)) = db.position() {
        let pos = *pos as usize;
        return match stmt.filter(|_| at.file.directives.no_transaction) {
            // The statement was sent alone: its position counts from its start.
            Some(s) => sqltext::line_of_char_position(sql, chars_before(sql, s) + pos),
            None => sqltext::line_of_char_position(sql, pos),
        };
    }
    // PL/pgSQL reports `… line N at …`, counted from the body's first line.
    if let (Some(where_), Some(s)) = (db.where_(), stmt)
        && let Some(n) = plpgsql_line(where_)
        && let Some(body) = s
            .tokens
            .iter()
            .find(|t| t.kind == sqltext::TokenKind::String)
    {
        return body.line + n - 1;
    }
    statement_line
}

/// Characters of `sql` before the statement's first non-blank character, as the server
/// counted them when it was sent alone (trimmed).
fn chars_before(sql: &str, s: &sqltext::Statement) -> usize {
    let before = sql.get(..s.start).unwrap_or("");
    let stmt_text = sql.get(s.start..s.end).unwrap_or("");
    let skipped = stmt_text.len() - stmt_text.trim_start().len();
    before.chars().count() + stmt_text[..skipped].chars().count()
}

fn blockers_text(blockers: &[String]) -> String {
    if blockers.is_empty() {
        return "\n  (the blocking session had ended by the time devenv looked)".to_string();
    }
    blockers
        .iter()
        .map(|b| format!("\n  blocked by {b}"))
        .collect()
}

/// The server's message (with the timeout when it cancelled the statement), and the hint.
fn message_and_hint(
    err: &tokio_postgres::Error,
    file: &str,
    statement_timeout: Duration,
) -> (String, Option<String>) {
    let message = super::db_message(err);
    if err.code() == Some(&SqlState::QUERY_CANCELED) {
        let message = format!(
            "{message} (statement_timeout {})",
            humantime::format_duration(statement_timeout)
        );
        let hint =
            "raise `database.statement_timeout` in devenv.yaml, or make the statement cheaper";
        return (message, Some(hint.to_string()));
    }
    if err.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION) {
        let hint = format!(
            "put `-- devenv:no-transaction` on the first line of `{file}`; its statements then run one by one outside a transaction"
        );
        return (message, Some(hint));
    }
    let hint = err.as_db_error().and_then(|d| d.hint()).map(str::to_string);
    (message, hint)
}

/// What a failed no-transaction file left behind and how to go on.
async fn partial_hint(client: &Client, file: &str, completed: usize, line: usize) -> String {
    let mut h = format!(
        "`{file}` runs without a transaction: the {completed} statement(s) before line {line} were applied and stay applied, and the file is not recorded. Make it safe to run again from the top (IF NOT EXISTS / IF EXISTS), then run `devenv db migrate` again"
    );
    for index in invalid_indexes(client).await {
        h.push_str(&format!(
            "; index `{index}` is INVALID after a failed CONCURRENTLY build: `DROP INDEX CONCURRENTLY IF EXISTS {index};`"
        ));
    }
    h
}

fn plpgsql_line(where_: &str) -> Option<usize> {
    let rest = where_.split(" line ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `pid 123 (`psql`, idle in transaction for 12s): LOCK TABLE users` for each blocker.
pub(super) async fn blocking_sessions(client: &Client, pid: i32) -> Vec<String> {
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

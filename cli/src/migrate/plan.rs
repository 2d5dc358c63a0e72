//! What `db migrate` will do, decided from the files on disk and the history table alone:
//! which edited checksums to accept, which files to apply, and why it refuses when it does
//! (an edited applied file, an out-of-order file, an empty file, `COMMIT` inside a
//! transactional file, another tool's history). Pure: no database calls, so every decision
//! is unit-tested without PostgreSQL; [`super::apply`] carries the plan out.

use super::MigrateError;
use super::apply::MigrateOptions;
use super::files::MigrationFile;
use super::history::{Applied, State as HistoryState};
use super::sqltext;
use super::status::{self, Row, State};

/// The decisions, in the order `apply` acts on them.
#[derive(Debug)]
pub(crate) struct Plan<'f> {
    /// No history table yet (and not a dry run): create it first.
    pub create_history: bool,
    /// The `--accept-checksum` versions, in the order given. When one of them is refused,
    /// those before it are still here and `work` holds the refusal.
    pub accepts: Vec<Accept>,
    /// Applied migrations whose file is gone: a warning, not a refusal.
    pub gone: Vec<(u64, String)>,
    /// After the accepts: the files to apply, or why nothing may be applied.
    pub work: Result<Work<'f>, MigrateError>,
}

/// One `--accept-checksum VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Accept {
    /// The edited file's checksum replaces the recorded one.
    Record {
        version: u64,
        file: String,
        checksum: String,
    },
    /// The file is as it was applied: nothing to accept.
    Unchanged { file: String },
}

/// The files to apply.
#[derive(Debug, Default)]
pub(crate) struct Work<'f> {
    /// Pending files up to `--target`, in version order.
    pub todo: Vec<&'f MigrationFile>,
    /// Pending files after `--target`, left alone.
    pub remaining: usize,
}

/// Decide what to do with `files` given what `history` says was applied.
pub(crate) fn plan<'f>(
    files: &'f [MigrationFile],
    history: &HistoryState,
    opts: &MigrateOptions,
) -> Plan<'f> {
    let applied: &[Applied] = match history {
        HistoryState::Ours(applied) => applied,
        HistoryState::Missing {
            foreign: Some((table, tool)),
        } => {
            return refused(
                Vec::new(),
                MigrateError::ForeignHistory {
                    tool: tool.clone(),
                    table: table.clone(),
                    ours: opts.history_table.clone(),
                },
            );
        }
        HistoryState::Missing { foreign: None } => &[],
    };
    let create_history = matches!(history, HistoryState::Missing { .. }) && !opts.dry_run;
    let mut rows = status::compare(files, applied);
    let accepts = match accept_checksums(&mut rows, &opts.accept_checksum) {
        Ok(accepts) => accepts,
        Err((accepts, err)) => return refused(accepts, err).creating(create_history),
    };
    if let Some(err) = changed(&rows) {
        return refused(accepts, err).creating(create_history);
    }
    let gone = rows
        .iter()
        .filter(|r| r.state == State::Missing)
        .map(|r| (r.version, r.name.clone()))
        .collect();
    let newest = applied.iter().map(|a| a.version).max().unwrap_or(0);
    Plan {
        create_history,
        accepts,
        gone,
        work: pending_work(files, &rows, newest, opts),
    }
}

fn refused<'f>(accepts: Vec<Accept>, err: MigrateError) -> Plan<'f> {
    Plan {
        create_history: false,
        accepts,
        gone: Vec::new(),
        work: Err(err),
    }
}

impl Plan<'_> {
    fn creating(mut self, create_history: bool) -> Self {
        self.create_history = create_history;
        self
    }
}

fn shown(row: &Row) -> String {
    row.file.clone().unwrap_or_else(|| row.name.clone())
}

/// Accept the edits of `versions` (marking their rows applied). On a version that is not an
/// applied migration: the accepts before it, and the refusal.
fn accept_checksums(
    rows: &mut [Row],
    versions: &[u64],
) -> Result<Vec<Accept>, (Vec<Accept>, MigrateError)> {
    let mut accepts = Vec::new();
    for &version in versions {
        let unknown = MigrateError::UnknownVersion { version };
        let Some(row) = rows.iter_mut().find(|r| r.version == version) else {
            return Err((accepts, unknown));
        };
        match (row.state, &row.checksum) {
            (State::Changed, Some(sum)) => {
                accepts.push(Accept::Record {
                    version,
                    file: shown(row),
                    checksum: sum.clone(),
                });
                row.state = State::Applied;
            }
            (State::Applied, _) => accepts.push(Accept::Unchanged { file: shown(row) }),
            _ => return Err((accepts, unknown)),
        }
    }
    Ok(accepts)
}

/// Applied files edited since (and not accepted): a refusal naming them all.
fn changed(rows: &[Row]) -> Option<MigrateError> {
    let changed: Vec<&Row> = rows.iter().filter(|r| r.state == State::Changed).collect();
    (!changed.is_empty()).then(|| MigrateError::Changed {
        files: changed.iter().map(|r| format!("`{}`", shown(r))).collect(),
        versions: changed.iter().map(|r| r.version).collect(),
    })
}

/// The pending files up to `--target`, refused when one is out of order (older than the
/// `newest` applied version, without permission) or cannot run as written.
fn pending_work<'f>(
    files: &'f [MigrationFile],
    rows: &[Row],
    newest: u64,
    opts: &MigrateOptions,
) -> Result<Work<'f>, MigrateError> {
    let pending = files.iter().filter(|f| {
        rows.iter()
            .any(|r| r.version == f.version && r.state == State::Pending)
    });
    let (todo, later): (Vec<&MigrationFile>, Vec<&MigrationFile>) =
        pending.partition(|f| opts.target.is_none_or(|t| f.version <= t));
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
        check_runnable(f)?;
    }
    Ok(Work {
        todo,
        remaining: later.len(),
    })
}

/// A file must have a statement, and a transactional one must not end devenv's transaction.
fn check_runnable(f: &MigrationFile) -> Result<(), MigrateError> {
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
    Ok(())
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
    use std::time::Duration;

    use super::*;
    use crate::migrate::files::{checksum, directives};

    fn file(version: u64, sql: &str) -> MigrationFile {
        MigrationFile {
            version,
            name: format!("m{version}"),
            path: format!("{version}_m{version}.sql").into(),
            sql: sql.into(),
            checksum: checksum(sql),
            directives: directives(sql),
        }
    }

    fn applied(version: u64, sql: &str) -> Applied {
        Applied {
            version,
            name: format!("m{version}"),
            checksum: checksum(sql),
            applied_at: "2024-01-01T00:00:00Z".into(),
            duration_ms: 1,
            applied_by: "me@here".into(),
        }
    }

    fn opts() -> MigrateOptions {
        MigrateOptions {
            dir: "migrations".into(),
            dry_run: false,
            target: None,
            allow_out_of_order: false,
            accept_checksum: Vec::new(),
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(60),
            lock_wait: Duration::from_secs(60),
            history_table: "devenv_schema_migrations".into(),
        }
    }

    fn todo(plan: &Plan<'_>) -> Vec<u64> {
        match &plan.work {
            Ok(work) => work.todo.iter().map(|f| f.version).collect(),
            Err(err) => panic!("refused: {err}"),
        }
    }

    const A: &str = "CREATE TABLE a (id int);";
    const B: &str = "CREATE TABLE b (id int);";
    const C: &str = "CREATE TABLE c (id int);";

    #[test]
    fn a_fresh_database_gets_the_history_table_and_every_file() {
        let files = [file(1, A), file(2, B)];
        let fresh = HistoryState::Missing { foreign: None };
        let p = plan(&files, &fresh, &opts());
        assert!(p.create_history);
        assert_eq!(todo(&p), [1, 2]);
        let dry = MigrateOptions {
            dry_run: true,
            ..opts()
        };
        assert!(!plan(&files, &fresh, &dry).create_history);
    }

    #[test]
    fn only_pending_files_run_and_target_leaves_the_rest() {
        let files = [file(1, A), file(2, B), file(3, C)];
        let history = HistoryState::Ours(vec![applied(1, A)]);
        let p = plan(&files, &history, &opts());
        assert!(!p.create_history);
        assert_eq!(todo(&p), [2, 3]);
        let to_2 = MigrateOptions {
            target: Some(2),
            ..opts()
        };
        let p = plan(&files, &history, &to_2);
        assert_eq!(todo(&p), [2]);
        assert_eq!(p.work.as_ref().map(|w| w.remaining).ok(), Some(1));
    }

    #[test]
    fn an_edited_applied_file_is_refused_unless_accepted() {
        let files = [file(1, "CREATE TABLE a (id bigint);"), file(2, B)];
        let history = HistoryState::Ours(vec![applied(1, A)]);
        let p = plan(&files, &history, &opts());
        assert!(matches!(&p.work, Err(MigrateError::Changed { versions, .. }) if versions == &[1]));
        let accept = MigrateOptions {
            accept_checksum: vec![1],
            ..opts()
        };
        let p = plan(&files, &history, &accept);
        assert_eq!(
            p.accepts,
            [Accept::Record {
                version: 1,
                file: "1_m1.sql".into(),
                checksum: checksum("CREATE TABLE a (id bigint);"),
            }]
        );
        assert_eq!(todo(&p), [2]);
    }

    #[test]
    fn accepting_an_unchanged_or_unknown_version() {
        let files = [file(1, A), file(2, B)];
        let history = HistoryState::Ours(vec![applied(1, A)]);
        let unchanged = MigrateOptions {
            accept_checksum: vec![1],
            ..opts()
        };
        let p = plan(&files, &history, &unchanged);
        assert_eq!(
            p.accepts,
            [Accept::Unchanged {
                file: "1_m1.sql".into()
            }]
        );
        assert_eq!(todo(&p), [2]);
        // A pending version was never applied; the accepts before it still stand.
        let pending = MigrateOptions {
            accept_checksum: vec![1, 2],
            ..opts()
        };
        let p = plan(&files, &history, &pending);
        assert_eq!(p.accepts.len(), 1);
        assert!(matches!(
            p.work,
            Err(MigrateError::UnknownVersion { version: 2 })
        ));
        let absent = MigrateOptions {
            accept_checksum: vec![9],
            ..opts()
        };
        let p = plan(&files, &history, &absent);
        assert!(matches!(
            p.work,
            Err(MigrateError::UnknownVersion { version: 9 })
        ));
    }

    #[test]
    fn out_of_order_files_need_permission() {
        let files = [
            file(1, A),
            file(2, B),
            file(3, "-- devenv:allow-out-of-order\nCREATE TABLE d (id int);"),
            file(4, C),
        ];
        let history = HistoryState::Ours(vec![applied(1, A), applied(4, C)]);
        let p = plan(&files, &history, &opts());
        match &p.work {
            Err(MigrateError::OutOfOrder { files, newest }) => {
                assert_eq!(files, &["`2_m2.sql`"]);
                assert_eq!(*newest, 4);
            }
            other => panic!("expected OutOfOrder, got {other:?}"),
        }
        let allowed = MigrateOptions {
            allow_out_of_order: true,
            ..opts()
        };
        assert_eq!(todo(&plan(&files, &history, &allowed)), [2, 3]);
    }

    #[test]
    fn a_vanished_file_is_a_warning() {
        let files = [file(2, B)];
        let history = HistoryState::Ours(vec![applied(1, A)]);
        let p = plan(&files, &history, &opts());
        assert_eq!(p.gone, [(1, "m1".to_string())]);
        assert_eq!(todo(&p), [2]);
    }

    #[test]
    fn another_tools_history_is_refused_before_anything() {
        let files = [file(1, A)];
        let history = HistoryState::Missing {
            foreign: Some(("alembic_version".into(), "Alembic".into())),
        };
        let p = plan(&files, &history, &opts());
        assert!(!p.create_history);
        assert!(matches!(
            p.work,
            Err(MigrateError::ForeignHistory { ref tool, .. }) if tool == "Alembic"
        ));
    }

    #[test]
    fn files_that_cannot_run_as_written() {
        let history = HistoryState::Ours(Vec::new());
        let empty = [file(1, "-- nothing here\n")];
        assert!(matches!(
            plan(&empty, &history, &opts()).work,
            Err(MigrateError::EmptyFile { .. })
        ));
        let commit = [file(1, "CREATE TABLE a (id int);\nCOMMIT;\n")];
        assert!(matches!(
            plan(&commit, &history, &opts()).work,
            Err(MigrateError::TransactionControl { line: 2, .. })
        ));
        let no_tx = [file(1, "-- devenv:no-transaction\nBEGIN;\nCOMMIT;\n")];
        assert!(no_tx[0].directives.no_transaction);
        assert_eq!(todo(&plan(&no_tx, &history, &opts())), [1]);
    }

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

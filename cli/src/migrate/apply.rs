//! Applying SQL migrations: under the migration lock, carry out the [`super::plan`] (each
//! file verbatim in its own transaction together with its history row, or statement by
//! statement for `-- devenv:no-transaction`), with `lock_timeout`/`statement_timeout` set on
//! the session.
//!
//! Transactional files are sent whole with the simple-query protocol, so the server does
//! the statement splitting (dollar quotes, `DO` blocks, `BEGIN ATOMIC` all work); our lexer
//! is used only to name the failing line. While a statement runs, the sessions blocking it
//! are sampled, so that [`super::failure`] can name them when `lock_timeout` fires.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::MigrateError;
use super::config::pg_millis;
use super::connect::{Target, query_err};
use super::failure::{self, FailedAt};
use super::files::{self, MigrationFile};
use super::history;
use super::lock::MigrationLock;
use super::plan::{self, Accept, Plan};
use super::sqltext;
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

/// Under the lock: read the history, plan, and carry the plan out.
async fn run_locked(
    client: &Client,
    lock: Option<&MigrationLock>,
    files: &[MigrationFile],
    opts: &MigrateOptions,
    printer: &Printer,
) -> Result<Outcome, MigrateError> {
    let history = history::read(client, &opts.history_table).await?;
    let plan = plan::plan(files, &history, opts);
    apply(client, lock, plan, opts, printer).await
}

/// Carry out `plan`: create the history table, record accepted checksums, then apply the
/// files (or, for a dry run, say which would be applied).
async fn apply(
    client: &Client,
    lock: Option<&MigrationLock>,
    plan: Plan<'_>,
    opts: &MigrateOptions,
    printer: &Printer,
) -> Result<Outcome, MigrateError> {
    if plan.create_history {
        history::ensure(client, &opts.history_table).await?;
    }
    record_accepts(client, &plan.accepts, opts, printer).await?;
    for (version, name) in &plan.gone {
        printer.warn(format!(
            "migration {version} `{name}` was applied but its file is gone"
        ));
    }
    let work = plan.work?;
    let mut outcome = Outcome {
        dry_run: opts.dry_run,
        applied: Vec::new(),
        remaining: work.remaining,
    };
    if opts.dry_run {
        outcome.applied = would_apply(&work.todo, printer);
    } else if !work.todo.is_empty() {
        outcome.applied = apply_files(client, lock, &work.todo, opts, printer).await?;
    }
    Ok(outcome)
}

/// `--accept-checksum`: the edited files' checksums replace the recorded ones.
async fn record_accepts(
    client: &Client,
    accepts: &[Accept],
    opts: &MigrateOptions,
    printer: &Printer,
) -> Result<(), MigrateError> {
    for accept in accepts {
        match accept {
            Accept::Record {
                version,
                file,
                checksum,
            } => {
                if !opts.dry_run {
                    history::accept_checksum(client, &opts.history_table, *version, checksum)
                        .await?;
                }
                printer.status(
                    "Accepted",
                    format!(
                        "the edited `{file}` (checksum sha256:{})",
                        &checksum[..12.min(checksum.len())]
                    ),
                );
            }
            Accept::Unchanged { file } => {
                printer.note(format!("`{file}` is unchanged; nothing to accept"));
            }
        }
    }
    Ok(())
}

fn would_apply(todo: &[&MigrationFile], printer: &Printer) -> Vec<AppliedFile> {
    todo.iter()
        .map(|f| {
            let how = if f.directives.no_transaction {
                " (no transaction)"
            } else {
                ""
            };
            printer.status("Would apply", format!("{}{how}", f.file_name()));
            applied_file(f, Duration::ZERO)
        })
        .collect()
}

/// Apply `todo` in order on a session with devenv's timeouts, each file recorded as it goes.
async fn apply_files(
    client: &Client,
    lock: Option<&MigrationLock>,
    todo: &[&MigrationFile],
    opts: &MigrateOptions,
    printer: &Printer,
) -> Result<Vec<AppliedFile>, MigrateError> {
    let pid = start_session(client, opts).await?;
    let insert = history::insert_sql(&opts.history_table);
    let by = history::applied_by();
    let bar = printer.spinner("Migrating");
    let mut applied = Vec::with_capacity(todo.len());
    for (i, f) in todo.iter().enumerate() {
        bar.set_message(format!(
            "Migrating {} ({}/{})",
            f.file_name(),
            i + 1,
            todo.len()
        ));
        let run = FileRun {
            client,
            lock_client: lock.map(MigrationLock::client),
            pid,
            file: f,
            opts,
            insert: &insert,
            by: &by,
            started: Instant::now(),
        };
        let result = if f.directives.no_transaction {
            run.run_no_transaction().await
        } else {
            run.run_transaction().await
        };
        if let Err(err) = result {
            bar.finish_and_clear();
            return Err(err);
        }
        let took = run.started.elapsed();
        printer.status(
            "Applied",
            format!("{} ({} ms)", f.file_name(), took.as_millis()),
        );
        applied.push(applied_file(f, took));
    }
    bar.finish_and_clear();
    Ok(applied)
}

/// Set `lock_timeout` and `statement_timeout` on the session; returns its backend pid (to
/// find who blocks it).
async fn start_session(client: &Client, opts: &MigrateOptions) -> Result<i32, MigrateError> {
    let session = format!(
        "SET lock_timeout = '{}'; SET statement_timeout = '{}'",
        pg_millis(opts.lock_timeout),
        pg_millis(opts.statement_timeout)
    );
    client
        .batch_execute(&session)
        .await
        .map_err(query_err("setting lock_timeout and statement_timeout"))?;
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(query_err("reading the session's pid"))
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

/// One file being applied on the migration session.
struct FileRun<'a> {
    client: &'a Client,
    /// The lock's own connection, free to look at `pg_stat_activity` while ours waits.
    lock_client: Option<&'a Client>,
    /// Our session's backend pid.
    pid: i32,
    file: &'a MigrationFile,
    opts: &'a MigrateOptions,
    /// The history insert and the `applied_by` value.
    insert: &'a str,
    by: &'a str,
    started: Instant,
}

impl FileRun<'_> {
    async fn record(&self) -> Result<(), tokio_postgres::Error> {
        let version = i64::try_from(self.file.version).unwrap_or(i64::MAX);
        let ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let no_tx = self.file.directives.no_transaction;
        self.client
            .execute(
                self.insert,
                &[
                    &version,
                    &self.file.name,
                    &self.file.checksum,
                    &ms,
                    &self.by,
                    &env!("CARGO_PKG_VERSION"),
                    &no_tx,
                ],
            )
            .await
            .map(|_| ())
    }

    /// The whole file and its history row in one transaction.
    async fn run_transaction(&self) -> Result<(), MigrateError> {
        self.client
            .batch_execute("BEGIN")
            .await
            .map_err(query_err("starting a transaction"))?;
        let (result, blockers) = self.watch(run_counting(self.client, &self.file.sql)).await;
        if let Err((completed, err)) = result {
            let _ = self.client.batch_execute("ROLLBACK").await;
            return Err(self.failure(err, completed, None, blockers).await);
        }
        if let Err(err) = self.record().await {
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

    /// `-- devenv:no-transaction`: each statement on its own, then the history row.
    async fn run_no_transaction(&self) -> Result<(), MigrateError> {
        let lexed = sqltext::split(&self.file.sql);
        for (i, stmt) in lexed.statements.iter().enumerate() {
            let text = stmt.text(&self.file.sql);
            let (result, blockers) = self.watch(run_counting(self.client, text)).await;
            if let Err((_, err)) = result {
                return Err(self.failure(err, i, Some(stmt), blockers).await);
            }
        }
        self.record().await.map_err(query_err(format!(
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
                    let now = failure::blocking_sessions(lock_client, self.pid).await;
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
        let at = FailedAt {
            file: self.file,
            completed,
            stmt,
            blockers,
        };
        failure::failure(
            self.client,
            self.opts.lock_timeout,
            self.opts.statement_timeout,
            at,
            err,
        )
        .await
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

//! PostgreSQL migrations: plan, apply under an advisory lock, history, status, lint.
//!
//! Owns everything that talks to PostgreSQL for `devenv db …` and for migrations during
//! `up`: [`config`] (the `database:` section), [`files`] (naming, order, checksums),
//! [`connect`] (URLs, connecting, waiting), [`history`] (the history table), [`lock`] (the
//! advisory lock), [`plan`] (what to apply, pure), [`apply`] (running files), [`failure`]
//! (errors with file and line), [`status`], [`command`] (command migrations
//! such as `alembic upgrade head`, run through a runner seam), [`client_tools`] (`psql`,
//! `pg_dump`), [`reset`] (drop and recreate), and [`lint`].
//! It does not touch the engine: container work goes through [`command::CommandRunner`].

pub(crate) mod apply;
pub(crate) mod client_tools;
pub(crate) mod command;
pub(crate) mod config;
pub(crate) mod connect;
mod failure;
pub(crate) mod files;
pub(crate) mod history;
pub(crate) mod lint;
pub(crate) mod lock;
pub(crate) mod plan;
pub(crate) mod reset;
pub(crate) mod sqltext;
pub(crate) mod status;
pub(crate) mod tls;

use std::path::PathBuf;
use std::time::Duration;

pub(crate) use config::DbConfig;

use crate::error::{Diagnose, Kind};

/// Errors from migrating, connecting, and reading migration files.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrateError {
    #[error("invalid `{key}` in devenv.yaml: {message}")]
    Config { key: &'static str, message: String },

    #[error("no database URL")]
    NoUrl,

    #[error("cannot read the database URL from {source_name}")]
    BadUrl {
        source_name: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("cannot use the database URL from {source_name}: {message}")]
    BadUrlOption {
        source_name: String,
        message: String,
    },

    #[error("cannot set up TLS with {target}")]
    Tls {
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("{target} accepted the connection but did not answer within {}", humantime::format_duration(*after))]
    NoAnswer { target: String, after: Duration },

    #[error("migrations folder `{}` does not exist", path.display())]
    MissingDir { path: PathBuf },

    #[error("migration files in `{}` must be named `<version>_<name>.sql`: {}", dir.display(), names.join(", "))]
    MalformedNames { dir: PathBuf, names: Vec<String> },

    #[error("two migration files have version {version}: `{}` and `{}`", first.display(), second.display())]
    DuplicateVersion {
        version: u64,
        first: PathBuf,
        second: PathBuf,
    },

    #[error(transparent)]
    Io(std::io::Error),

    #[error("password authentication failed for {target}")]
    Auth {
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("database `{database}` does not exist on {target}")]
    DatabaseMissing { database: String, target: String },

    #[error("cannot connect to {target}{}", waited.map(|w| format!(" (waited {})", humantime::format_duration(w))).unwrap_or_default())]
    Unreachable {
        target: String,
        waited: Option<Duration>,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("database query failed: {what}")]
    Query {
        what: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("migration file `{}` is empty", path.display())]
    EmptyFile { path: PathBuf },

    #[error("migration `{}` has `{statement}` at line {line}: it would end devenv's transaction for the file, so a later failure would leave it half applied", path.display())]
    TransactionControl {
        path: PathBuf,
        line: usize,
        statement: String,
    },

    #[error("migration `{file}` failed at line {line}: {message}{}", if *no_transaction { "" } else { "; nothing from it was applied" })]
    Failed {
        file: String,
        line: usize,
        message: String,
        no_transaction: bool,
        hint: Option<String>,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error(
        "migration `{file}` (line {line}) gave up waiting for a table lock after lock_timeout {timeout}; nothing from it was applied{blockers}"
    )]
    LockTimeout {
        file: String,
        line: usize,
        timeout: String,
        /// Pre-rendered `\n  blocked by pid N: query` lines.
        blockers: String,
    },

    #[error("timed out after {waited} waiting for the migration lock{holder}")]
    LockWait { waited: String, holder: String },

    #[error("applied migration{} changed since {}: {}", if files.len() > 1 { "s" } else { "" }, if files.len() > 1 { "they were applied" } else { "it was applied" }, files.join(", "))]
    Changed {
        files: Vec<String>,
        versions: Vec<u64>,
    },

    #[error("migration{} older than the newest applied one ({newest}) not applied yet: {}", if files.len() > 1 { "s" } else { "" }, files.join(", "))]
    OutOfOrder { files: Vec<String>, newest: u64 },

    #[error(
        "this database's migrations were run by {tool} (table `{table}`), and devenv's history table `{ours}` does not exist"
    )]
    ForeignHistory {
        tool: String,
        table: String,
        ours: String,
    },

    #[error("table `{table}` exists but is not a devenv history table (columns: {columns})")]
    NotOurs { table: String, columns: String },

    #[error("no applied migration has version {version}")]
    UnknownVersion { version: u64 },

    #[error("refusing to reset `{database}` on non-local host `{host}`")]
    NotLocal { database: String, host: String },

    #[error("{0}")]
    Refused(String),
}

impl Diagnose for MigrateError {
    fn kind(&self) -> Kind {
        match self {
            MigrateError::Io(_)
            | MigrateError::Unreachable { .. }
            | MigrateError::NoAnswer { .. }
            | MigrateError::Tls { .. }
            | MigrateError::Query { .. }
            | MigrateError::LockWait { .. } => Kind::Internal,
            _ => Kind::User,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            MigrateError::Config { .. } => "see docs/db.md for the `database:` keys".into(),
            MigrateError::NoUrl => "pass `--database-url postgres://user:pass@host:5432/db`, set `DATABASE_URL`, or set `database.url` in devenv.yaml".into(),
            MigrateError::BadUrl { .. } => "the form is `postgres://user:password@host:5432/dbname`".into(),
            MigrateError::BadUrlOption { .. } => "see docs/db.md for the TLS options (`sslmode`, `sslrootcert`)".into(),
            MigrateError::Tls { .. } => "with `sslmode=verify-ca` or `verify-full` the server's certificate must chain to `sslrootcert` (default `~/.postgresql/root.crt`, else the public roots), and `verify-full` also checks the host name; `sslmode=require` encrypts without checking; a server without TLS needs `sslmode=prefer` or `disable`".into(),
            MigrateError::NoAnswer { .. } => "is the server paused (`docker ps` shows `Paused`), overloaded, or behind a dead tunnel? set `connect_timeout=SECONDS` in the URL to wait longer".into(),
            MigrateError::MissingDir { .. } => "create it with `devenv db new NAME`, or point `database.dir` in devenv.yaml (or `--dir`) at your migrations".into(),
            MigrateError::MalformedNames { .. } => "rename them like `0002_add_users.sql` or `20240501120000_add_users.sql`; `devenv db new NAME` picks the next version".into(),
            MigrateError::DuplicateVersion { .. } => "give one of them a new version; `devenv db new NAME` picks the next free one".into(),
            MigrateError::Auth { .. } => "check the user and password in the database URL".into(),
            MigrateError::DatabaseMissing { database, .. } => format!("create it (`createdb {database}`), or `devenv db reset` on a local server"),
            MigrateError::Unreachable { waited: None, .. } => "is PostgreSQL running and is the host/port right? `devenv db wait` waits until it accepts connections".into(),
            MigrateError::Unreachable { .. } => "is PostgreSQL running and is the host/port right? `devenv ps` shows the database container's state".into(),
            MigrateError::EmptyFile { .. } => "write the migration's SQL in it, or delete it".into(),
            MigrateError::TransactionControl { .. } => "remove BEGIN/COMMIT (each file already runs in one transaction), or put `-- devenv:no-transaction` on its first line to run it statement by statement".into(),
            MigrateError::Failed { hint, .. } => return hint.clone(),
            MigrateError::LockTimeout { .. } => "the statement needs a lock another session holds; end that session or its transaction and run `devenv db migrate` again (or raise `database.lock_timeout`)".into(),
            MigrateError::LockWait { .. } => "another `devenv db migrate` is running against this database; wait for it, or raise `database.lock_wait`".into(),
            MigrateError::Changed { versions, .. } => format!(
                "put the file back as it was and write a new migration for the change, or accept the edit with `devenv db migrate {}`",
                versions.iter().map(|v| format!("--accept-checksum {v}")).collect::<Vec<_>>().join(" ")
            ),
            MigrateError::OutOfOrder { .. } => "give the file a version newer than the newest applied one (`devenv db new`), or apply it anyway with `--allow-out-of-order` (or `-- devenv:allow-out-of-order` at the top of the file)".into(),
            MigrateError::ForeignHistory { .. } => "devenv keeps its own history; to migrate with that tool set `database.command` in devenv.yaml, or set `database.history_table` if this is devenv's table under another name".into(),
            MigrateError::NotOurs { .. } => "set `database.history_table` in devenv.yaml to a name no other tool uses".into(),
            MigrateError::UnknownVersion { .. } => "`devenv db status` lists the applied versions".into(),
            MigrateError::NotLocal { .. } => "pass `--force` if you really mean to drop this database".into(),
            _ => return None,
        })
    }
}

/// The server's message with its detail and hint, for people.
pub(crate) fn db_message(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut out = db.message().to_string();
            if let Some(detail) = db.detail() {
                out.push_str(&format!(" ({detail})"));
            }
            out
        }
        None => err.to_string(),
    }
}

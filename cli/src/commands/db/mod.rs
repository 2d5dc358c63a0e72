//! `devenv db …`: one file per subcommand beside this one. Shared here: the connection
//! flags and how the database URL is found (flag, `DATABASE_URL`, devenv.yaml).

mod dump;
mod engine;
mod lint;
mod migrate;
mod new;
mod reset;
mod shell;
mod status;
mod wait;

use std::path::PathBuf;

use crate::error::ExitStatus;
use crate::migrate::MigrateError;
use crate::migrate::config::{UrlSource, resolve_url};
use crate::migrate::connect::Target;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct DbArgs {
    /// Connection URL (default: `DATABASE_URL`, then `database.url` in devenv.yaml).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Migrations folder (default: `database.dir` in devenv.yaml, else `migrations`).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum DbCommand {
    /// Apply pending migrations (or run `database.command`), under the migration lock.
    Migrate(migrate::MigrateArgs),
    /// List migrations: applied, pending, changed, missing.
    Status(status::StatusArgs),
    /// Create the next migration file, empty.
    New(new::NewArgs),
    /// Check migrations for changes that break the running code or lock tables for long.
    Lint(lint::LintArgs),
    /// Wait until the database accepts connections.
    Wait(wait::WaitArgs),
    /// Drop and recreate the local database, then migrate.
    Reset(reset::ResetArgs),
    /// Print the schema (`pg_dump --schema-only`, inside the database container).
    Dump(dump::DumpArgs),
    /// Open `psql` on the database (inside the database container).
    Shell(shell::ShellArgs),
}

pub(crate) async fn run(args: DbArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let ctx = DbContext {
        database_url: args.database_url,
        dir: args.dir,
    };
    match args.command {
        DbCommand::Migrate(a) => migrate::run(a, &ctx, settings).await,
        DbCommand::Status(a) => status::run(a, &ctx, settings).await,
        DbCommand::New(a) => new::run(a, &ctx, settings).await,
        DbCommand::Lint(a) => lint::run(a, &ctx, settings).await,
        DbCommand::Wait(a) => wait::run(a, &ctx, settings).await,
        DbCommand::Reset(a) => reset::run(a, &ctx, settings).await,
        DbCommand::Dump(a) => dump::run(a, &ctx, settings).await,
        DbCommand::Shell(a) => shell::run(a, &ctx, settings).await,
    }
}

/// The flags every `db` subcommand shares.
pub(crate) struct DbContext {
    database_url: Option<String>,
    dir: Option<PathBuf>,
}

impl DbContext {
    /// The migrations folder, absolute.
    pub(crate) fn dir(&self, settings: &Settings) -> PathBuf {
        match &self.dir {
            Some(dir) => settings.project_dir.join(dir),
            None => settings.project_dir.join(&settings.config.database.dir),
        }
    }

    /// The database from a URL: `--database-url`, `DATABASE_URL`, `database.url`.
    pub(crate) fn target(&self, settings: &Settings) -> Result<Target, MigrateError> {
        match resolve_url(self.database_url.as_deref(), &settings.config.database) {
            Some((url, source)) => Target::parse(&url, source),
            None => Err(MigrateError::NoUrl),
        }
    }

    /// As [`Self::target`], then the published port of `database.service` (via the engine).
    pub(crate) async fn resolve(&self, settings: &Settings) -> anyhow::Result<Target> {
        match (self.target(settings), &settings.config.database.service) {
            (Err(MigrateError::NoUrl), Some(service)) => {
                let url = engine::published_url(settings, service).await?;
                Ok(Target::parse(&url, UrlSource::Config)?)
            }
            (result, _) => Ok(result?),
        }
    }
}

/// Migrations during `devenv up`. Call it after the database service is healthy and before
/// starting the services that depend on it (pre-deploy order); skip it for `--no-migrate`.
/// Does nothing when there is nothing to migrate (no `database.command` and no migrations
/// folder, or no way to reach the database). A failure is returned as the error that stops
/// `up`: it names the failing file and the database's message, and a transactional file
/// has left the database as it was.
pub(crate) async fn migrate_during_up(settings: &Settings) -> anyhow::Result<()> {
    let cfg = &settings.config.database;
    let ctx = DbContext {
        database_url: None,
        dir: None,
    };
    if cfg.command.is_none() && !ctx.dir(settings).is_dir() {
        return Ok(());
    }
    if cfg.service.is_none() && resolve_url(None, cfg).is_none() {
        return Ok(());
    }
    let target = ctx.resolve(settings).await?;
    target.wait(cfg.wait_timeout()?, |_| {}).await?;
    let status = migrate::run_with_target(
        migrate::MigrateArgs::default(),
        &ctx,
        settings.clone(),
        target,
    )
    .await?;
    match status {
        ExitStatus::Success => Ok(()),
        ExitStatus::External(code) => Err(crate::error::Hinted::user(format!(
            "the migration command exited with {code}; services that depend on the database were not started"
        ))
        .into()),
        ExitStatus::Failure => Err(crate::error::Hinted::user("migrations failed").into()),
        ExitStatus::Error => Err(crate::error::Hinted::internal("migrations could not run").into()),
    }
}

/// For `doctor`: the SQL migration files against the database's history, or `None` when
/// there is nothing to compare (a migration command manages the schema, or no folder).
/// Errors (the database not reachable) are for the caller to report as a skipped check.
pub(crate) async fn history_summary(
    settings: &Settings,
) -> anyhow::Result<Option<crate::migrate::status::Summary>> {
    let cfg = &settings.config.database;
    let ctx = DbContext {
        database_url: None,
        dir: None,
    };
    let dir = ctx.dir(settings);
    if cfg.command.is_some() || !dir.is_dir() {
        return Ok(None);
    }
    let table = cfg.history_table()?.to_string();
    let target = ctx.resolve(settings).await?;
    let files =
        tokio::task::spawn_blocking(move || crate::migrate::files::discover(&dir)).await??;
    let client = target.connect("devenv doctor").await?;
    let applied = match crate::migrate::history::read(&client, &table).await? {
        crate::migrate::history::State::Ours(applied) => applied,
        crate::migrate::history::State::Missing { .. } => Vec::new(),
    };
    let rows = crate::migrate::status::compare(&files, &applied);
    Ok(Some(crate::migrate::status::summarize(&rows)))
}

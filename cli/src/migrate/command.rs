//! Command migrations (the Alembic way): `database.command`, e.g. `alembic upgrade head`,
//! run under devenv's migration lock with `lock_timeout`/`statement_timeout` passed through
//! `PGOPTIONS` (libpq and psycopg2 read it), output streamed, exit code passed through.
//!
//! Where the command runs is a seam: [`CommandRunner`]. [`HostRunner`] runs it on this
//! machine; the engine-backed runner (exec into the app container, or a one-off container
//! from the service's image) lives with the engine facade and is handed in by the caller
//! (`commands::db::migrate` and `up`). This module never talks to the engine itself.

use std::os::fd::AsFd;
use std::process::Stdio;

use futures_util::future::BoxFuture;

use super::MigrateError;
use super::config::{DbConfig, pg_millis};
use super::connect::Target;
use super::lock::MigrationLock;
use crate::ui::Printer;

/// Runs a command somewhere and returns its exit code. Output goes to the user (stderr).
pub(crate) trait CommandRunner: Send + Sync {
    /// `argv[0]` is the program; `env` is added to the command's environment.
    fn run<'a>(
        &'a self,
        argv: &'a [String],
        env: &'a [(String, String)],
    ) -> BoxFuture<'a, anyhow::Result<i32>>;

    /// For messages: `in container `web``, `on this machine`.
    fn place(&self) -> String;
}

/// The environment a command migration gets: `PGOPTIONS` with the session timeouts, added
/// to any `PGOPTIONS` already set on this machine.
pub(crate) fn migration_env(cfg: &DbConfig) -> Result<Vec<(String, String)>, MigrateError> {
    let mut options = format!(
        "-c lock_timeout={} -c statement_timeout={}",
        pg_millis(cfg.lock_timeout()?),
        pg_millis(cfg.statement_timeout()?)
    );
    if let Ok(existing) = std::env::var("PGOPTIONS")
        && !existing.trim().is_empty()
    {
        options = format!("{existing} {options}");
    }
    Ok(vec![("PGOPTIONS".to_string(), options)])
}

/// Take the migration lock, run the command, release the lock; returns the exit code.
pub(crate) async fn run_command(
    target: &Target,
    cfg: &DbConfig,
    argv: &[String],
    runner: &dyn CommandRunner,
    printer: &Printer,
) -> anyhow::Result<i32> {
    if argv.is_empty() {
        return Err(MigrateError::Config {
            key: "database.command",
            message: "the command is empty".into(),
        }
        .into());
    }
    let table = cfg.history_table()?;
    let wait = cfg.lock_wait()?;
    let env = migration_env(cfg)?;
    let lock = MigrationLock::acquire(target, table, wait, |holder| {
        printer.status("Waiting", format!("for the migration lock{holder}"));
    })
    .await?;
    printer.status(
        "Running",
        format!("`{}` {}", argv.join(" "), runner.place()),
    );
    let result = runner.run(argv, &env).await;
    lock.release().await;
    result
}

/// Runs the command on this machine with `DATABASE_URL` set to the target's URL.
pub(crate) struct HostRunner {
    pub database_url: String,
    pub cwd: std::path::PathBuf,
}

impl CommandRunner for HostRunner {
    fn run<'a>(
        &'a self,
        argv: &'a [String],
        env: &'a [(String, String)],
    ) -> BoxFuture<'a, anyhow::Result<i32>> {
        Box::pin(async move {
            let Some((program, args)) = argv.split_first() else {
                return Ok(0);
            };
            let mut cmd = tokio::process::Command::new(program);
            cmd.args(args)
                .current_dir(&self.cwd)
                .env(crate::env_vars::DATABASE_URL, &self.database_url)
                .stdin(Stdio::null());
            // The command's output is for people: both streams go to our stderr.
            if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
                cmd.stdout(Stdio::from(fd));
            }
            for (k, v) in env {
                cmd.env(k, v);
            }
            let status = cmd
                .status()
                .await
                .map_err(|e| {
                    crate::error::Hinted::user(format!("cannot run `{program}` for database.command"))
                        .with_hint("is it installed and on PATH? set `database.command_in: app` to run it in the app container")
                        .because(e)
                })?;
            Ok(exit_code(status))
        })
    }

    fn place(&self) -> String {
        "on this machine".into()
    }
}

/// A process's exit code, with 128+signal for a killed one (as shells report it).
pub(crate) fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgoptions_carry_the_timeouts() {
        let cfg = DbConfig {
            lock_timeout: "3s".into(),
            statement_timeout: "1min".into(),
            ..DbConfig::default()
        };
        let env = migration_env(&cfg).unwrap();
        assert_eq!(env[0].0, "PGOPTIONS");
        assert!(
            env[0]
                .1
                .ends_with("-c lock_timeout=3000ms -c statement_timeout=60000ms"),
            "{}",
            env[0].1
        );
    }
}

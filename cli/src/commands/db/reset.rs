//! `devenv db reset`: drop and recreate the local database, then migrate. Asks first (on a
//! terminal), `--yes` skips the question; a non-local host needs `--force`.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::ExitStatus;
use crate::migrate::MigrateError;
use crate::migrate::connect::query_err;
use crate::settings::Settings;

use super::DbContext;
use super::migrate::{self, MigrateArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct ResetArgs {
    /// Don't ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow a database on a host other than this machine.
    #[arg(long)]
    pub force: bool,
    /// Only drop and recreate; don't migrate.
    #[arg(long)]
    pub no_migrate: bool,
}

pub(super) async fn run(
    args: ResetArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let printer = settings.printer.clone();
    let target = ctx.resolve(&settings).await?;
    let database = target.database();
    if !target.is_local() && !args.force {
        return Err(MigrateError::NotLocal {
            database,
            host: target.hosts().join(","),
        }
        .into());
    }
    if database == "postgres" || database.starts_with("template") {
        return Err(MigrateError::Refused(format!(
            "refusing to drop the maintenance database `{database}`"
        ))
        .into());
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(MigrateError::Refused(format!(
                "`db reset` drops {}; pass --yes to confirm (no terminal to ask on)",
                target.label
            ))
            .into());
        }
        eprint!(
            "Drop and recreate {}? All its data is lost. [y/N] ",
            target.label
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            printer.info("Nothing dropped.");
            return Ok(ExitStatus::Failure);
        }
    }
    let admin = target.with_database("postgres");
    let client = admin.connect("devenv reset").await?;
    let quoted = format!("\"{}\"", database.replace('"', "\"\""));
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await
        .map_err(query_err(format!("dropping `{database}`")))?;
    client
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await
        .map_err(query_err(format!("creating `{database}`")))?;
    printer.status("Recreated", &target.label);
    if args.no_migrate {
        return Ok(ExitStatus::Success);
    }
    let args = MigrateArgs::default();
    migrate::run(args, ctx, settings).await
}

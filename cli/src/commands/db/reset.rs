//! `devenv db reset`: drop and recreate the local database, then migrate. Asks first (on a
//! terminal), `--yes` skips the question; a non-local host needs `--force`.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::ExitStatus;
use crate::migrate::MigrateError;
use crate::migrate::connect::Target;
use crate::migrate::reset;
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
    reset::check_resettable(&target, args.force)?;
    if !args.yes && !confirmed(&target)? {
        printer.info("Nothing dropped.");
        return Ok(ExitStatus::Failure);
    }
    reset::recreate(&target).await?;
    printer.status("Recreated", &target.label);
    if args.no_migrate {
        return Ok(ExitStatus::Success);
    }
    let args = MigrateArgs::default();
    migrate::run(args, ctx, settings).await
}

/// Ask on the terminal; without one, refuse (`--yes` is the way to confirm in scripts).
fn confirmed(target: &Target) -> anyhow::Result<bool> {
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
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

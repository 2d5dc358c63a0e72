//! `devenv db migrate`: apply pending SQL files, or run `database.command` under the lock.

use crate::error::{ExitStatus, Hinted};
use std::time::Instant;

use crate::migrate::apply::{self, MigrateOptions, Outcome};
use crate::migrate::command::{self, CommandRunner, HostRunner};
use crate::migrate::config::CommandIn;
use crate::migrate::connect::Target;
use crate::settings::Settings;
use crate::stack::ServiceRunner;
use crate::ui::Printer;

use super::DbContext;

#[derive(Debug, Default, clap::Args)]
pub(crate) struct MigrateArgs {
    /// Show what would be applied without applying it.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply pending files up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub target: Option<u64>,
    /// Apply files older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Accept the edited file of an applied migration (records its new checksum). Repeatable.
    #[arg(long, value_name = "VERSION")]
    pub accept_checksum: Vec<u64>,
}

pub(super) async fn run(
    args: MigrateArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let target = ctx.resolve(&settings).await?;
    run_with_target(args, ctx, settings, target).await
}

pub(super) async fn run_with_target(
    args: MigrateArgs,
    ctx: &DbContext,
    settings: Settings,
    target: Target,
) -> anyhow::Result<ExitStatus> {
    let cfg = &settings.config.database;
    if let Some(argv) = &cfg.command {
        if args.dry_run || args.target.is_some() || !args.accept_checksum.is_empty() {
            return Err(Hinted::user(
                "--dry-run, --target and --accept-checksum apply to SQL migrations, not to `database.command`",
            )
            .into());
        }
        let runner = command_runner(ctx, &settings, &target.url)?;
        let printer = &settings.printer;
        let code = command::run_command(&target, cfg, argv, runner.as_ref(), printer).await?;
        if code != 0 {
            printer.warn(format!("`{}` exited with {code}", argv.join(" ")));
        }
        return Ok(super::status_of(code));
    }
    let opts = MigrateOptions {
        dir: ctx.dir(&settings),
        dry_run: args.dry_run,
        target: args.target,
        allow_out_of_order: args.allow_out_of_order || cfg.allow_out_of_order,
        accept_checksum: args.accept_checksum,
        lock_timeout: cfg.lock_timeout()?,
        statement_timeout: cfg.statement_timeout()?,
        lock_wait: cfg.lock_wait()?,
        history_table: cfg.history_table()?.to_string(),
    };
    let started = Instant::now();
    let outcome = apply::migrate(&target, &opts, &settings.printer).await?;
    print(&outcome, &target, started, &settings.printer)?;
    Ok(ExitStatus::Success)
}

/// The outcome as JSON, or what was applied and how long it took.
fn print(
    outcome: &Outcome,
    target: &Target,
    started: Instant,
    printer: &Printer,
) -> anyhow::Result<()> {
    if printer.json() {
        printer.json_value(outcome)?;
    } else if outcome.applied.is_empty() {
        printer.status("Fresh", format!("{} is up to date", target.label));
    } else if !outcome.dry_run {
        printer.status(
            "Finished",
            format!(
                "{} migration(s) in {} ms",
                outcome.applied.len(),
                started.elapsed().as_millis()
            ),
        );
    }
    if outcome.remaining > 0 {
        printer.note(format!(
            "{} pending migration(s) after the target left alone",
            outcome.remaining
        ));
    }
    Ok(())
}

/// Where `database.command` runs: on this machine, or in the app's container (engine).
pub(crate) fn command_runner(
    _ctx: &DbContext,
    settings: &Settings,
    url: &str,
) -> anyhow::Result<Box<dyn CommandRunner>> {
    match settings.config.database.command_in {
        CommandIn::Host => Ok(Box::new(HostRunner {
            database_url: url.to_string(),
            cwd: settings.project_dir.clone(),
        })),
        CommandIn::App => {
            let service = settings
                .config
                .database
                .command_service
                .clone()
                .or_else(|| settings.config.app.service.clone())
                .ok_or_else(|| {
                    Hinted::user("`database.command` needs to know which service runs it")
                        .with_hint("set `app.service` (or `database.command_service`) in devenv.yaml, or `database.command_in: host`")
                })?;
            let project = crate::commands::load_project(settings, &[])?;
            project.service(&service)?;
            Ok(Box::new(ServiceRunner { project, service }))
        }
    }
}

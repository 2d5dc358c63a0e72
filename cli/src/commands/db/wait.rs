//! `devenv db wait [--timeout]`: until the target database (not just the server) answers.

use crate::error::ExitStatus;
use crate::migrate::config::parse_duration;
use crate::settings::Settings;

use super::DbContext;

#[derive(Debug, clap::Args)]
pub(crate) struct WaitArgs {
    /// How long to wait (default: `database.wait_timeout`, 30s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
}

pub(super) async fn run(
    args: WaitArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let cfg = &settings.config.database;
    let timeout = match &args.timeout {
        Some(t) => parse_duration("--timeout", t)?,
        None => cfg.wait_timeout()?,
    };
    let target = ctx.resolve(&settings).await?;
    let spinner = settings
        .printer
        .spinner(format!("Waiting for {}", target.label));
    let mut last = String::new();
    let result = target
        .wait(timeout, |err| {
            let now = err.to_string();
            if now != last {
                settings.printer.detail(format!("  not yet: {now}"));
                last = now;
            }
        })
        .await;
    spinner.finish_and_clear();
    let took = result?;
    settings.printer.status(
        "Ready",
        format!("{} ({} ms)", target.label, took.as_millis()),
    );
    Ok(ExitStatus::Success)
}

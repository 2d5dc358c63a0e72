//! `devenv doctor`: is everything the stack needs here and consistent? Exit 0 when every
//! check passes, 1 when any fails.

use crate::doctor::{DoctorOptions, Outcome};
use crate::error::ExitStatus;
use crate::settings::Settings;
use crate::ui::Style;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv doctor                 check the engine, compose file, images, assets, ports, migrations
  devenv doctor --offline       also fail on anything that would need the network
  devenv doctor --json          the checks as JSON")]
pub(crate) struct DoctorArgs {
    /// Anything that would need the network (a missing image) is a failure.
    #[arg(long)]
    pub offline: bool,
}

pub(crate) async fn run(args: DoctorArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let checks = crate::doctor::run(
        &settings,
        DoctorOptions {
            offline: args.offline,
        },
    )
    .await;
    let failed = checks.iter().any(|c| c.outcome == Outcome::Fail);
    let printer = &settings.printer;
    if printer.json() {
        printer.json_value(&serde_json::json!({ "ok": !failed, "checks": checks }))?;
    } else {
        for c in &checks {
            let (label, style) = match c.outcome {
                Outcome::Ok => ("ok", Style::Green),
                Outcome::Warn => ("warn", Style::Yellow),
                Outcome::Fail => ("FAIL", Style::RedBold),
                Outcome::Skip => ("skip", Style::Dim),
            };
            let label = format!("{label:<5}");
            printer.data(format!(
                "{} {:<14} {}",
                printer.out_paint(style, &label),
                c.name,
                c.detail
            ));
            if let Some(fix) = &c.fix {
                printer.data(format!("      {:<14} fix: {fix}", ""));
            }
        }
    }
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

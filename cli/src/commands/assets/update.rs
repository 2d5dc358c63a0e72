//! `devenv vendor update [NAME...] [--to VERSION]`

use crate::assets::update::update;
use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct UpdateArgs {
    /// Assets to update (default: every versioned npm asset).
    pub names: Vec<String>,
    /// A specific version instead of the registry's latest.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
}

pub(crate) async fn run(args: UpdateArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let opts = super::options(&settings)?;
    let printer = &settings.printer;
    let outcome = update(&opts, printer, &args.names, args.to.as_deref()).await?;
    if printer.json() {
        printer.json_value(&outcome)?;
    } else if outcome.updated.is_empty() {
        printer.status("Fresh", "every asset is at the latest version");
    }
    Ok(ExitStatus::Success)
}

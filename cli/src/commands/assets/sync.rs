//! `devenv vendor sync [--offline]`

use crate::assets::sync::sync;
use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct SyncArgs {
    /// Never use the network: fail if anything needs downloading.
    #[arg(long)]
    pub offline: bool,
}

pub(crate) async fn run(args: SyncArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let opts = super::options(&settings)?;
    let printer = &settings.printer;
    let outcome = sync(&opts, printer, args.offline).await?;
    if printer.json() {
        printer.json_value(&outcome)?;
    } else {
        printer.status(
            "Synced",
            format!(
                "{} up to date, {} downloaded, {} removed",
                outcome.fresh,
                outcome.fetched.len(),
                outcome.removed.len()
            ),
        );
    }
    Ok(ExitStatus::Success)
}

//! `devenv vendor remove NAME...`

use crate::assets::remove::remove;
use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct RemoveArgs {
    /// Asset names, as in the manifest.
    #[arg(required = true)]
    pub names: Vec<String>,
}

pub(crate) async fn run(args: RemoveArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let opts = super::options(&settings)?;
    let printer = &settings.printer;
    let outcome = remove(&opts, printer, &args.names)?;
    if printer.json() {
        printer.json_value(&outcome)?;
    }
    Ok(ExitStatus::Success)
}

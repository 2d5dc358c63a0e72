//! `devenv stop`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct StopArgs {}

pub async fn run(_args: StopArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv stop` is not implemented yet")
}

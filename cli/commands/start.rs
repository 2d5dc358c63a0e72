//! `devenv start`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct StartArgs {}

pub async fn run(_args: StartArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv start` is not implemented yet")
}

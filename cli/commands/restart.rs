//! `devenv restart`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct RestartArgs {}

pub async fn run(_args: RestartArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv restart` is not implemented yet")
}

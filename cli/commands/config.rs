//! `devenv config`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {}

pub async fn run(_args: ConfigArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv config` is not implemented yet")
}

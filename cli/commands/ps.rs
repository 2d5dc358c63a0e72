//! `devenv ps`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct PsArgs {}

pub async fn run(_args: PsArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv ps` is not implemented yet")
}

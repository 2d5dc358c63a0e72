//! `devenv down`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct DownArgs {}

pub async fn run(_args: DownArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv down` is not implemented yet")
}

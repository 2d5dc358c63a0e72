//! `devenv up`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct UpArgs {}

pub async fn run(_args: UpArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv up` is not implemented yet")
}

//! `devenv exec`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ExecArgs {}

pub async fn run(_args: ExecArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv exec` is not implemented yet")
}

//! `devenv logs`.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct LogsArgs {}

pub async fn run(_args: LogsArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv logs` is not implemented yet")
}

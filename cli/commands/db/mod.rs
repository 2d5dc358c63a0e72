//! `devenv db …`: one file per subcommand beside this one.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Placeholder.
    Todo,
}

pub async fn run(_args: DbArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv db` is not implemented yet")
}

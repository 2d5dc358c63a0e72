//! `devenv vendor …`: one file per subcommand beside this one.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct VendorArgs {
    #[command(subcommand)]
    pub command: VendorCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum VendorCommand {
    /// Placeholder.
    Todo,
}

pub async fn run(_args: VendorArgs, _settings: Settings) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`devenv vendor` is not implemented yet")
}

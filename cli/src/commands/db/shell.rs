//! `devenv db shell`: `psql` on the database, inside the database container
//! (`database.service`); without a service, `psql` on this machine with the database URL.

use crate::error::ExitStatus;
use crate::settings::Settings;

use super::DbContext;

#[derive(Debug, clap::Args)]
pub(crate) struct ShellArgs {
    /// Extra arguments for psql (after `--`), e.g. `-- -c 'select 1'`.
    #[arg(last = true)]
    pub extra: Vec<String>,
}

pub(super) async fn run(
    args: ShellArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    super::run_client_tool(ctx, &settings, "psql", args.extra, true).await
}

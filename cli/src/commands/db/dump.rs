//! `devenv db dump`: the schema as SQL (`pg_dump --schema-only`) on stdout, run inside the
//! database container (`database.service`) so the client matches the server; without a
//! service, `pg_dump` on this machine with the database URL.

use crate::error::ExitStatus;
use crate::settings::Settings;

use super::DbContext;

#[derive(Debug, clap::Args)]
pub(crate) struct DumpArgs {
    /// Data too, not just the schema.
    #[arg(long)]
    pub data: bool,
    /// Extra arguments for pg_dump (after `--`).
    #[arg(last = true)]
    pub extra: Vec<String>,
}

pub(super) async fn run(
    args: DumpArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let mut pg_args: Vec<String> = vec!["--no-owner".into(), "--no-privileges".into()];
    if !args.data {
        pg_args.insert(0, "--schema-only".into());
    }
    pg_args.extend(args.extra);
    super::run_client_tool(ctx, &settings, "pg_dump", pg_args, false).await
}

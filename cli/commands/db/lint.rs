//! `devenv db lint`: placeholder.
use crate::error::ExitStatus;
use crate::settings::Settings;
use super::DbContext;
#[derive(Debug, clap::Args)]
pub struct LintArgs {}
pub(super) async fn run(_a: LintArgs, _ctx: &DbContext, _s: Settings) -> anyhow::Result<ExitStatus> { Ok(ExitStatus::Success) }

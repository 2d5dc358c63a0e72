//! `devenv down`: stop and remove the stack's containers and networks.

use std::time::Duration;

use crate::error::ExitStatus;
use crate::settings::Settings;
use crate::stack::DownOptions;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv down                  stop and remove containers and networks, keep data
  devenv down --volumes        also delete named volumes (the database's data)
  devenv -p shop down          tear down project `shop` without its compose file")]
pub(crate) struct DownArgs {
    /// Also remove named volumes declared in the compose file (`-v` after `down` means
    /// this, as in compose).
    #[arg(long)]
    pub volumes: bool,
    /// Remove containers of services no longer in the compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Seconds to wait for each container to stop before killing it (default: its
    /// `stop_grace_period`, else 10).
    #[arg(short = 't', long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

pub(crate) async fn run(args: DownArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let (name, project) = crate::stack::project_name_and_model(&settings)?;
    let engine = crate::docker::Engine::connect().await?;
    let opts = DownOptions {
        volumes: args.volumes,
        remove_orphans: args.remove_orphans,
        timeout: args.timeout.map(Duration::from_secs),
    };
    crate::stack::down(&engine, &name, project.as_ref(), &opts, &settings.printer).await?;
    Ok(ExitStatus::Success)
}

//! `devenv stop`: stop service containers without removing them.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv stop                 every service
  devenv stop web worker      only these")]
pub(crate) struct StopArgs {
    /// Services; default: all.
    pub services: Vec<String>,
    /// Seconds to wait for a container to stop before killing it.
    #[arg(short = 't', long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

pub(crate) async fn run(args: StopArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let (name, project) = crate::stack::project_name_and_model(&settings)?;
    let engine = crate::docker::Engine::connect().await?;
    let containers =
        crate::stack::selected_containers(&engine, &name, project.as_ref(), &args.services).await?;
    crate::stack::stop_containers(
        &engine,
        &containers,
        project.as_ref(),
        args.timeout,
        &settings.printer,
    )
    .await?;
    Ok(ExitStatus::Success)
}

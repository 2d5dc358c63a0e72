//! `devenv start`: start existing, stopped service containers.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv start                 every service
  devenv start web worker      only these")]
pub(crate) struct StartArgs {
    /// Services; default: all.
    pub services: Vec<String>,
}

pub(crate) async fn run(args: StartArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let (name, project) = crate::stack::project_name_and_model(&settings)?;
    let engine = crate::docker::Engine::connect().await?;
    let containers =
        crate::stack::selected_containers(&engine, &name, project.as_ref(), &args.services).await?;
    crate::stack::start_containers(&engine, &containers, project.as_ref(), &settings.printer)
        .await?;
    Ok(ExitStatus::Success)
}

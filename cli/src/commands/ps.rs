//! `devenv ps`: the project's containers.

use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv ps                    a table of the project's containers
  devenv ps --json             the same as JSON (compose's key names)
  devenv ps -a                 include stopped containers")]
pub(crate) struct PsArgs {
    /// Services to show; default: all.
    pub services: Vec<String>,
    /// Include stopped containers.
    #[arg(short, long)]
    pub all: bool,
}

pub(crate) async fn run(args: PsArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let (name, project) = crate::stack::project_name_and_model(&settings)?;
    crate::stack::check_services(project.as_ref(), &args.services)?;
    let engine = crate::docker::Engine::connect().await?;
    let list: Vec<_> = crate::stack::service_containers(&engine, &name)
        .await?
        .into_iter()
        .filter(|c| args.all || c.state == crate::docker::ContainerState::Running)
        .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
        .collect();
    let printer = &settings.printer;
    if printer.json() {
        printer.json_value(&list)?;
        return Ok(ExitStatus::Success);
    }
    printer.data(format!(
        "{:<28} {:<14} {:<30} PORTS",
        "NAME", "SERVICE", "STATUS"
    ));
    for c in &list {
        let ports: Vec<String> = c
            .ports
            .iter()
            .map(|p| match &p.url {
                Some(u) => format!("{u}->{}/{}", p.target, p.protocol),
                None => format!("{}/{}", p.target, p.protocol),
            })
            .collect();
        printer.data(format!(
            "{:<28} {:<14} {:<30} {}",
            c.name,
            c.service,
            c.status,
            ports.join(", ")
        ));
    }
    Ok(ExitStatus::Success)
}

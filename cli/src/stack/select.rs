//! Which project a command acts on (the compose model, or just `-p NAME`), and which of its
//! containers.

use crate::compose::{LoadOptions, Project};
use crate::docker::{ContainerInfo, ContainerState, Engine};
use crate::settings::Settings;

/// Load the compose model for a command that needs it (`services` are named explicitly,
/// which enables them even under an inactive profile); its notes go to the printer.
pub(crate) fn load_project(settings: &Settings, services: &[String]) -> anyhow::Result<Project> {
    let opts = LoadOptions::from_settings(settings).with_services(services);
    let project = crate::compose::load(&opts)?;
    print_notes(&settings.printer, &project.notes);
    Ok(project)
}

/// The loader's notes; those it marks as warnings (a compose file that does not do what it
/// seems to) print as warnings, even under `-q`.
pub(crate) fn print_notes(printer: &crate::ui::Printer, notes: &[String]) {
    for note in notes {
        match note.strip_prefix(crate::compose::WARNING) {
            Some(warning) => printer.warn(warning),
            None => printer.note(note),
        }
    }
}

/// The project name, and the model when a compose file is there. `-p NAME` alone is enough
/// for commands that only read labels (`down`, `ps`, `logs`), as with compose.
pub(crate) fn project_name_and_model(
    settings: &Settings,
) -> anyhow::Result<(String, Option<Project>)> {
    match load_project(settings, &[]) {
        Ok(p) => Ok((p.name.clone(), Some(p))),
        Err(e) => match (
            &settings.global.project_name,
            std::env::var(crate::env_vars::COMPOSE_PROJECT_NAME),
        ) {
            (Some(name), _) => Ok((name.clone(), None)),
            (None, Ok(name)) if !name.is_empty() => Ok((name, None)),
            _ => Err(e),
        },
    }
}

/// Every name in `services` is a service of the model (nothing to check without one).
pub(crate) fn check_services(project: Option<&Project>, services: &[String]) -> anyhow::Result<()> {
    if let Some(p) = project {
        for s in services {
            p.service(s)?;
        }
    }
    Ok(())
}

/// The project's service containers (not one-offs), running or not.
pub(crate) async fn service_containers(
    engine: &Engine,
    project: &str,
) -> anyhow::Result<Vec<ContainerInfo>> {
    let mut list: Vec<ContainerInfo> = engine
        .project_containers(project, true)
        .await?
        .into_iter()
        .filter(|c| !c.oneoff)
        .collect();
    list.sort_by(|a, b| (&a.service, a.number).cmp(&(&b.service, b.number)));
    Ok(list)
}

/// The project's service containers, limited to `services` when given (names checked).
pub(crate) async fn selected_containers(
    engine: &Engine,
    name: &str,
    project: Option<&Project>,
    services: &[String],
) -> anyhow::Result<Vec<ContainerInfo>> {
    check_services(project, services)?;
    Ok(service_containers(engine, name)
        .await?
        .into_iter()
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .collect())
}

/// The running container number `index` of a service, for `exec`, `db`, and friends.
pub(crate) async fn running_container(
    engine: &Engine,
    project: &str,
    service: &str,
    index: u32,
) -> anyhow::Result<Option<ContainerInfo>> {
    Ok(service_containers(engine, project)
        .await?
        .into_iter()
        .find(|c| c.service == service && c.number == index && c.state == ContainerState::Running))
}

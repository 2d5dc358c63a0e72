//! One file per verb. A command file is thin: it turns arguments into options and calls a
//! domain module. `run` dispatches.

pub(crate) mod assets;
pub(crate) mod config;
pub(crate) mod db;
pub(crate) mod doctor;
pub(crate) mod down;
pub(crate) mod exec;
pub(crate) mod init;
pub(crate) mod logs;
pub(crate) mod prefetch;
pub(crate) mod ps;
pub(crate) mod restart;
pub(crate) mod start;
pub(crate) mod stop;
pub(crate) mod up;

use crate::args::Command;
use crate::error::ExitStatus;
use crate::settings::Settings;

pub(crate) async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Up(args) => up::run(args, settings).await,
        Command::Down(args) => down::run(args, settings).await,
        Command::Ps(args) => ps::run(args, settings).await,
        Command::Logs(args) => logs::run(args, settings).await,
        Command::Exec(args) => exec::run(args, settings).await,
        Command::Restart(args) => restart::run(args, settings).await,
        Command::Start(args) => start::run(args, settings).await,
        Command::Stop(args) => stop::run(args, settings).await,
        Command::Config(args) => config::run(args, settings).await,
        Command::Init(args) => init::run(args, settings).await,
        Command::Prefetch(args) => prefetch::run(args, settings).await,
        Command::Doctor(args) => doctor::run(args, settings).await,
        Command::Vendor(args) => assets::run(args, settings).await,
        Command::Db(args) => db::run(args, settings).await,
    }
}

/// Load the compose model for a command that needs it (`services` are named explicitly,
/// which enables them even under an inactive profile).
pub(crate) fn load_project(
    settings: &Settings,
    services: &[String],
) -> anyhow::Result<crate::compose::Project> {
    let opts = crate::compose::LoadOptions::from_settings(settings).with_services(services);
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
) -> anyhow::Result<(String, Option<crate::compose::Project>)> {
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

/// The project's service containers, limited to `services` when given (names checked).
pub(crate) async fn selected_containers(
    engine: &crate::docker::Engine,
    name: &str,
    project: Option<&crate::compose::Project>,
    services: &[String],
) -> anyhow::Result<Vec<crate::docker::ContainerInfo>> {
    if let Some(p) = project {
        for s in services {
            p.service(s)?;
        }
    }
    Ok(crate::stack::service_containers(engine, name)
        .await?
        .into_iter()
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .collect())
}

/// Start containers in dependency order (dependencies first).
pub(crate) async fn start_containers(
    engine: &crate::docker::Engine,
    containers: &[crate::docker::ContainerInfo],
    printer: &crate::ui::Printer,
) -> anyhow::Result<()> {
    let mut sorted: Vec<&crate::docker::ContainerInfo> = containers.iter().collect();
    // Containers record their dependencies in compose's label: fewer dependencies first.
    sorted.sort_by_key(|c| {
        c.labels
            .get(crate::docker::spec::labels::DEPENDS_ON)
            .map_or(0, |d| d.split(',').filter(|s| !s.is_empty()).count())
    });
    for c in sorted {
        engine.start(&c.name).await?;
        printer.status("Started", format!("`{}`", c.name));
    }
    Ok(())
}

/// Stop containers in reverse dependency order, each level in parallel.
pub(crate) async fn stop_containers(
    engine: &crate::docker::Engine,
    containers: &[crate::docker::ContainerInfo],
    project: Option<&crate::compose::Project>,
    timeout: Option<u64>,
    printer: &crate::ui::Printer,
) -> anyhow::Result<()> {
    let services: Vec<String> = containers.iter().map(|c| c.service.clone()).collect();
    for level in crate::stack::stop_levels(project, &services) {
        let stops = containers
            .iter()
            .filter(|c| level.contains(&c.service))
            .map(|c| async move {
                let grace = timeout
                    .or_else(|| {
                        project
                            .and_then(|p| p.services.get(&c.service))
                            .and_then(|s| s.stop_grace_period)
                            .map(|d| d.as_secs())
                    })
                    .unwrap_or(10);
                engine
                    .stop(&c.name, grace.min(i32::MAX as u64) as i32)
                    .await?;
                printer.status("Stopped", format!("`{}`", c.name));
                anyhow::Ok(())
            });
        for r in futures_util::future::join_all(stops).await {
            r?;
        }
    }
    Ok(())
}

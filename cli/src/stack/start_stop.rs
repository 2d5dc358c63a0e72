//! Start and stop a project's existing containers in dependency order (`start`, `stop`,
//! `restart`).

use crate::compose::Project;
use crate::docker::{ContainerInfo, Engine};
use crate::ui::Printer;

/// Start containers level by level, dependencies first (see [`super::start_levels`]).
pub(crate) async fn start_containers(
    engine: &Engine,
    containers: &[ContainerInfo],
    project: Option<&Project>,
    printer: &Printer,
) -> anyhow::Result<()> {
    for level in super::start_levels(project, containers) {
        for c in containers.iter().filter(|c| level.contains(&c.service)) {
            engine.start(&c.name).await?;
            printer.status("Started", format!("`{}`", c.name));
        }
    }
    Ok(())
}

/// Stop containers in reverse dependency order, each level in parallel.
pub(crate) async fn stop_containers(
    engine: &Engine,
    containers: &[ContainerInfo],
    project: Option<&Project>,
    timeout: Option<u64>,
    printer: &Printer,
) -> anyhow::Result<()> {
    let services: Vec<String> = containers.iter().map(|c| c.service.clone()).collect();
    for level in super::stop_levels(project, &services) {
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

//! `down`: stop in reverse dependency order (each level in parallel, each container with its
//! own stop signal and grace period), remove containers and networks, volumes on request.

use std::time::Duration;

use crate::compose::Project;
use crate::docker::{ContainerInfo, Engine};
use crate::ui::Printer;

#[derive(Debug, Clone, Default)]
pub(crate) struct DownOptions {
    pub volumes: bool,
    pub remove_orphans: bool,
    /// Overrides every service's `stop_grace_period`.
    pub timeout: Option<Duration>,
}

/// Tear down project `name`; `project` (the model) gives order and grace periods when known.
pub(crate) async fn down(
    engine: &Engine,
    name: &str,
    project: Option<&Project>,
    opts: &DownOptions,
    printer: &Printer,
) -> anyhow::Result<()> {
    let _lock = super::ProjectLock::acquire(name, "down", printer).await?;
    let containers: Vec<ContainerInfo> = engine.project_containers(name, true).await?;
    let mut services: Vec<String> = containers.iter().map(|c| c.service.clone()).collect();
    services.sort();
    services.dedup();
    let in_model = |svc: &str| {
        project.is_none_or(|p| {
            p.services.contains_key(svc) || p.disabled_services.iter().any(|d| d == svc)
        })
    };
    let orphans: Vec<&str> = services
        .iter()
        .map(String::as_str)
        .filter(|s| !in_model(s))
        .collect();
    if !orphans.is_empty() && !opts.remove_orphans {
        printer.warn(format!(
            "found orphan containers for services {} in project `{name}`; run with `--remove-orphans` to remove them",
            orphans.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    // With --volumes, anonymous volumes go too (as compose's `down -v`), including those a
    // recreated container inherited by name, which the engine's own `rm -v` keeps. Collected
    // now and removed after every container is gone (`volumes_from` shares them).
    let anonymous = if opts.volumes {
        anonymous_volumes(engine, &containers).await?
    } else {
        Vec::new()
    };
    let down = Down {
        engine,
        project,
        opts,
        printer,
    };
    for level in super::stop_levels(project, &services) {
        let batch: Vec<&ContainerInfo> = containers
            .iter()
            .filter(|c| level.contains(&c.service) && (in_model(&c.service) || opts.remove_orphans))
            .collect();
        down.remove_level(&batch).await?;
    }
    down.remove_leftovers(name, anonymous).await
}

/// What removing needs besides the containers at hand.
#[derive(Clone, Copy)]
struct Down<'a> {
    engine: &'a Engine,
    project: Option<&'a Project>,
    opts: &'a DownOptions,
    printer: &'a Printer,
}

impl Down<'_> {
    /// Stop and remove one level's containers in parallel, each with its own grace period.
    async fn remove_level(self, batch: &[&ContainerInfo]) -> anyhow::Result<()> {
        let removals = batch.iter().map(|c| self.remove_container(c));
        for r in futures_util::future::join_all(removals).await {
            r?;
        }
        Ok(())
    }

    async fn remove_container(self, c: &ContainerInfo) -> anyhow::Result<()> {
        let Self {
            engine,
            project,
            opts,
            printer,
        } = self;
        let grace = opts
            .timeout
            .or_else(|| {
                project
                    .and_then(|p| p.services.get(&c.service))
                    .and_then(|s| s.stop_grace_period)
            })
            .unwrap_or(Duration::from_secs(10));
        if c.state == crate::docker::ContainerState::Running {
            printer.status("Stopping", format!("`{}`", c.name));
            engine
                .stop(&c.name, grace.as_secs().min(i32::MAX as u64) as i32)
                .await?;
        }
        engine.remove(&c.name, true, opts.volumes).await?;
        printer.status("Removed", format!("`{}`", c.name));
        Ok(())
    }

    /// Once the containers are gone: their anonymous volumes, the project's networks (kept
    /// while still in use), and with `--volumes` its named volumes.
    async fn remove_leftovers(self, name: &str, anonymous: Vec<String>) -> anyhow::Result<()> {
        let Self {
            engine, printer, ..
        } = self;
        for volume in anonymous {
            if let Err(e) = engine.remove_volume(&volume).await {
                let why = e.engine_message().unwrap_or("in use").to_string();
                printer.warn(format!("anonymous volume `{volume}` kept: {why}"));
            }
        }
        for net in engine.project_networks(name).await? {
            match engine.remove_network(&net).await {
                Ok(()) => printer.status("Removed", format!("network `{net}`")),
                // Still used (by orphans left in place, or a container of another project).
                Err(e) if matches!(e.status_code(), Some(403 | 409)) => {
                    printer.warn(format!("network `{net}` kept: it is still in use"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        if self.opts.volumes {
            for vol in engine.project_volumes(name).await? {
                engine.remove_volume(&vol).await?;
                printer.status("Removed", format!("volume `{vol}`"));
            }
        }
        Ok(())
    }
}

/// The anonymous volumes of `containers`, each once.
async fn anonymous_volumes(
    engine: &Engine,
    containers: &[ContainerInfo],
) -> anyhow::Result<Vec<String>> {
    let mut anonymous: Vec<String> = Vec::new();
    for c in containers {
        for (volume, _) in engine.anonymous_volumes(&c.name).await? {
            if !anonymous.contains(&volume) {
                anonymous.push(volume);
            }
        }
    }
    Ok(anonymous)
}

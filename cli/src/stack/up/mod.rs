//! `up`: networks and volumes, images (build or pull), then every service started in
//! dependency order (independent branches in parallel), each waiting on its `depends_on`
//! conditions through the engine's health status. Idempotent: a container whose config
//! hash and image are unchanged is left alone.
//!
//! `resources.rs` makes networks and volumes, `images.rs` builds and pulls, `converge.rs`
//! runs one task per service, `container.rs` brings one container to its plan, and
//! `failures.rs` words what went wrong.

mod container;
mod converge;
mod failures;
mod images;
mod resources;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ProjectLock;
use super::wait::spawn_event_pump;
use crate::compose::Project;
use crate::docker::{ContainerInfo, Engine};
use crate::ui::Printer;

/// When to pull images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum PullPolicy {
    /// Pull only images that are not present locally.
    #[default]
    Missing,
    /// Always pull (fails offline).
    Always,
    /// Never pull; a missing image is an error.
    Never,
}

/// Work to run once a service is ready and before anything that depends on it starts:
/// migrations, run after the database is healthy (pre-deploy order).
#[derive(Clone)]
pub(crate) struct ReadyHook {
    pub service: String,
    pub run:
        Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, anyhow::Result<()>> + Send + Sync>,
}

impl std::fmt::Debug for ReadyHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadyHook")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UpOptions {
    /// Services to start (with their dependencies); empty = all.
    pub services: Vec<String>,
    pub build: bool,
    pub no_build: bool,
    pub pull: PullPolicy,
    pub wait_timeout: Duration,
    pub force_recreate: bool,
    pub remove_orphans: bool,
    /// Run after this service is ready, before its dependents start (migrations).
    pub ready_hook: Option<ReadyHook>,
}

/// What one service ended as.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceReport {
    pub service: String,
    pub container: String,
    /// `created`, `recreated`, `restarted`, `started`, `running` (left alone).
    pub action: &'static str,
    /// `running`, `healthy`, `exited`.
    pub state: String,
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpReport {
    pub project: String,
    pub services: Vec<ServiceReport>,
}

/// What every phase of `up` works with.
#[derive(Clone, Copy)]
struct Up<'a> {
    engine: &'a Engine,
    /// With `environment:` secrets and `content:` configs written to files.
    project: &'a Project,
    opts: &'a UpOptions,
    printer: &'a Printer,
}

pub(crate) async fn up(
    engine: &Engine,
    project: &Project,
    opts: &UpOptions,
    printer: &Printer,
) -> anyhow::Result<UpReport> {
    let levels = project.start_levels(&opts.services)?;
    let selected: Vec<String> = levels.iter().flatten().cloned().collect();
    let _lock = ProjectLock::acquire(&project.name, "up", printer).await?;
    let materialized = super::file_objects::materialize(project)?;
    let project = materialized.as_ref().unwrap_or(project);
    let up = Up {
        engine,
        project,
        opts,
        printer,
    };

    resources::ensure_networks(up, &selected).await?;
    resources::ensure_volumes(up, &selected).await?;
    let image_ids = images::ensure_images(up, &selected).await?;

    let existing = super::service_containers(engine, &project.name).await?;
    warn_orphans(up, &existing).await?;

    let (events_tx, pump) = spawn_event_pump(engine, &project.name);
    let started = Instant::now();
    let result = tokio::time::timeout(
        opts.wait_timeout,
        converge::converge_all(up, &selected, &image_ids, &existing, &events_tx),
    )
    .await;
    pump.abort();
    let reports = match result {
        Ok(r) => r?,
        Err(_) => return Err(failures::timeout_error(up, &selected).await),
    };
    tracing::debug!(elapsed = ?started.elapsed(), "stack converged");
    Ok(UpReport {
        project: project.name.clone(),
        services: reports,
    })
}

/// Containers of services no longer in the model: removed with `--remove-orphans`, else
/// named in a warning.
async fn warn_orphans(up: Up<'_>, existing: &[ContainerInfo]) -> anyhow::Result<()> {
    let Up {
        engine,
        project,
        printer,
        ..
    } = up;
    let orphans: Vec<&ContainerInfo> = existing
        .iter()
        .filter(|c| {
            !project.services.contains_key(&c.service)
                && !project.disabled_services.contains(&c.service)
        })
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    if up.opts.remove_orphans {
        for c in orphans {
            engine.remove(&c.name, true, false).await?;
            printer.status("Removed", format!("orphan container `{}`", c.name));
        }
    } else {
        let names: Vec<&str> = orphans.iter().map(|c| c.name.as_str()).collect();
        printer.warn(format!(
            "found orphan containers ({}) for project `{}`; run with `--remove-orphans` to clean them up",
            names.join(", "),
            project.name
        ));
    }
    Ok(())
}

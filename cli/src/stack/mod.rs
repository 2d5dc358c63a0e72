//! The stack engine: converge a compose project onto the Docker engine (`up`), tear it down
//! (`down`), and report on it (`ps`). Uses the `docker` facade for every engine call and the
//! `compose` model for what should exist; holds no global state (everything is keyed by
//! project name, so one compose file can run as several projects at once).

mod database;
mod down;
mod files;
mod lock;
mod oneoff;
mod ports;
mod prefetch;
mod up;
mod wait;

pub(crate) use database::{ServiceRunner, exec_in_service, published_url};
pub(crate) use down::{DownOptions, down};
pub(crate) use lock::ProjectLock;
pub(crate) use oneoff::run_oneoff;
pub(crate) use prefetch::{PrefetchOptions, prefetch};
pub(crate) use up::{PullPolicy, ReadyHook, UpOptions, up};

use crate::compose::Project;
use crate::docker::{ContainerInfo, Engine};

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

/// The running container of a service (number 1 first), for `exec`, `db`, and friends.
pub(crate) async fn running_container(
    engine: &Engine,
    project: &str,
    service: &str,
) -> anyhow::Result<Option<ContainerInfo>> {
    Ok(service_containers(engine, project)
        .await?
        .into_iter()
        .find(|c| c.service == service && c.state == crate::docker::ContainerState::Running))
}

/// Services in reverse start order (dependents first), grouped by level; services that
/// have containers but are no longer in the model come first.
pub(crate) fn stop_levels(project: Option<&Project>, services: &[String]) -> Vec<Vec<String>> {
    let mut levels: Vec<Vec<String>> = match project.and_then(|p| p.start_levels(&[]).ok()) {
        Some(mut l) => {
            l.reverse();
            l
        }
        None => Vec::new(),
    };
    let known: Vec<String> = levels.iter().flatten().cloned().collect();
    let orphans: Vec<String> = services
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect();
    if !orphans.is_empty() {
        levels.insert(0, orphans);
    }
    levels.retain(|l| !l.is_empty());
    levels
}

/// What to send the engine to build service `name`'s image. `pull`: `Some(true)` always
/// refreshes base images, `Some(false)` never does (offline, whatever `build.pull` says),
/// `None` follows the service's `build.pull`.
pub(crate) fn build_request(
    project: &Project,
    name: &str,
    svc: &crate::compose::Service,
    pull: Option<bool>,
) -> Option<crate::docker::BuildRequest> {
    let build = svc.build.as_ref()?;
    Some(crate::docker::BuildRequest {
        service: name.to_string(),
        image: crate::docker::spec::image_name(&project.name, name, svc),
        context: build.context.clone(),
        dockerfile: build.dockerfile.clone(),
        args: build
            .args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        target: build.target.clone(),
        labels: build
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        pull: pull.unwrap_or(build.pull),
        cache_from: build.cache_from.clone(),
        network: build.network.clone(),
        extra_hosts: build.extra_hosts.clone(),
        shm_size: build.shm_size,
        no_cache: build.no_cache,
    })
}

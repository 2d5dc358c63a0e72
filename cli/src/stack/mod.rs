//! The stack engine: converge a compose project onto the Docker engine (`up`), tear it down
//! (`down`), and report on it (`ps`). Uses the `docker` facade for every engine call and the
//! `compose` model for what should exist; holds no global state (everything is keyed by
//! project name, so one compose file can run as several projects at once).

mod database;
mod down;
mod file_objects;
mod levels;
mod lock;
mod logs;
mod oneoff;
mod ports;
mod prefetch;
mod select;
mod start_stop;
mod up;
mod wait;

pub(crate) use database::{ServiceRunner, exec_in_service, published_url};
pub(crate) use down::{DownOptions, down};
pub(crate) use levels::{start_levels, stop_levels};
pub(crate) use lock::ProjectLock;
pub(crate) use logs::{LogLine, LogOptions, log_lines};
pub(crate) use oneoff::run_oneoff;
pub(crate) use prefetch::{PrefetchOptions, prefetch};
pub(crate) use select::{
    check_services, load_project, print_notes, project_name_and_model, running_container,
    selected_containers, service_containers,
};
pub(crate) use start_stop::{start_containers, stop_containers};
pub(crate) use up::{PullPolicy, ReadyHook, UpOptions, up};

use crate::compose::Project;

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

//! From a compose service to the engine's container-create body, with compose's standard
//! labels so `docker compose ps` (and the old `docker-compose ps`) see what devenv started.
//!
//! One file per part of the body: `labels.rs` (compose's labels and the config hash),
//! `ports.rs`, `mounts.rs` (volumes, tmpfs, secrets and configs), `networks.rs` (network
//! mode, endpoints, links), `host.rs` (the rest of `HostConfig`).

mod host;
pub(crate) mod labels;
mod mounts;
mod networks;
mod ports;

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, EndpointSettings, HealthConfig, NetworkingConfig};

use crate::compose::model::{Healthcheck, Project, Service};

pub(crate) use labels::resource_labels;
pub(crate) use mounts::with_inherited_volumes;

/// The image a service runs: its `image:`, else `<project>-<service>` for a build, like compose v2.
pub(crate) fn image_name(project: &str, name: &str, service: &Service) -> String {
    match &service.image {
        Some(image) => image.clone(),
        None => format!("{project}-{name}"),
    }
}

/// The container's name: `container_name:`, else `<project>-<service>-<n>` like compose v2.
pub(crate) fn container_name(project: &str, name: &str, service: &Service, number: u32) -> String {
    service
        .container_name
        .clone()
        .unwrap_or_else(|| format!("{project}-{name}-{number}"))
}

/// Everything that varies per container beyond the service's own config.
#[derive(Debug, Clone)]
pub(crate) struct ContainerPlan {
    pub name: String,
    pub body: ContainerCreateBody,
    /// Networks to connect after create (the API before 1.44 takes one at create time).
    pub extra_networks: Vec<(String, EndpointSettings)>,
    /// `platform:` of the service, passed when creating.
    pub platform: Option<String>,
}

/// Build the create body for container `number` of `service`. `ids`: the container id of each
/// service its `network_mode`/`ipc`/`pid: service:X` and `volumes_from` name (for the config
/// hash, as compose computes it).
pub(crate) fn container_plan(
    project: &Project,
    name: &str,
    service: &Service,
    number: u32,
    image_id: Option<&str>,
    ids: &HashMap<String, String>,
) -> ContainerPlan {
    let cname = container_name(&project.name, name, service, number);
    let ports = ports::ports(service);
    let exposed = ports.exposed.clone();
    let endpoints = networks::endpoints(project, name, service, &cname);
    let host_config = host::host_config(
        project,
        service,
        mounts::storage(project, service),
        ports,
        networks::network_mode(project, service),
    );
    let body = ContainerCreateBody {
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        user: service.user.clone(),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        tty: Some(service.tty),
        open_stdin: Some(service.stdin_open),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        env: Some(environment(service)),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        healthcheck: service.healthcheck.as_ref().map(health_config),
        image: Some(image_name(&project.name, name, service)),
        working_dir: service.working_dir.clone(),
        labels: Some(labels::container_labels(
            project, name, service, number, image_id, ids,
        )),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service.stop_grace_period.map(|d| d.as_secs() as i64),
        host_config: Some(host_config),
        networking_config: endpoints.first.map(|(net, ep)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(net, ep)])),
        }),
        ..Default::default()
    };
    ContainerPlan {
        name: cname,
        body,
        extra_networks: endpoints.extra,
        platform: service.platform.clone(),
    }
}

/// `KEY=VALUE` for every variable with a value (unset ones are left out).
fn environment(service: &Service) -> Vec<String> {
    service
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect()
}

fn health_config(h: &Healthcheck) -> HealthConfig {
    if h.disable {
        return HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..Default::default()
        };
    }
    let ns = |d: Option<std::time::Duration>| d.map(|d| d.as_nanos() as i64);
    HealthConfig {
        test: (!h.test.is_empty()).then(|| h.test.clone()),
        interval: ns(h.interval),
        timeout: ns(h.timeout),
        retries: h.retries.map(|r| r as i64),
        start_period: ns(h.start_period),
        // start_interval needs API 1.44; the engines devenv targets speak 1.41.
        start_interval: None,
    }
}

/// The engine name of a project volume key.
pub(crate) fn volume_name(project: &Project, key: &str) -> String {
    project
        .volumes
        .get(key)
        .map_or_else(|| format!("{}_{key}", project.name), |v| v.name.clone())
}

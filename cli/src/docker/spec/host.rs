//! The container's `HostConfig`: storage, published ports, network mode, restart policy,
//! `volumes_from`, logging, and the service's limits and privileges.

use bollard::models::{
    DeviceMapping, DeviceRequest, HostConfig, HostConfigLogConfig, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};

use super::container_name;
use super::mounts::Storage;
use super::ports::Ports;
use crate::compose::model::{Project, Resource, Service};

pub(super) fn host_config(
    project: &Project,
    service: &Service,
    storage: Storage,
    ports: Ports,
    network_mode: Option<String>,
) -> HostConfig {
    let Storage {
        binds,
        mounts,
        tmpfs,
    } = storage;
    HostConfig {
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        port_bindings: (!ports.bindings.is_empty()).then_some(ports.bindings),
        network_mode,
        restart_policy: restart(service),
        volumes_from: (!service.volumes_from.is_empty()).then(|| volumes_from(project, service)),
        log_config: service.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: Some(
                l.options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        }),
        ..with_deploy(service, limits_and_privileges(service))
    }
}

/// `deploy.resources` as compose applies it to a plain container: limits win over `cpus`,
/// `mem_limit` and `pids_limit` (compose refuses them when they disagree); reservations give
/// the memory reservation and the device requests (GPUs). A reservation's `cpus` is Swarm's.
fn with_deploy(service: &Service, mut host: HostConfig) -> HostConfig {
    let Some(deploy) = &service.deploy else {
        return host;
    };
    let none = Resource::default();
    let limits = deploy.resources.limits.as_ref().unwrap_or(&none);
    if let Some(m) = limits.memory.filter(|m| *m != 0) {
        host.memory = Some(m as i64);
    }
    if let Some(c) = limits.cpus.filter(|c| *c != 0.0) {
        host.nano_cpus = Some(nano_cpus(c));
    }
    if let Some(p) = limits.pids.filter(|p| *p > 0) {
        host.pids_limit = Some(p);
    }
    let reservations = deploy.resources.reservations.as_ref().unwrap_or(&none);
    if let Some(m) = reservations.memory.filter(|m| *m != 0) {
        host.memory_reservation = Some(m as i64);
    }
    if !reservations.devices.is_empty() {
        host.device_requests = Some(
            reservations
                .devices
                .iter()
                .map(|d| DeviceRequest {
                    driver: d.driver.clone(),
                    count: d.count,
                    device_ids: (!d.device_ids.is_empty()).then(|| d.device_ids.clone()),
                    capabilities: Some(vec![d.capabilities.clone()]),
                    options: (!d.options.is_empty()).then(|| {
                        d.options
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    }),
                })
                .collect(),
        );
    }
    host
}

/// CPUs as compose computes nano-CPUs: in 32-bit floats.
fn nano_cpus(cpus: f32) -> i64 {
    (cpus * 1e9) as i64
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "compose keeps cpus as a 32-bit float"
)]
fn as_f32(cpus: f64) -> f32 {
    cpus as f32
}

/// `deploy.restart_policy` wins over `restart:`, as in compose (`none` is `no`, `any` is
/// `always`; `max_attempts` is the retry count).
fn restart(service: &Service) -> Option<RestartPolicy> {
    let Some(policy) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    else {
        return service.restart.as_deref().map(restart_policy);
    };
    let name = match policy.condition.as_deref() {
        Some("any" | "always") => RestartPolicyNameEnum::ALWAYS,
        Some("on-failure") => RestartPolicyNameEnum::ON_FAILURE,
        Some("unless-stopped") => RestartPolicyNameEnum::UNLESS_STOPPED,
        _ => RestartPolicyNameEnum::NO,
    };
    Some(RestartPolicy {
        name: Some(name),
        maximum_retry_count: policy
            .max_attempts
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    })
}

/// What the service's own keys set: resources, capabilities, namespaces, DNS, devices.
fn limits_and_privileges(service: &Service) -> HostConfig {
    HostConfig {
        init: service.init,
        cap_add: non_empty(&service.cap_add),
        cap_drop: non_empty(&service.cap_drop),
        extra_hosts: non_empty(&service.extra_hosts),
        sysctls: (!service.sysctls.is_empty()).then(|| {
            service
                .sysctls
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }),
        ulimits: (!service.ulimits.is_empty()).then(|| ulimits(service)),
        runtime: service.runtime.clone(),
        privileged: Some(service.privileged),
        readonly_rootfs: Some(service.read_only),
        shm_size: service.shm_size.map(|s| s as i64),
        memory: service.mem_limit.map(|m| m as i64),
        memory_reservation: service.mem_reservation.map(|m| m as i64),
        memory_swap: service.memswap_limit,
        nano_cpus: service.cpus.map(|c| nano_cpus(as_f32(c))),
        cpu_shares: service.cpu_shares,
        pids_limit: service.pids_limit,
        dns: non_empty(&service.dns),
        dns_search: non_empty(&service.dns_search),
        dns_options: non_empty(&service.dns_opt),
        devices: (!service.devices.is_empty())
            .then(|| service.devices.iter().map(|d| device(d)).collect()),
        device_cgroup_rules: non_empty(&service.device_cgroup_rules),
        security_opt: non_empty(&service.security_opt),
        group_add: non_empty(&service.group_add),
        ipc_mode: service.ipc.clone(),
        pid_mode: service.pid.clone(),
        userns_mode: service.userns_mode.clone(),
        ..Default::default()
    }
}

fn ulimits(service: &Service) -> Vec<ResourcesUlimits> {
    service
        .ulimits
        .iter()
        .map(|(n, u)| ResourcesUlimits {
            name: Some(n.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect()
}

/// `SVC[:MODE]` names that service's first container; `container:NAME[:MODE]` a container.
fn volumes_from(project: &Project, service: &Service) -> Vec<String> {
    service
        .volumes_from
        .iter()
        .map(|v| match v.strip_prefix("container:") {
            Some(c) => c.to_string(),
            None => {
                let (svc, mode) = v
                    .split_once(':')
                    .map_or((v.as_str(), None), |(s, m)| (s, Some(m)));
                let target = project.services.get(svc).map_or_else(
                    || svc.to_string(),
                    |s| container_name(&project.name, svc, s, 1),
                );
                mode.map_or(target.clone(), |m| format!("{target}:{m}"))
            }
        })
        .collect()
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn restart_policy(s: &str) -> RestartPolicy {
    let (name, count) = s
        .split_once(':')
        .map_or((s, None), |(n, c)| (n, c.parse::<i64>().ok()));
    let name = match name {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: count,
    }
}

fn device(spec: &str) -> DeviceMapping {
    let mut parts = spec.splitn(3, ':');
    let host = parts.next().unwrap_or_default().to_string();
    let container = parts.next().map_or_else(|| host.clone(), str::to_string);
    let perms = parts.next().unwrap_or("rwm").to_string();
    DeviceMapping {
        path_on_host: Some(host),
        path_in_container: Some(container),
        cgroup_permissions: Some(perms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::{Deploy, DeployRestartPolicy, DeviceRequest as Gpu, Resources};

    fn deployed(deploy: Deploy) -> HostConfig {
        let service = Service {
            image: Some("x".into()),
            restart: Some("always".into()),
            mem_limit: Some(1 << 30),
            deploy: Some(deploy),
            device_cgroup_rules: vec!["c 1:3 mr".into()],
            ..Default::default()
        };
        with_deploy(&service, limits_and_privileges(&service))
    }

    #[test]
    fn deploy_resources_reach_the_container_as_compose_sends_them() {
        let host = deployed(Deploy {
            resources: Resources {
                limits: Some(Resource {
                    cpus: Some(0.5),
                    memory: Some(512 << 20),
                    pids: Some(100),
                    ..Default::default()
                }),
                reservations: Some(Resource {
                    memory: Some(128 << 20),
                    devices: vec![Gpu {
                        capabilities: vec!["gpu".into()],
                        driver: Some("nvidia".into()),
                        count: Some(-1),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        });
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.memory, Some(512 << 20));
        assert_eq!(host.pids_limit, Some(100));
        assert_eq!(host.memory_reservation, Some(128 << 20));
        assert_eq!(host.device_cgroup_rules, Some(vec!["c 1:3 mr".to_string()]));
        let gpu = &host.device_requests.expect("device requests")[0];
        assert_eq!(gpu.capabilities, Some(vec![vec!["gpu".to_string()]]));
        assert_eq!(
            (gpu.driver.as_deref(), gpu.count),
            (Some("nvidia"), Some(-1))
        );
    }

    #[test]
    fn deploy_restart_policy_wins_over_restart() {
        let service = Service {
            restart: Some("always".into()),
            deploy: Some(Deploy {
                restart_policy: Some(DeployRestartPolicy {
                    condition: Some("on-failure".into()),
                    max_attempts: Some(3),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let policy = restart(&service).expect("a policy");
        assert_eq!(policy.name, Some(RestartPolicyNameEnum::ON_FAILURE));
        assert_eq!(policy.maximum_retry_count, Some(3));
        let plain = Service {
            restart: Some("unless-stopped".into()),
            ..Default::default()
        };
        assert_eq!(
            restart(&plain).and_then(|p| p.name),
            Some(RestartPolicyNameEnum::UNLESS_STOPPED)
        );
    }
}

//! The container's `HostConfig`: storage, published ports, network mode, restart policy,
//! `volumes_from`, logging, and the service's limits and privileges.

use bollard::models::{
    DeviceMapping, HostConfig, HostConfigLogConfig, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};

use super::container_name;
use super::mounts::Storage;
use super::ports::Ports;
use crate::compose::model::{Project, Service};

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
        restart_policy: service.restart.as_deref().map(restart_policy),
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
        ..limits_and_privileges(service)
    }
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
        nano_cpus: service.cpus.map(|c| (c * 1e9) as i64),
        cpu_shares: service.cpu_shares,
        pids_limit: service.pids_limit,
        dns: non_empty(&service.dns),
        dns_search: non_empty(&service.dns_search),
        dns_options: non_empty(&service.dns_opt),
        devices: (!service.devices.is_empty())
            .then(|| service.devices.iter().map(|d| device(d)).collect()),
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

//! From a compose service to the engine's container-create body, with compose's standard
//! labels so `docker compose ps` (and the old `docker-compose ps`) see what devenv started.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigLogConfig, Mount, MountBindOptions, MountTmpfsOptions, MountType,
    MountVolumeOptions, NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};
use sha2::{Digest, Sha256};

use crate::compose::model::{Project, Service, ServiceVolume};

/// Compose's label keys (the contract with `docker compose`).
pub(crate) mod labels {
    pub(crate) const PROJECT: &str = "com.docker.compose.project";
    pub(crate) const SERVICE: &str = "com.docker.compose.service";
    pub(crate) const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
    pub(crate) const ONEOFF: &str = "com.docker.compose.oneoff";
    pub(crate) const CONFIG_HASH: &str = "com.docker.compose.config-hash";
    pub(crate) const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
    pub(crate) const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
    pub(crate) const VERSION: &str = "com.docker.compose.version";
    pub(crate) const DEPENDS_ON: &str = "com.docker.compose.depends_on";
    pub(crate) const IMAGE: &str = "com.docker.compose.image";
    pub(crate) const NETWORK: &str = "com.docker.compose.network";
    pub(crate) const VOLUME: &str = "com.docker.compose.volume";
    /// Which devenv made it (ours, not compose's).
    pub(crate) const DEVENV_VERSION: &str = "dev.devenv.version";
}

/// The compose version we write into `com.docker.compose.version`: the compose file
/// behaviour devenv follows. Compose v2 reads it only for display.
pub(crate) const COMPOSE_COMPAT_VERSION: &str = "2.24.0";

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

/// A stable digest of the service's resolved configuration; a change means recreate.
///
/// Like compose's, it leaves out what does not shape the container: `build` (the image id
/// label covers a rebuilt image), `pull_policy`, `profiles` and `depends_on` (start order).
pub(crate) fn config_hash(service: &Service) -> String {
    let mut shaped = service.clone();
    shaped.build = None;
    shaped.pull_policy = None;
    shaped.profiles.clear();
    shaped.depends_on.clear();
    let json = serde_json::to_vec(&shaped).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

/// Labels compose puts on a project's networks and volumes.
pub(crate) fn resource_labels(
    project: &str,
    kind_key: &str,
    key: &str,
    extra: &indexmap::IndexMap<String, String>,
) -> HashMap<String, String> {
    let mut map: HashMap<String, String> =
        extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    map.insert(labels::PROJECT.into(), project.into());
    map.insert(kind_key.into(), key.into());
    map.insert(labels::VERSION.into(), COMPOSE_COMPAT_VERSION.into());
    map
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

/// Build the create body for container `number` of `service`.
pub(crate) fn container_plan(
    project: &Project,
    name: &str,
    service: &Service,
    number: u32,
    image_id: Option<&str>,
) -> ContainerPlan {
    let cname = container_name(&project.name, name, service, number);
    let mut lbl: HashMap<String, String> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    lbl.insert(labels::PROJECT.into(), project.name.clone());
    lbl.insert(labels::SERVICE.into(), name.into());
    lbl.insert(labels::CONTAINER_NUMBER.into(), number.to_string());
    lbl.insert(labels::ONEOFF.into(), "False".into());
    lbl.insert(labels::CONFIG_HASH.into(), config_hash(service));
    lbl.insert(
        labels::WORKING_DIR.into(),
        project.working_dir.display().to_string(),
    );
    lbl.insert(
        labels::CONFIG_FILES.into(),
        project
            .config_files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    lbl.insert(labels::VERSION.into(), COMPOSE_COMPAT_VERSION.into());
    lbl.insert(
        labels::DEVENV_VERSION.into(),
        env!("CARGO_PKG_VERSION").into(),
    );
    let deps: Vec<String> = service
        .depends_on
        .iter()
        .map(|(dep, d)| format!("{dep}:{}:{}", d.condition.as_str(), d.restart))
        .collect();
    lbl.insert(labels::DEPENDS_ON.into(), deps.join(","));
    if let Some(id) = image_id {
        lbl.insert(labels::IMAGE.into(), id.into());
    }

    let env: Vec<String> = service
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();

    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &service.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone().filter(|ip| !ip.is_empty()),
                host_port: Some(p.published.clone().unwrap_or_default()),
            });
    }
    for key in service.expose.iter().flat_map(|e| expand_expose(e)) {
        if !exposed.contains(&key) {
            exposed.push(key);
        }
    }

    let (binds, mut mounts, tmpfs) = volumes(project, service);
    for (refs, secret) in [(&service.secrets, true), (&service.configs, false)] {
        for r in refs {
            let objects = if secret {
                &project.secrets
            } else {
                &project.configs
            };
            let Some(file) = objects.get(&r.source).and_then(|o| o.file.as_ref()) else {
                continue;
            };
            mounts.push(Mount {
                target: Some(if secret {
                    r.secret_mount_path()
                } else {
                    r.config_mount_path()
                }),
                source: Some(file.display().to_string()),
                typ: Some(MountType::BIND),
                read_only: Some(true),
                ..Default::default()
            });
        }
    }

    // `service:NAME` means that service's container, which the engine knows by name.
    let network_mode = match service.network_mode.as_deref() {
        Some(m) if m.starts_with("service:") => {
            let other = &m["service:".len()..];
            let cname = project.services.get(other).map_or_else(
                || format!("{}-{other}-1", project.name),
                |o| container_name(&project.name, other, o, 1),
            );
            Some(format!("container:{cname}"))
        }
        other => other.map(str::to_string),
    };
    let network_mode = network_mode.or_else(|| {
        service
            .networks
            .keys()
            .next()
            .map(|key| network_name(project, key))
    });
    // `links: [SVC[:ALIAS]]`: on user networks the engine resolves `container:alias` links
    // per container, which is what compose sets.
    let links: Vec<String> = service
        .links
        .iter()
        .map(|l| {
            let (svc, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
            let target = project.services.get(svc).map_or_else(
                || svc.to_string(),
                |o| container_name(&project.name, svc, o, 1),
            );
            format!("{target}:{alias}")
        })
        .collect();
    let mut endpoints: Vec<(String, EndpointSettings)> = service
        .networks
        .iter()
        .map(|(key, net)| {
            let mut aliases = vec![name.to_string(), cname.clone()];
            aliases.extend(net.aliases.iter().cloned());
            let ipam = (net.ipv4_address.is_some() || net.ipv6_address.is_some()).then(|| {
                EndpointIpamConfig {
                    ipv4_address: net.ipv4_address.clone(),
                    ipv6_address: net.ipv6_address.clone(),
                    ..Default::default()
                }
            });
            (
                network_name(project, key),
                EndpointSettings {
                    aliases: Some(aliases),
                    ipam_config: ipam,
                    mac_address: net.mac_address.clone(),
                    links: (!links.is_empty()).then(|| links.clone()),
                    ..Default::default()
                },
            )
        })
        .collect();
    let mut first =
        (!endpoints.is_empty() && service.network_mode.is_none()).then(|| endpoints.remove(0));
    // The body has no container-level MAC field any more; the engine takes it per endpoint.
    if let (Some(mac), Some((_, ep))) = (&service.mac_address, first.as_mut()) {
        ep.mac_address.get_or_insert_with(|| mac.clone());
    }

    let host_config = HostConfig {
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        network_mode,
        restart_policy: service.restart.as_deref().map(restart_policy),
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
        ulimits: (!service.ulimits.is_empty()).then(|| {
            service
                .ulimits
                .iter()
                .map(|(n, u)| ResourcesUlimits {
                    name: Some(n.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect()
        }),
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
        volumes_from: (!service.volumes_from.is_empty()).then(|| {
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
        }),
        log_config: service.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: Some(
                l.options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        }),
        ..Default::default()
    };

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
        env: Some(env),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        healthcheck: service.healthcheck.as_ref().map(|h| {
            let ns = |d: Option<std::time::Duration>| d.map(|d| d.as_nanos() as i64);
            if h.disable {
                HealthConfig {
                    test: Some(vec!["NONE".into()]),
                    ..Default::default()
                }
            } else {
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
        }),
        image: Some(image_name(&project.name, name, service)),
        working_dir: service.working_dir.clone(),
        labels: Some(lbl),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service.stop_grace_period.map(|d| d.as_secs() as i64),
        host_config: Some(host_config),
        networking_config: first.map(|(net, ep)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(net, ep)])),
        }),
        ..Default::default()
    };
    ContainerPlan {
        name: cname,
        body,
        extra_networks: endpoints,
        platform: service.platform.clone(),
    }
}

/// Mount a replaced container's anonymous volumes (name, path) into its successor, as
/// compose does, so their data survives a config change and nothing is left dangling: only
/// at paths the new config still has an anonymous volume, or the image declares a `VOLUME`.
pub(crate) fn with_inherited_volumes(
    mut plan: ContainerPlan,
    volumes: Vec<(String, String)>,
    image_volumes: &[String],
) -> ContainerPlan {
    if volumes.is_empty() {
        return plan;
    }
    let hc = plan.body.host_config.get_or_insert_with(Default::default);
    let bound: Vec<String> = hc
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    let mounts = hc.mounts.get_or_insert_with(Vec::new);
    for (volume, target) in volumes {
        let at = |m: &Mount| m.target.as_deref() == Some(target.as_str());
        let anonymous_here = mounts
            .iter()
            .any(|m| at(m) && m.source.is_none() && m.typ == Some(MountType::VOLUME));
        let taken = mounts.iter().any(|m| at(m) && m.source.is_some()) || bound.contains(&target);
        if taken || !(anonymous_here || image_volumes.contains(&target)) {
            continue;
        }
        mounts.retain(|m| !at(m));
        mounts.push(Mount {
            target: Some(target),
            source: Some(volume),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        });
    }
    plan
}

/// The engine name of a project network key.
pub(crate) fn network_name(project: &Project, key: &str) -> String {
    project
        .networks
        .get(key)
        .map_or_else(|| format!("{}_{key}", project.name), |n| n.name.clone())
}

/// The engine name of a project volume key.
pub(crate) fn volume_name(project: &Project, key: &str) -> String {
    project
        .volumes
        .get(key)
        .map_or_else(|| format!("{}_{key}", project.name), |v| v.name.clone())
}

/// `3000`, `3000/udp`, `3000-3002` → the engine's `PORT/PROTO` keys (ranges expanded, as
/// compose does).
fn expand_expose(spec: &str) -> Vec<String> {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    if let Some((a, b)) = ports.split_once('-')
        && let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>())
        && a <= b
    {
        return (a..=b).map(|p| format!("{p}/{proto}")).collect();
    }
    vec![format!("{ports}/{proto}")]
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

/// (binds, mounts, tmpfs): binds that may create their host path go through `Binds` (the
/// engine creates a missing folder, as compose's short syntax promises); the rest are mounts.
fn volumes(
    project: &Project,
    service: &Service,
) -> (Vec<String>, Vec<Mount>, HashMap<String, String>) {
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    let mut tmpfs: HashMap<String, String> = service
        .tmpfs
        .iter()
        .map(|t| match t.split_once(':') {
            Some((path, opts)) => (path.to_string(), opts.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect();
    for v in &service.volumes {
        match v.kind.as_str() {
            ServiceVolume::BIND if v.bind.as_ref().is_none_or(|b| b.create_host_path) => {
                let mut spec = format!("{}:{}", v.source.clone().unwrap_or_default(), v.target);
                let mut opts = Vec::new();
                if v.read_only {
                    opts.push("ro".to_string());
                }
                if let Some(b) = &v.bind {
                    opts.extend(b.selinux.clone());
                    opts.extend(b.propagation.clone());
                }
                if !opts.is_empty() {
                    spec.push(':');
                    spec.push_str(&opts.join(","));
                }
                binds.push(spec);
            }
            ServiceVolume::TMPFS if v.tmpfs.is_none() => {
                tmpfs.insert(v.target.clone(), String::new());
            }
            kind => {
                let typ = match kind {
                    ServiceVolume::BIND => MountType::BIND,
                    ServiceVolume::TMPFS => MountType::TMPFS,
                    _ => MountType::VOLUME,
                };
                let source = match (typ, &v.source) {
                    (MountType::VOLUME, Some(key)) => Some(volume_name(project, key)),
                    (_, s) => s.clone(),
                };
                mounts.push(Mount {
                    target: Some(v.target.clone()),
                    source,
                    typ: Some(typ),
                    read_only: Some(v.read_only),
                    consistency: v.consistency.clone(),
                    bind_options: v
                        .bind
                        .as_ref()
                        .filter(|_| typ == MountType::BIND)
                        .map(|_| MountBindOptions::default()),
                    volume_options: v.volume.as_ref().map(|o| MountVolumeOptions {
                        no_copy: Some(o.nocopy),
                        subpath: o.subpath.clone(),
                        ..Default::default()
                    }),
                    tmpfs_options: v.tmpfs.as_ref().map(|t| MountTmpfsOptions {
                        size_bytes: t.size.map(|s| s as i64),
                        mode: t.mode.map(i64::from),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
        }
    }
    (binds, mounts, tmpfs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_ranges_expand() {
        assert_eq!(
            expand_expose("3000-3002"),
            ["3000/tcp", "3001/tcp", "3002/tcp"]
        );
        assert_eq!(expand_expose("53/udp"), ["53/udp"]);
        assert_eq!(expand_expose("8080"), ["8080/tcp"]);
    }

    #[test]
    fn the_hash_ignores_what_does_not_shape_the_container() {
        let mut a = Service {
            image: Some("x".into()),
            ..Default::default()
        };
        let base = config_hash(&a);
        a.profiles = vec!["dev".into()];
        a.pull_policy = Some("always".into());
        assert_eq!(config_hash(&a), base);
        a.command = Some(vec!["sleep".into()]);
        assert_ne!(config_hash(&a), base);
    }
}

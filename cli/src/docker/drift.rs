//! Whether an existing container already is what a plan would create, compared by what shapes
//! it: image, command, entrypoint, environment, mounts, ports, networks, labels, user, working
//! folder, restart policy, resource limits and healthcheck. For
//! containers whose config hash devenv cannot reproduce (made by another Compose version,
//! whose hash is computed differently), so switching tools does not recreate a container
//! that is the same in every way that matters.

use std::collections::{BTreeMap, BTreeSet};

use bollard::models::{ContainerInspectResponse, HostConfig, ImageConfig, PortMap};

use super::spec::ContainerPlan;
use super::{DockerError, Engine};

impl Engine {
    /// What differs between `container` and what `plan` would create, one line each (empty:
    /// nothing that matters). `image_id` is the id the plan's image resolved to.
    pub(crate) async fn differences(
        &self,
        plan: &ContainerPlan,
        container: &str,
        image_id: Option<&str>,
    ) -> Result<Vec<String>, DockerError> {
        let actual = self.inspect(container).await?;
        let image = match &plan.body.image {
            Some(image) => self.image_config(image).await?,
            None => ImageConfig::default(),
        };
        Ok(differences(plan, &actual, &image, image_id))
    }

    async fn image_config(&self, image: &str) -> Result<ImageConfig, DockerError> {
        match self.api().inspect_image(image).await {
            Ok(info) => Ok(info.config.unwrap_or_default()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(ImageConfig::default()),
            Err(source) => Err(DockerError::InspectImage {
                image: image.to_string(),
                source,
            }),
        }
    }
}

/// The comparison itself (pure, so it can be tested without an engine).
fn differences(
    plan: &ContainerPlan,
    actual: &ContainerInspectResponse,
    image: &ImageConfig,
    image_id: Option<&str>,
) -> Vec<String> {
    let config = actual.config.clone().unwrap_or_default();
    let host = actual.host_config.clone().unwrap_or_default();
    let want_host = plan.body.host_config.clone().unwrap_or_default();
    let mut out = Vec::new();
    let mut check = |what: &str, want: String, got: String| {
        if want != got {
            out.push(format!("{what}: {got} → {want}"));
        }
    };
    if let Some(id) = image_id {
        check(
            "image",
            id.to_string(),
            actual.image.clone().unwrap_or_default(),
        );
    }
    // The engine fills in the image's entrypoint and command the way it would at create.
    let entrypoint = non_empty(plan.body.entrypoint.clone()).or(image.entrypoint.clone());
    let cmd = match (&plan.body.cmd, &plan.body.entrypoint) {
        (Some(cmd), _) => Some(cmd.clone()),
        (None, Some(e)) if !e.is_empty() => None,
        (None, _) => image.cmd.clone(),
    };
    check("entrypoint", words(entrypoint), words(config.entrypoint));
    check("command", words(cmd), words(config.cmd));
    check(
        "environment",
        listed(&environment(plan.body.env.as_deref(), image.env.as_deref())),
        listed(&environment(config.env.as_deref(), None)),
    );
    check(
        "mounts",
        listed(&planned_mounts(&want_host)),
        listed(&actual_mounts(actual, &host)),
    );
    check(
        "ports",
        listed(&ports(want_host.port_bindings.as_ref())),
        listed(&ports(host.port_bindings.as_ref())),
    );
    check(
        "networks",
        listed(&planned_networks(plan)),
        listed(&actual_networks(actual, &host)),
    );
    check(
        "labels",
        listed(&user_labels(
            plan.body.labels.as_ref(),
            image.labels.as_ref(),
        )),
        listed(&user_labels(config.labels.as_ref(), image.labels.as_ref())),
    );
    let or_image = |mine: &Option<String>, image: &Option<String>| {
        mine.clone().or_else(|| image.clone()).unwrap_or_default()
    };
    check(
        "user",
        or_image(&plan.body.user, &image.user),
        config.user.clone().unwrap_or_default(),
    );
    check(
        "working folder",
        or_image(&plan.body.working_dir, &image.working_dir),
        config.working_dir.clone().unwrap_or_default(),
    );
    check("restart policy", restart(&want_host), restart(&host));
    check("resources", resources(&want_host), resources(&host));
    let image_test = image.healthcheck.as_ref().and_then(|h| h.test.clone());
    check(
        "healthcheck",
        words(
            plan.body
                .healthcheck
                .as_ref()
                .and_then(|h| h.test.clone())
                .or(image_test),
        ),
        words(config.healthcheck.and_then(|h| h.test)),
    );
    out
}

/// `NAME[:COUNT]`; no policy is `no`.
fn restart(host: &HostConfig) -> String {
    let policy = host.restart_policy.clone().unwrap_or_default();
    let name = policy
        .name
        .map(|n| n.to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "no".into());
    match policy.maximum_retry_count.filter(|n| *n != 0) {
        Some(n) => format!("{name}:{n}"),
        None => name,
    }
}

/// Memory, nano-CPUs, pids and memory reservation; unset is 0.
fn resources(host: &HostConfig) -> String {
    format!(
        "memory={} cpus={} pids={} reservation={}",
        host.memory.unwrap_or(0),
        host.nano_cpus.unwrap_or(0),
        host.pids_limit.filter(|p| *p > 0).unwrap_or(0),
        host.memory_reservation.unwrap_or(0)
    )
}

fn non_empty(v: Option<Vec<String>>) -> Option<Vec<String>> {
    v.filter(|v| !v.is_empty())
}

fn words(v: Option<Vec<String>>) -> String {
    serde_json::to_string(&v.unwrap_or_default()).unwrap_or_default()
}

fn listed(items: &BTreeSet<String>) -> String {
    let all: Vec<&str> = items.iter().map(String::as_str).collect();
    format!("[{}]", all.join(", "))
}

/// `KEY=VALUE` after the engine's merge: the image's variables, overridden by the container's.
fn environment(env: Option<&[String]>, image: Option<&[String]>) -> BTreeSet<String> {
    let mut map: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in image.into_iter().flatten().chain(env.into_iter().flatten()) {
        let (k, v) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        map.insert(k, v);
    }
    map.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// `TARGET<-SOURCE` for binds and named volumes, `TARGET` for anonymous volumes and tmpfs.
fn planned_mounts(host: &HostConfig) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for bind in host.binds.iter().flatten() {
        let mut parts = bind.splitn(3, ':');
        let (source, target) = (parts.next().unwrap_or_default(), parts.next());
        if let Some(target) = target {
            out.insert(format!("{target}<-{source}"));
        }
    }
    for m in host.mounts.iter().flatten() {
        let target = m.target.clone().unwrap_or_default();
        match &m.source {
            Some(source) if !source.is_empty() => out.insert(format!("{target}<-{source}")),
            _ => out.insert(target),
        };
    }
    out.extend(host.tmpfs.iter().flatten().map(|(t, _)| t.clone()));
    out
}

fn actual_mounts(actual: &ContainerInspectResponse, host: &HostConfig) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Anonymous volumes carry a generated name: only their path matters.
    let anonymous: BTreeSet<String> = host
        .mounts
        .iter()
        .flatten()
        .filter(|m| m.source.as_deref().is_none_or(str::is_empty))
        .filter_map(|m| m.target.clone())
        .collect();
    for m in actual.mounts.iter().flatten() {
        let target = m.destination.clone().unwrap_or_default();
        let source = match m.typ.as_deref() {
            Some("volume") => m.name.clone(),
            _ => m.source.clone(),
        };
        let named = m.typ.as_deref() != Some("volume") || !anonymous.contains(&target);
        match source {
            Some(s) if named && !s.is_empty() && !is_anonymous_name(&s) => {
                out.insert(format!("{target}<-{s}"));
            }
            _ => {
                out.insert(target);
            }
        }
    }
    out.extend(host.tmpfs.iter().flatten().map(|(t, _)| t.clone()));
    out
}

/// The engine names anonymous volumes with 64 hex digits.
fn is_anonymous_name(name: &str) -> bool {
    name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit())
}

/// `PORT/PROTO=HOST_IP:HOST_PORT` (empty host parts as the engine leaves them).
fn ports(map: Option<&PortMap>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (key, bindings) in map.into_iter().flatten() {
        for b in bindings.iter().flatten() {
            out.insert(format!(
                "{key}={}:{}",
                b.host_ip.as_deref().unwrap_or_default(),
                b.host_port.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

/// Network names, or the network mode when it is not a network (`host`, `none`, a container).
fn planned_networks(plan: &ContainerPlan) -> BTreeSet<String> {
    let mode = plan
        .body
        .host_config
        .as_ref()
        .and_then(|h| h.network_mode.clone())
        .unwrap_or_default();
    if let Some(kind) = special_mode(&mode) {
        return BTreeSet::from([kind]);
    }
    let mut out: BTreeSet<String> = plan
        .body
        .networking_config
        .iter()
        .flat_map(|n| n.endpoints_config.iter().flatten())
        .map(|(name, _)| name.clone())
        .collect();
    out.extend(plan.extra_networks.iter().map(|(name, _)| name.clone()));
    out
}

fn actual_networks(actual: &ContainerInspectResponse, host: &HostConfig) -> BTreeSet<String> {
    if let Some(kind) = special_mode(host.network_mode.as_deref().unwrap_or_default()) {
        return BTreeSet::from([kind]);
    }
    actual
        .network_settings
        .iter()
        .flat_map(|n| n.networks.iter().flatten())
        .map(|(name, _)| name.clone())
        .collect()
}

/// `host`, `none`, or `container:` (compose names the container by id, devenv by name: both
/// share that container's network).
fn special_mode(mode: &str) -> Option<String> {
    match mode {
        "host" | "none" => Some(mode.to_string()),
        m if m.starts_with("container:") => Some("container:…".into()),
        _ => None,
    }
}

/// The labels the user set: not compose's or devenv's own, and not inherited from the image.
fn user_labels(
    labels: Option<&std::collections::HashMap<String, String>>,
    image: Option<&std::collections::HashMap<String, String>>,
) -> BTreeSet<String> {
    labels
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with("com.docker.compose.") && !k.starts_with("dev.devenv."))
        .filter(|(k, v)| image.and_then(|i| i.get(*k)) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bollard::models::{ContainerConfig, ContainerCreateBody, MountPoint, PortBinding};

    use super::*;

    fn plan() -> ContainerPlan {
        ContainerPlan {
            name: "p-web-1".into(),
            body: ContainerCreateBody {
                image: Some("busybox".into()),
                cmd: Some(vec!["sleep".into(), "1".into()]),
                env: Some(vec!["A=1".into()]),
                labels: Some(HashMap::from([
                    ("tier".into(), "web".into()),
                    ("com.docker.compose.config-hash".into(), "x".into()),
                ])),
                host_config: Some(HostConfig {
                    binds: Some(vec!["/src:/dst:ro".into()]),
                    port_bindings: Some(HashMap::from([(
                        "80/tcp".into(),
                        Some(vec![PortBinding {
                            host_ip: Some("127.0.0.1".into()),
                            host_port: Some("8080".into()),
                        }]),
                    )])),
                    network_mode: Some("p_default".into()),
                    ..Default::default()
                }),
                networking_config: Some(bollard::models::NetworkingConfig {
                    endpoints_config: Some(HashMap::from([(
                        "p_default".into(),
                        Default::default(),
                    )])),
                }),
                ..Default::default()
            },
            extra_networks: Vec::new(),
            platform: None,
        }
    }

    fn actual() -> ContainerInspectResponse {
        let p = plan();
        ContainerInspectResponse {
            image: Some("sha256:1".into()),
            config: Some(ContainerConfig {
                cmd: Some(vec!["sleep".into(), "1".into()]),
                env: Some(vec!["A=1".into(), "PATH=/bin".into()]),
                labels: Some(HashMap::from([
                    ("tier".into(), "web".into()),
                    ("from.image".into(), "1".into()),
                    ("com.docker.compose.config-hash".into(), "other".into()),
                ])),
                ..Default::default()
            }),
            host_config: p.body.host_config.clone(),
            mounts: Some(vec![MountPoint {
                typ: Some("bind".into()),
                source: Some("/src".into()),
                destination: Some("/dst".into()),
                ..Default::default()
            }]),
            network_settings: Some(bollard::models::NetworkSettings {
                networks: Some(HashMap::from([("p_default".into(), Default::default())])),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn image() -> ImageConfig {
        ImageConfig {
            env: Some(vec!["PATH=/bin".into()]),
            labels: Some(HashMap::from([("from.image".into(), "1".into())])),
            ..Default::default()
        }
    }

    #[test]
    fn the_same_container_made_another_way_has_no_differences() {
        assert_eq!(
            differences(&plan(), &actual(), &image(), Some("sha256:1")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_difference_is_named() {
        let mut a = actual();
        if let Some(c) = a.config.as_mut() {
            c.cmd = Some(vec!["sleep".into(), "2".into()]);
            c.env = Some(vec!["A=2".into(), "PATH=/bin".into()]);
        }
        let found = differences(&plan(), &a, &image(), Some("sha256:2"));
        let names: Vec<&str> = found.iter().filter_map(|d| d.split(':').next()).collect();
        assert_eq!(names, ["image", "command", "environment"], "{found:?}");
    }
}

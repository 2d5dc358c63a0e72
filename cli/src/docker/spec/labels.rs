//! Compose's label keys (the contract with `docker compose`), the labels devenv writes on
//! containers, networks and volumes, and the config hash that decides a recreate.

use std::collections::HashMap;

use crate::compose::compose_json::{self, Env};
use crate::compose::model::{Project, Service};

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

/// The compose version we write into `com.docker.compose.version`: the release whose config
/// hash devenv reproduces (docs/compose.md). A container with another version was hashed
/// another way, so its hash is not trusted alone.
pub(crate) const COMPOSE_COMPAT_VERSION: &str = "2.26.1";

/// The config hash `docker compose up` writes on a container of `service`: its JSON with the
/// `env_file` contents in `environment`, and `network_mode`/`ipc`/`pid: service:X` and
/// `volumes_from` naming X's first container by id (`ids`: service → container id), as
/// compose resolves them before hashing.
pub(crate) fn config_hash(service: &Service, ids: &HashMap<String, String>) -> String {
    compose_json::config_hash(&with_container_ids(service, ids), Env::Resolved)
}

fn with_container_ids(service: &Service, ids: &HashMap<String, String>) -> Service {
    let mut s = service.clone();
    for mode in [&mut s.network_mode, &mut s.ipc, &mut s.pid] {
        if let Some(other) = mode.as_deref().and_then(|m| m.strip_prefix("service:"))
            && let Some(id) = ids.get(other)
        {
            *mode = Some(format!("container:{id}"));
        }
    }
    // Compose keeps only the id (or the container's name), without the `:ro`/`:rw` mode.
    for from in &mut s.volumes_from {
        let mut parts = from.split(':');
        let first = parts.next().unwrap_or_default();
        let resolved = if first == "container" {
            parts.next().map(str::to_string)
        } else {
            ids.get(first).cloned()
        };
        if let Some(r) = resolved {
            *from = r;
        }
    }
    s
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
    map.insert(PROJECT.into(), project.into());
    map.insert(kind_key.into(), key.into());
    map.insert(VERSION.into(), COMPOSE_COMPAT_VERSION.into());
    map
}

/// The service's own labels plus compose's, for container `number` of service `name`.
pub(super) fn container_labels(
    project: &Project,
    name: &str,
    service: &Service,
    number: u32,
    image_id: Option<&str>,
    ids: &HashMap<String, String>,
) -> HashMap<String, String> {
    let mut lbl: HashMap<String, String> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    lbl.insert(PROJECT.into(), project.name.clone());
    lbl.insert(SERVICE.into(), name.into());
    lbl.insert(CONTAINER_NUMBER.into(), number.to_string());
    lbl.insert(ONEOFF.into(), "False".into());
    lbl.insert(CONFIG_HASH.into(), config_hash(service, ids));
    lbl.insert(
        WORKING_DIR.into(),
        project.working_dir.display().to_string(),
    );
    lbl.insert(CONFIG_FILES.into(), config_files(project));
    lbl.insert(VERSION.into(), COMPOSE_COMPAT_VERSION.into());
    lbl.insert(DEVENV_VERSION.into(), env!("CARGO_PKG_VERSION").into());
    lbl.insert(DEPENDS_ON.into(), depends_on(service));
    if let Some(id) = image_id {
        lbl.insert(IMAGE.into(), id.into());
    }
    lbl
}

fn config_files(project: &Project) -> String {
    project
        .config_files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `dep:condition:restart,…`, as compose writes it.
fn depends_on(service: &Service) -> String {
    service
        .depends_on
        .iter()
        .map(|(dep, d)| format!("{dep}:{}:{}", d.condition.as_str(), d.restart))
        .collect::<Vec<_>>()
        .join(",")
}

/// The services a container's `depends_on` label names (the model's view when the compose
/// file is not at hand).
pub(crate) fn recorded_dependencies(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .filter_map(|entry| entry.split(':').next())
        .filter(|dep| !dep.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_compose_s_with_service_references_as_container_ids() {
        // `docker compose up` wrote this hash on the `app` container of
        // `app: {image: devenv-test/busybox:latest, command: sleep 3600,
        //  network_mode: service:db, volumes_from: [db:ro], stop_grace_period: 1s}`
        // with db's container id below.
        let app = Service {
            image: Some("devenv-test/busybox:latest".into()),
            command: Some(vec!["sleep".into(), "3600".into()]),
            network_mode: Some("service:db".into()),
            volumes_from: vec!["db:ro".into()],
            stop_grace_period: Some(std::time::Duration::from_secs(1)),
            depends_on: indexmap::IndexMap::from([(
                "db".to_string(),
                crate::compose::model::DependsOn {
                    restart: true,
                    ..Default::default()
                },
            )]),
            ..Default::default()
        };
        let ids = HashMap::from([(
            "db".to_string(),
            "4b5e24b9587fc7da0d3b689b051d4fe3fee585bb87a9b7a0c36265aa584f489d".to_string(),
        )]);
        assert_eq!(
            config_hash(&app, &ids),
            "634d705c7280c2865f3da30f3624b42360cbd54594c9f53304b5d6b2c2fec779"
        );
        let mut b = app.clone();
        b.pull_policy = Some("always".into());
        b.scale = Some(3);
        assert_eq!(config_hash(&b, &ids), config_hash(&app, &ids));
        b.command = Some(vec!["sleep".into()]);
        assert_ne!(config_hash(&b, &ids), config_hash(&app, &ids));
    }

    #[test]
    fn recorded_dependencies_read_compose_s_label() {
        let deps: Vec<&str> =
            recorded_dependencies("db:service_healthy:false,cache:service_started:true").collect();
        assert_eq!(deps, ["db", "cache"]);
        assert_eq!(recorded_dependencies("").count(), 0);
    }
}

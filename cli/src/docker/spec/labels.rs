//! Compose's label keys (the contract with `docker compose`), the labels devenv writes on
//! containers, networks and volumes, and the config hash that decides a recreate.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

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

/// The compose version we write into `com.docker.compose.version`: the compose file
/// behaviour devenv follows. Compose v2 reads it only for display.
pub(crate) const COMPOSE_COMPAT_VERSION: &str = "2.24.0";

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
    lbl.insert(CONFIG_HASH.into(), config_hash(service));
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

    #[test]
    fn recorded_dependencies_read_compose_s_label() {
        let deps: Vec<&str> =
            recorded_dependencies("db:service_healthy:false,cache:service_started:true").collect();
        assert_eq!(deps, ["db", "cache"]);
        assert_eq!(recorded_dependencies("").count(), 0);
    }
}

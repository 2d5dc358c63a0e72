//! The order a project's containers start and stop in: the compose model's dependency levels,
//! else (with `-p NAME` alone) the dependencies compose recorded in each container's labels.

use std::collections::HashMap;

use crate::compose::Project;
use crate::docker::ContainerInfo;
use crate::docker::spec::labels;

/// The services of `containers` grouped by start level (dependencies first; each level only
/// needs the ones before it). Services that are not in the model start last.
pub(crate) fn start_levels(
    project: Option<&Project>,
    containers: &[ContainerInfo],
) -> Vec<Vec<String>> {
    let mut services: Vec<String> = containers.iter().map(|c| c.service.clone()).collect();
    services.sort();
    services.dedup();
    let mut levels = match project.and_then(|p| p.start_levels(&[]).ok()) {
        Some(levels) => levels,
        None => recorded_levels(containers),
    };
    for level in &mut levels {
        level.retain(|s| services.contains(s));
    }
    let known: Vec<&String> = levels.iter().flatten().collect();
    let rest: Vec<String> = services
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect();
    levels.push(rest);
    levels.retain(|l| !l.is_empty());
    levels
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

/// Start levels from each container's `com.docker.compose.depends_on` label: a service's
/// level is one past its deepest dependency that has a container here.
fn recorded_levels(containers: &[ContainerInfo]) -> Vec<Vec<String>> {
    let mut deps: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in containers {
        let recorded = c.labels.get(labels::DEPENDS_ON).map(String::as_str);
        deps.entry(c.service.as_str())
            .or_default()
            .extend(recorded.into_iter().flat_map(labels::recorded_dependencies));
    }
    let mut level: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = deps.keys().copied().collect();
    names.sort_unstable();
    for name in &names {
        level_of(name, &deps, &mut level, &mut Vec::new());
    }
    let depth = level.values().max().map_or(0, |m| m + 1);
    let mut levels = vec![Vec::new(); depth];
    for name in names {
        levels[level[name]].push(name.to_string());
    }
    levels
}

/// Depth-first; a dependency cycle in the labels (which `up` would have refused) counts
/// the dependency that closes it as level 0.
fn level_of<'a>(
    name: &'a str,
    deps: &HashMap<&'a str, Vec<&'a str>>,
    level: &mut HashMap<&'a str, usize>,
    path: &mut Vec<&'a str>,
) -> usize {
    if let Some(l) = level.get(name) {
        return *l;
    }
    if path.contains(&name) {
        return 0;
    }
    path.push(name);
    let mine = deps[name]
        .iter()
        .filter(|d| deps.contains_key(*d))
        .map(|d| level_of(d, deps, level, path) + 1)
        .max()
        .unwrap_or(0);
    path.pop();
    level.insert(name, mine);
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(service: &str, depends_on: &str) -> ContainerInfo {
        ContainerInfo {
            id: String::new(),
            name: format!("p-{service}-1"),
            project: "p".into(),
            service: service.into(),
            number: 1,
            oneoff: false,
            config_hash: None,
            image_id_label: None,
            image: String::new(),
            state: crate::docker::ContainerState::Exited,
            status: String::new(),
            health: String::new(),
            ports: Vec::new(),
            labels: HashMap::from([(labels::DEPENDS_ON.to_string(), depends_on.to_string())]),
        }
    }

    #[test]
    fn recorded_dependencies_give_levels_not_counts() {
        // `web` has one dependency, `api` two; `web` needs `api`, so it starts after it.
        let containers = [
            container("web", "api:service_started:false"),
            container(
                "api",
                "db:service_healthy:false,cache:service_started:false",
            ),
            container("db", ""),
            container("cache", ""),
            container("stray", "gone:service_started:false"),
        ];
        assert_eq!(
            start_levels(None, &containers),
            [vec!["cache", "db", "stray"], vec!["api"], vec!["web"]]
        );
    }

    #[test]
    fn a_cycle_in_the_labels_still_orders_every_service() {
        let containers = [
            container("a", "b:service_started:false"),
            container("b", "a:service_started:false"),
        ];
        let levels = start_levels(None, &containers);
        assert_eq!(levels.iter().flatten().count(), 2, "{levels:?}");
    }
}

//! The `depends_on` graph: start levels, cycles, and "did you mean" for service names.

use indexmap::{IndexMap, IndexSet};

use super::error::ComposeError;
use super::model::{Project, Service};

/// The closest name among `candidates` to `name`, when close enough to be a likely typo.
pub(super) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| {
            let score = strsim::normalized_damerau_levenshtein(name, c)
                .max(strsim::jaro_winkler(name, c) - 0.2);
            (score, c)
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

pub(super) fn unknown_service(project: &Project, name: &str) -> ComposeError {
    let profiles = if project.disabled_services.iter().any(|s| s == name) {
        profiles_of_disabled(project, name)
    } else {
        Vec::new()
    };
    ComposeError::UnknownService {
        name: name.to_string(),
        suggestion: did_you_mean(name, project.services.keys().map(String::as_str)),
        profiles,
    }
}

fn profiles_of_disabled(project: &Project, name: &str) -> Vec<String> {
    project
        .disabled_profiles
        .get(name)
        .cloned()
        .unwrap_or_default()
}

/// Every service `service` needs started first: `depends_on`, plus the implicit ones from
/// `links`, `network_mode: service:X` and `volumes_from` (as compose does).
pub(crate) fn service_dependencies(service: &Service) -> Vec<String> {
    let mut out: Vec<String> = service.depends_on.keys().cloned().collect();
    let implicit = service
        .links
        .iter()
        .map(|l| l.split(':').next().unwrap_or_default())
        .chain(
            service
                .network_mode
                .as_deref()
                .and_then(|m| m.strip_prefix("service:")),
        )
        .chain(
            service
                .volumes_from
                .iter()
                .filter(|v| !v.starts_with("container:"))
                .map(|v| v.split(':').next().unwrap_or_default()),
        );
    for dep in implicit {
        if !out.iter().any(|d| d == dep) {
            out.push(dep.to_string());
        }
    }
    out
}

/// Dependencies of `name` that are part of the project (optional missing ones skipped).
fn deps(project: &Project, name: &str) -> Vec<String> {
    project
        .services
        .get(name)
        .map(service_dependencies)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| project.services.contains_key(d.as_str()))
        .collect()
}

pub(super) fn start_levels(
    project: &Project,
    selected: &[String],
) -> Result<Vec<Vec<String>>, ComposeError> {
    for name in selected {
        if !project.services.contains_key(name) {
            return Err(unknown_service(project, name));
        }
    }
    // The selection: named services plus transitive dependencies (all when none named).
    let mut wanted: IndexSet<String> = IndexSet::new();
    if selected.is_empty() {
        wanted.extend(project.services.keys().cloned());
    } else {
        let mut stack: Vec<String> = selected.to_vec();
        while let Some(name) = stack.pop() {
            if wanted.insert(name.clone()) {
                stack.extend(deps(project, &name));
            }
        }
    }
    // Depth-first level assignment with cycle detection.
    let mut level: IndexMap<String, usize> = IndexMap::new();
    let mut path: Vec<String> = Vec::new();
    for name in project.services.keys().filter(|n| wanted.contains(*n)) {
        visit(project, name, &mut level, &mut path)?;
    }
    let depth = level.values().copied().max().map_or(0, |m| m + 1);
    let mut levels: Vec<Vec<String>> = vec![Vec::new(); depth];
    for name in project.services.keys() {
        if let Some(l) = level.get(name) {
            levels[*l].push(name.clone());
        }
    }
    Ok(levels)
}

fn visit(
    project: &Project,
    name: &str,
    level: &mut IndexMap<String, usize>,
    path: &mut Vec<String>,
) -> Result<usize, ComposeError> {
    if let Some(l) = level.get(name) {
        return Ok(*l);
    }
    if let Some(pos) = path.iter().position(|p| p == name) {
        let mut cycle: Vec<String> = path[pos..].to_vec();
        cycle.push(name.to_string());
        return Err(ComposeError::Cycle { cycle });
    }
    path.push(name.to_string());
    let mut mine = 0;
    let dep_names = deps(project, name);
    for dep in dep_names {
        let l = visit(project, &dep, level, path)?;
        mine = mine.max(l + 1);
    }
    path.pop();
    level.insert(name.to_string(), mine);
    Ok(mine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::{DependsOn, Service};

    fn project(edges: &[(&str, &[&str])]) -> Project {
        let mut p = Project::default();
        for (name, ds) in edges {
            let mut s = Service::default();
            for d in *ds {
                s.depends_on.insert(d.to_string(), DependsOn::default());
            }
            p.services.insert(name.to_string(), s);
        }
        p
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn levels_group_by_dependency_depth() {
        let p = project(&[
            ("web", &["db", "cache"]),
            ("worker", &["db"]),
            ("db", &[]),
            ("cache", &[]),
            ("proxy", &["web"]),
        ]);
        let levels = p.start_levels(&[]).unwrap();
        assert_eq!(
            levels,
            vec![
                names(&["db", "cache"]),
                names(&["web", "worker"]),
                names(&["proxy"])
            ]
        );
    }

    #[test]
    fn selection_pulls_in_transitive_dependencies_only() {
        let p = project(&[
            ("proxy", &["web"]),
            ("web", &["db"]),
            ("db", &[]),
            ("other", &[]),
        ]);
        let levels = p.start_levels(&names(&["proxy"])).unwrap();
        assert_eq!(
            levels,
            vec![names(&["db"]), names(&["web"]), names(&["proxy"])]
        );
    }

    #[test]
    fn cycles_are_named() {
        let p = project(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
        let err = p.start_levels(&[]).unwrap_err();
        assert_eq!(err.to_string(), "dependency cycle: a -> b -> c -> a");
        let p = project(&[("a", &["a"])]);
        assert!(p.start_levels(&[]).is_err());
    }

    #[test]
    fn unknown_service_suggests() {
        let p = project(&[("web", &[]), ("db", &[])]);
        let err = p.start_levels(&names(&["wbe"])).unwrap_err();
        match &err {
            ComposeError::UnknownService { suggestion, .. } => {
                assert_eq!(suggestion.as_deref(), Some("web"));
            }
            other => panic!("{other:?}"),
        }
        assert!(p.service("zzzzzz").is_err());
        assert!(p.service("db").is_ok());
    }

    #[test]
    fn empty_project_has_no_levels() {
        assert!(Project::default().start_levels(&[]).unwrap().is_empty());
    }
}

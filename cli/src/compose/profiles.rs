//! Profiles: which are enabled (`--profile`, else `COMPOSE_PROFILES`), and which services
//! are active under them (plus those named on the command line and what they need).

use indexmap::{IndexMap, IndexSet};

use super::error::ComposeError;
use super::graph::{did_you_mean, service_dependencies};
use super::interpolate::Env;
use super::model::Service;
use super::{COMPOSE_PROFILES, LoadOptions};

/// `--profile` (each may be a comma list), else `COMPOSE_PROFILES`.
pub(super) fn enabled_profiles(opts: &LoadOptions, env: &Env) -> Vec<String> {
    if !opts.profiles.is_empty() {
        return opts
            .profiles
            .iter()
            .flat_map(|p| p.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
    }
    env.get(COMPOSE_PROFILES)
        .map(|v| {
            v.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Services active under `profiles`, plus explicitly named ones and everything they need.
pub(super) fn active_services(
    all: &IndexMap<String, Service>,
    profiles: &[String],
    explicit: &[String],
) -> Result<IndexSet<String>, ComposeError> {
    let everything = profiles.iter().any(|p| p == "*");
    let mut active: IndexSet<String> = all
        .iter()
        .filter(|(_, s)| {
            s.profiles.is_empty() || everything || s.profiles.iter().any(|p| profiles.contains(p))
        })
        .map(|(n, _)| n.clone())
        .collect();
    let mut stack: Vec<String> = Vec::new();
    for name in explicit {
        if !all.contains_key(name) {
            return Err(ComposeError::UnknownService {
                name: name.clone(),
                suggestion: did_you_mean(name, all.keys().map(String::as_str)),
                profiles: Vec::new(),
            });
        }
        stack.push(name.clone());
    }
    while let Some(name) = stack.pop() {
        active.insert(name.clone());
        if let Some(s) = all.get(&name) {
            for dep in service_dependencies(s) {
                if all.contains_key(&dep) && !active.contains(&dep) {
                    stack.push(dep);
                }
            }
        }
    }
    Ok(active)
}

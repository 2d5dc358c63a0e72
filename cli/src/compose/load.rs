//! The loading pipeline: discover → read `.env` → per file (parse, merge keys, interpolate,
//! `extends`, check) → merge files → name the project → normalize → profiles and
//! cross-references (dependencies, networks, volumes, secrets) → [`Project`].

use std::path::Path;

use indexmap::{IndexMap, IndexSet};
use serde_yaml_ng::Value;

use super::error::{ComposeError, Location};
use super::extends::resolve_extends;
use super::graph::did_you_mean;
use super::interpolate::{Env, interpolate_value};
use super::merge::merge_documents;
use super::model::{Network, Project, ServiceNetwork};
use super::normalize::{Ctx, Source, absolute, document, untag};
use super::yaml::{self, find_line};
use super::{COMPOSE_PROFILES, COMPOSE_PROJECT_NAME, LoadOptions, discover, dotenv};

/// One parsed, interpolated file.
pub(super) struct LoadedFile {
    pub source: Source,
    pub value: Value,
}

/// [`super::load`] with an explicit process environment (tests pass their own).
pub(crate) fn load_with_env(opts: &LoadOptions, process_env: Env) -> Result<Project, ComposeError> {
    let mut notes = Vec::new();
    let project_dir = opts.project_dir.clone();
    // `.env` (or --env-file) in the project folder, before discovery: it may set COMPOSE_FILE.
    let env_file = opts
        .env_file
        .as_ref()
        .map(|f| absolute(&project_dir, &f.to_string_lossy(), &process_env));
    let mut env = process_env.clone();
    let mut dotenv_read = false;
    if let Some(f) = &env_file {
        if !f.is_file() {
            return Err(ComposeError::Read {
                path: f.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such env file"),
            });
        }
        env = with_dotenv(f, &process_env)?;
        dotenv_read = true;
    } else if project_dir.join(".env").is_file() {
        env = with_dotenv(&project_dir.join(".env"), &process_env)?;
        dotenv_read = true;
    }
    let (files, discovery_note) = discover::compose_files(&project_dir, &opts.files, &env)?;
    notes.extend(discovery_note);
    let working_dir = files
        .first()
        .and_then(|f| f.parent())
        .map_or_else(|| project_dir.clone(), Path::to_path_buf);
    if !dotenv_read && working_dir != project_dir && working_dir.join(".env").is_file() {
        env = with_dotenv(&working_dir.join(".env"), &process_env)?;
    }

    let mut loaded = Vec::new();
    let mut missing = Vec::new();
    for path in &files {
        let file = load_file(path, &env, &working_dir, &mut missing, &mut notes)?;
        loaded.push(file);
    }
    for var in missing {
        notes.push(format!(
            "variable `{var}` is not set; using an empty string"
        ));
    }

    let mut merged = Value::Null;
    let mut has_services = false;
    for file in &loaded {
        has_services |= file.value.get("services").is_some();
        merge_documents(&mut merged, file.value.clone());
    }
    untag(&mut merged);
    if !has_services {
        return Err(ComposeError::invalid(
            files.first().map(|f| Location {
                file: f.clone(),
                line: None,
                column: None,
            }),
            "no `services:` defined",
        ));
    }

    let name = project_name(opts, &env, &merged, &working_dir)?;
    let sources: Vec<Source> = loaded.into_iter().map(|f| f.source).collect();
    let mut ctx = Ctx::new(&sources, &working_dir, &env);
    let doc = document(&mut ctx, &merged, &name)?;

    let mut project = Project {
        name,
        working_dir: working_dir.clone(),
        config_files: files,
        networks: doc.networks,
        volumes: doc.volumes,
        secrets: doc.secrets,
        configs: doc.configs,
        notes,
        ..Project::default()
    };
    let profiles = enabled_profiles(opts, &env);
    let all = doc.services;
    let active = active_services(&all, &profiles, &opts.explicit_services)?;
    for (name, mut service) in all {
        if !active.contains(&name) {
            project
                .disabled_profiles
                .insert(name.clone(), service.profiles.clone());
            project.disabled_services.push(name);
            continue;
        }
        if service.network_mode.is_none() && service.networks.is_empty() {
            service
                .networks
                .insert("default".into(), ServiceNetwork::default());
        }
        project.services.insert(name, service);
    }
    check_references(&mut project, &ctx)?;
    Ok(project)
}

fn with_dotenv(path: &Path, process_env: &Env) -> Result<Env, ComposeError> {
    let vars = dotenv::read(path, process_env)?;
    let mut env: Env = vars
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    // The process environment wins over `.env`.
    for (k, v) in process_env {
        env.insert(k.clone(), v.clone());
    }
    Ok(env)
}

fn load_file(
    path: &Path,
    env: &Env,
    working_dir: &Path,
    missing: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<LoadedFile, ComposeError> {
    let text = super::text::read(path)?;
    let mut value = yaml::parse(&text, path)?;
    strip_extensions(&mut value);
    let mut key_path = Vec::new();
    interpolate_value(&mut value, env, missing, &mut key_path).map_err(|e| {
        let keys: Vec<&str> = key_path.iter().map(String::as_str).collect();
        ComposeError::Interpolation {
            location: Some(Location {
                file: path.to_path_buf(),
                line: find_line(&text, &keys),
                column: None,
            }),
            message: e.to_string(),
        }
    })?;
    let source = Source {
        path: path.to_path_buf(),
        text,
    };
    resolve_extends(&mut value, &source, env, working_dir, missing)?;
    // Check this file on its own, so errors name the file and line they come from.
    let mut check = value.clone();
    untag(&mut check);
    let sources = [source];
    let mut ctx = Ctx::new(&sources, working_dir, env);
    document(&mut ctx, &check, "")?;
    for n in ctx.notes {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    let [source] = sources;
    Ok(LoadedFile { source, value })
}

/// Drop `x-` keys at the top level and in each service, network, volume, secret, config.
pub(super) fn strip_extensions(value: &mut Value) {
    let Value::Mapping(top) = value else {
        return;
    };
    top.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
    for section in ["services", "networks", "volumes", "secrets", "configs"] {
        if let Some(Value::Mapping(entries)) = top.get_mut(section) {
            entries.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
            for (_, entry) in entries.iter_mut() {
                if let Value::Mapping(m) = entry {
                    m.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
                }
            }
        }
    }
}

/// `-p`, `COMPOSE_PROJECT_NAME`, top-level `name:`, else the folder name normalised.
fn project_name(
    opts: &LoadOptions,
    env: &Env,
    merged: &Value,
    working_dir: &Path,
) -> Result<String, ComposeError> {
    let explicit = opts
        .project_name
        .clone()
        .map(|n| (n, "-p"))
        .or_else(|| {
            env.get(COMPOSE_PROJECT_NAME)
                .filter(|v| !v.is_empty())
                .map(|n| (n.clone(), COMPOSE_PROJECT_NAME))
        })
        .or_else(|| {
            merged
                .get("name")
                .and_then(super::normalize::scalar)
                .filter(|n| !n.is_empty())
                .map(|n| (n, "the top-level `name:`"))
        });
    if let Some((name, from)) = explicit {
        if !valid_project_name(&name) {
            return Err(ComposeError::invalid(
                None,
                format!(
                    "project name `{name}` (from {from}) must be lowercase letters, digits, `_` and `-`, starting with a letter or digit"
                ),
            ));
        }
        return Ok(name);
    }
    let dir = working_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = normalize_project_name(&dir);
    if name.is_empty() {
        return Err(ComposeError::invalid(
            None,
            format!(
                "cannot make a project name from the folder name `{dir}`; pass -p NAME or set `name:` in the compose file"
            ),
        ));
    }
    Ok(name)
}

pub(super) fn valid_project_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Like compose: lowercase, keep `[a-z0-9_-]`, drop leading characters that are not a
/// letter or digit.
pub(crate) fn normalize_project_name(raw: &str) -> String {
    let kept: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

fn enabled_profiles(opts: &LoadOptions, env: &Env) -> Vec<String> {
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
fn active_services(
    all: &IndexMap<String, super::model::Service>,
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
            for dep in super::graph::service_dependencies(s) {
                if all.contains_key(&dep) && !active.contains(&dep) {
                    stack.push(dep);
                }
            }
        }
    }
    Ok(active)
}

/// Cross-checks on the active services: dependencies, networks, volumes, secrets, configs.
fn check_references(project: &mut Project, ctx: &Ctx<'_>) -> Result<(), ComposeError> {
    let loc =
        |path: &[&str]| ctx.location_of(&path.iter().map(ToString::to_string).collect::<Vec<_>>());
    let names: Vec<String> = project.services.keys().cloned().collect();
    let mut uses_default = false;
    for name in &names {
        let Some(service) = project.services.get_mut(name) else {
            continue;
        };
        if service.image.is_none() && service.build.is_none() {
            return Err(ComposeError::invalid(
                loc(&["services", name]),
                format!("service `{name}` has neither `image` nor `build`"),
            ));
        }
        let mut dropped = Vec::new();
        for (dep, d) in &service.depends_on {
            if names.contains(dep) {
                continue;
            }
            let disabled = project.disabled_services.contains(dep);
            if !d.required {
                dropped.push(dep.clone());
                project.notes.push(format!(
                    "service `{name}`: optional dependency `{dep}` is {} and was skipped",
                    if disabled {
                        "not enabled"
                    } else {
                        "not defined"
                    }
                ));
                continue;
            }
            let location = loc(&["services", name, "depends_on", dep]);
            if disabled {
                let profiles = project
                    .disabled_profiles
                    .get(dep)
                    .cloned()
                    .unwrap_or_default();
                return Err(ComposeError::invalid(
                    location,
                    format!(
                        "service `{name}` depends on `{dep}`, which is only enabled with --profile {}",
                        profiles.join(" or --profile ")
                    ),
                ));
            }
            let hint = did_you_mean(dep, names.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ComposeError::invalid(
                location,
                format!("service `{name}` depends on undefined service `{dep}`{hint}"),
            ));
        }
        for dep in dropped {
            service.depends_on.shift_remove(&dep);
        }
        let implicit: Vec<String> = super::graph::service_dependencies(service)
            .into_iter()
            .filter(|d| !service.depends_on.contains_key(d))
            .collect();
        for dep in implicit {
            if !names.contains(&dep) {
                return Err(ComposeError::invalid(
                    loc(&["services", name]),
                    format!(
                        "service `{name}` refers to undefined service `{dep}` (in links, network_mode or volumes_from)"
                    ),
                ));
            }
        }
        for net in service.networks.keys() {
            if net == "default" && !project.networks.contains_key("default") {
                uses_default = true;
                continue;
            }
            if !project.networks.contains_key(net) {
                let hint = did_you_mean(net, project.networks.keys().map(String::as_str))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(ComposeError::invalid(
                    loc(&["services", name, "networks", net]),
                    format!(
                        "service `{name}` uses undefined network `{net}`{hint}; declare it under the top-level `networks:`"
                    ),
                ));
            }
        }
        for vol in &service.volumes {
            if vol.kind != "volume" {
                continue;
            }
            if let Some(src) = &vol.source
                && !project.volumes.contains_key(src)
            {
                return Err(ComposeError::invalid(
                    loc(&["services", name, "volumes"]),
                    format!(
                        "service `{name}` uses undefined volume `{src}`; declare it under the top-level `volumes:`"
                    ),
                ));
            }
        }
        for (kind, refs, declared) in [
            ("secret", &service.secrets, &project.secrets),
            ("config", &service.configs, &project.configs),
        ] {
            for r in refs {
                let Some(obj) = declared.get(&r.source) else {
                    return Err(ComposeError::invalid(
                        loc(&["services", name, &format!("{kind}s")]),
                        format!(
                            "service `{name}` uses undefined {kind} `{}`; declare it under the top-level `{kind}s:`",
                            r.source
                        ),
                    ));
                };
                if let Some(file) = &obj.file
                    && !file.exists()
                {
                    return Err(ComposeError::invalid(
                        loc(&[&format!("{kind}s"), &r.source, "file"]),
                        format!(
                            "{kind} `{}`: file `{}` does not exist",
                            r.source,
                            file.display()
                        ),
                    ));
                }
            }
        }
    }
    if uses_default {
        project.networks.insert(
            "default".into(),
            Network {
                name: format!("{}_default", project.name),
                ..Network::default()
            },
        );
    }
    Ok(())
}

//! The loading pipeline: discover → read `.env` → per file (parse, merge keys, interpolate,
//! `extends`, check) → merge files → name the project → normalize → profiles and
//! cross-references (dependencies, networks, volumes, secrets) → [`Project`].

use std::path::{Path, PathBuf};

use indexmap::{IndexMap, IndexSet};
use serde_yaml_ng::Value;

use super::error::{ComposeError, Location};
use super::extends::resolve_extends;
use super::interpolate::{Env, interpolate_value};
use super::merge::merge_documents;
use super::model::{Project, Service, ServiceNetwork, ServiceVolume};
use super::normalize::{Ctx, Source, absolute, document, untag};
use super::profiles::{active_services, enabled_profiles};
use super::project_name::project_name;
use super::references::check_references;
use super::yaml::{self, find_line};
use super::{LoadOptions, discover, dotenv, include};

/// One parsed, interpolated file, its `include`s imported.
pub(super) struct LoadedFile {
    pub source: Source,
    pub value: Value,
    /// The files its `include:` read (for error lines).
    pub included: Vec<Source>,
}

/// [`super::load`] with an explicit process environment (tests pass their own).
pub(crate) fn load_with_env(opts: &LoadOptions, process_env: Env) -> Result<Project, ComposeError> {
    let mut notes = Vec::new();
    let project_dir = &opts.project_dir;
    let (mut env, dotenv_read) = project_env(opts, &process_env)?;
    let (files, discovery_note) = discover::compose_files(project_dir, &opts.files, &env)?;
    notes.extend(discovery_note);
    let working_dir = files
        .first()
        .and_then(|f| f.parent())
        .map_or_else(|| project_dir.clone(), Path::to_path_buf);
    // Without one in the project folder, the `.env` next to the (first) compose file.
    if !dotenv_read && working_dir != *project_dir && working_dir.join(".env").is_file() {
        env = with_dotenv(&working_dir.join(".env"), &process_env)?;
    }
    let loaded = load_files(&files, &env, &working_dir, &mut notes)?;
    let merged = merge_files(&loaded, &files)?;

    let name = project_name(opts, &env, &merged, &working_dir)?;
    let sources: Vec<Source> = loaded
        .into_iter()
        .flat_map(|f| std::iter::once(f.source).chain(f.included))
        .collect();
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
    let active = active_services(&doc.services, &profiles, &opts.explicit_services)?;
    add_services(&mut project, doc.services, &active);
    check_references(&mut project, &ctx)?;
    drop_unused_resources(&mut project);
    Ok(project)
}

/// The environment for interpolation: the process's over `.env` (or `--env-file`) in the
/// project folder, read before discovery as it may set `COMPOSE_FILE`. Also says whether a
/// dotenv file was read.
fn project_env(opts: &LoadOptions, process_env: &Env) -> Result<(Env, bool), ComposeError> {
    let project_dir = &opts.project_dir;
    if let Some(f) = &opts.env_file {
        let f = absolute(project_dir, &f.to_string_lossy(), process_env);
        if !f.is_file() {
            return Err(ComposeError::Read {
                path: f,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such env file"),
            });
        }
        return Ok((with_dotenv(&f, process_env)?, true));
    }
    if project_dir.join(".env").is_file() {
        return Ok((with_dotenv(&project_dir.join(".env"), process_env)?, true));
    }
    Ok((process_env.clone(), false))
}

/// Each file parsed, interpolated and checked on its own; a note per unset variable.
fn load_files(
    files: &[PathBuf],
    env: &Env,
    working_dir: &Path,
    notes: &mut Vec<String>,
) -> Result<Vec<LoadedFile>, ComposeError> {
    let mut loaded = Vec::new();
    let mut missing = Vec::new();
    for path in files {
        let mut read = Reading {
            missing: &mut missing,
            notes,
        };
        loaded.push(load_file(path, env, working_dir, &[], &mut read)?);
    }
    for var in missing {
        notes.push(format!(
            "variable `{var}` is not set; using an empty string"
        ));
    }
    Ok(loaded)
}

/// The files merged in order (later ones override); at least one must define `services:`.
fn merge_files(loaded: &[LoadedFile], files: &[PathBuf]) -> Result<Value, ComposeError> {
    let mut merged = Value::Null;
    let mut has_services = false;
    for file in loaded {
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
    Ok(merged)
}

/// Active services go into the project (on the `default` network unless they name their
/// networking); the others are recorded as disabled, with their profiles.
fn add_services(project: &mut Project, all: IndexMap<String, Service>, active: &IndexSet<String>) {
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
}

/// As compose does (`WithoutUnnecessaryResources`), keep only the networks, named volumes,
/// secrets and configs an active service uses: one only a disabled profile's service uses
/// is neither created nor listed.
fn drop_unused_resources(project: &mut Project) {
    let mut networks = IndexSet::new();
    let mut volumes = IndexSet::new();
    let mut secrets = IndexSet::new();
    let mut configs = IndexSet::new();
    for s in project.services.values() {
        networks.extend(s.networks.keys().cloned());
        volumes.extend(
            s.volumes
                .iter()
                .filter(|v| v.kind == ServiceVolume::VOLUME)
                .filter_map(|v| v.source.clone()),
        );
        secrets.extend(s.secrets.iter().map(|r| r.source.clone()));
        configs.extend(s.configs.iter().map(|r| r.source.clone()));
    }
    project.networks.retain(|k, _| networks.contains(k));
    project.volumes.retain(|k, _| volumes.contains(k));
    project.secrets.retain(|k, _| secrets.contains(k));
    project.configs.retain(|k, _| configs.contains(k));
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

/// What loading files collects along the way.
struct Reading<'a> {
    /// Variables used but not set.
    missing: &'a mut Vec<String>,
    notes: &'a mut Vec<String>,
}

/// Parse, interpolate, resolve `extends` and `include`, and check one file on its own.
/// `chain`: the files that include this one (to refuse a cycle).
fn load_file(
    path: &Path,
    env: &Env,
    working_dir: &Path,
    chain: &[PathBuf],
    read: &mut Reading<'_>,
) -> Result<LoadedFile, ComposeError> {
    let missing = &mut *read.missing;
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
    let included = include::apply_include(
        &mut value,
        path,
        env,
        working_dir,
        chain,
        &mut |file, env, dir, chain| {
            let f = load_file(file, env, dir, chain, read)?;
            let mut sources = vec![f.source];
            sources.extend(f.included);
            Ok((f.value, sources))
        },
    )?;
    // Check this file on its own, so errors name the file and line they come from.
    let mut check = value.clone();
    untag(&mut check);
    let mut sources = vec![source];
    sources.extend(included);
    let mut ctx = Ctx::new(&sources, working_dir, env);
    document(&mut ctx, &check, "")?;
    for n in ctx.notes {
        if !read.notes.contains(&n) {
            read.notes.push(n);
        }
    }
    let source = sources.remove(0);
    Ok(LoadedFile {
        source,
        value,
        included: sources,
    })
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

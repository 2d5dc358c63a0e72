//! The top-level `include:` (Compose 2.20+): other compose files loaded as projects of their
//! own and their resources imported. As in compose, each included file has its own project
//! directory (the folder of its first file, or `project_directory`), its relative paths
//! resolve against it, and it is interpolated with the including file's variables plus its
//! own env files (`env_file`, else the `.env` in its project directory; the including
//! side's variables win). A service, network, volume, secret or config that both define
//! differently is an error, and so is an include cycle.

use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

use super::error::{ComposeError, Location};
use super::interpolate::Env;
use super::merge::merge_documents;
use super::normalize::{Source, absolute, key_string, scalar};
use super::{dotenv, paths};

/// Loads one compose file (parse, interpolate with the given variables, `extends`, nested
/// `include`, check) relative to a project directory, with the chain of including files;
/// returns its value and the sources it read (for error lines).
pub(super) type LoadOne<'a> =
    dyn FnMut(&Path, &Env, &Path, &[PathBuf]) -> Result<(Value, Vec<Source>), ComposeError> + 'a;

/// One `include:` entry.
struct Include {
    paths: Vec<PathBuf>,
    project_directory: PathBuf,
    env_files: Vec<PathBuf>,
}

/// Replace `include:` in `doc` (read from `file`, whose project directory is `working_dir`)
/// by the resources of the files it names. Returns the sources read.
pub(super) fn apply_include(
    doc: &mut Value,
    file: &Path,
    env: &Env,
    working_dir: &Path,
    chain: &[PathBuf],
    load: &mut LoadOne<'_>,
) -> Result<Vec<Source>, ComposeError> {
    let Value::Mapping(top) = doc else {
        return Ok(Vec::new());
    };
    let Some(entries) = top.remove("include") else {
        return Ok(Vec::new());
    };
    let err = |message: String| ComposeError::invalid(location(file), message);
    let Value::Sequence(entries) = entries else {
        return Err(err("`include` must be a list".into()));
    };
    let mut sources = Vec::new();
    for entry in &entries {
        let inc = parse_entry(entry, working_dir, env).map_err(&err)?;
        for path in &inc.paths {
            if path == file || chain.contains(path) {
                let mut cycle: Vec<String> =
                    chain.iter().map(|p| p.display().to_string()).collect();
                cycle.push(path.display().to_string());
                return Err(err(format!(
                    "include cycle detected: {}",
                    cycle.join(" includes ")
                )));
            }
        }
        let inc_env = include_env(env, &inc)?;
        let mut chain = chain.to_vec();
        chain.push(file.to_path_buf());
        let mut imported = Value::Null;
        for path in &inc.paths {
            let (value, read) = load(path, &inc_env, &inc.project_directory, &chain)?;
            sources.extend(read);
            if matches!(imported, Value::Null) {
                imported = value;
            } else {
                merge_documents(&mut imported, value);
            }
        }
        paths::resolve_relative_paths(&mut imported, &inc.project_directory, &inc_env);
        import_resources(doc, imported).map_err(&err)?;
    }
    Ok(sources)
}

fn location(file: &Path) -> Option<Location> {
    Some(Location {
        file: file.to_path_buf(),
        line: None,
        column: None,
    })
}

fn parse_entry(entry: &Value, working_dir: &Path, env: &Env) -> Result<Include, String> {
    let resolve = |p: &str| absolute(working_dir, p, env);
    let (paths, project_directory, env_files) = match entry {
        Value::Mapping(m) => {
            let mut paths = Vec::new();
            let mut dir = None;
            let mut env_files = Vec::new();
            for (k, v) in m {
                match key_string(k).as_str() {
                    "path" => paths = string_list(v, "path")?,
                    "project_directory" => dir = scalar(v),
                    "env_file" => env_files = string_list(v, "env_file")?,
                    other => {
                        return Err(format!(
                            "unknown key `{other}` in an `include` entry (expected path, project_directory, env_file)"
                        ));
                    }
                }
            }
            (paths, dir, env_files)
        }
        other => (
            vec![scalar(other).ok_or("an `include` entry must be a path or a mapping")?],
            None,
            Vec::new(),
        ),
    };
    let paths: Vec<PathBuf> = paths.iter().map(|p| resolve(p)).collect();
    let first = paths
        .first()
        .ok_or("an `include` entry needs a `path`")?
        .clone();
    let project_directory = match project_directory {
        Some(d) => resolve(&d),
        None => first
            .parent()
            .map_or_else(|| working_dir.to_path_buf(), Path::to_path_buf),
    };
    let env_files = if env_files.is_empty() {
        let dotenv = project_directory.join(".env");
        if dotenv.is_file() {
            vec![dotenv]
        } else {
            Vec::new()
        }
    } else {
        env_files.iter().map(|f| resolve(f)).collect()
    };
    Ok(Include {
        paths,
        project_directory,
        env_files,
    })
}

fn string_list(v: &Value, key: &str) -> Result<Vec<String>, String> {
    match v {
        Value::Sequence(items) => items
            .iter()
            .map(|i| scalar(i).ok_or_else(|| format!("`{key}` must be a list of strings")))
            .collect(),
        other => {
            Ok(vec![scalar(other).ok_or_else(|| {
                format!("`{key}` must be a string or a list")
            })?])
        }
    }
}

/// The including side's variables, plus those of the include's env files it does not set.
fn include_env(env: &Env, inc: &Include) -> Result<Env, ComposeError> {
    let mut out = env.clone();
    for file in &inc.env_files {
        if !file.is_file() {
            return Err(ComposeError::Read {
                path: file.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "env_file of an `include` not found",
                ),
            });
        }
        for (k, v) in dotenv::read(file, &out)? {
            if let Some(v) = v {
                out.entry(k).or_insert(v);
            }
        }
    }
    Ok(out)
}

/// Add the included resources to `doc`; one already there must be identical.
fn import_resources(doc: &mut Value, imported: Value) -> Result<(), String> {
    let Value::Mapping(top) = doc else {
        return Ok(());
    };
    let Value::Mapping(mut imported) = imported else {
        return Ok(());
    };
    for kind in ["services", "volumes", "networks", "secrets", "configs"] {
        let Some(Value::Mapping(from)) = imported.remove(kind) else {
            continue;
        };
        let to = top
            .entry(Value::from(kind))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if matches!(to, Value::Null) {
            *to = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(to) = to else {
            continue;
        };
        for (name, value) in from {
            match to.get(&name) {
                Some(existing) if *existing == value => {}
                Some(_) => {
                    return Err(format!(
                        "{kind}.{} conflicts with imported resource",
                        key_string(&name)
                    ));
                }
                None => {
                    to.insert(name, value);
                }
            }
        }
    }
    Ok(())
}

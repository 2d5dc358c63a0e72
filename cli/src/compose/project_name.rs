//! The project's name: `-p`, `COMPOSE_PROJECT_NAME`, the top-level `name:`, else the folder
//! name normalised as compose does.

use std::path::Path;

use serde_yaml_ng::Value;

use super::error::ComposeError;
use super::interpolate::Env;
use super::{COMPOSE_PROJECT_NAME, LoadOptions};

/// `-p`, `COMPOSE_PROJECT_NAME`, top-level `name:`, else the folder name normalised.
pub(super) fn project_name(
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

//! Finding the compose files: `-f`, else `COMPOSE_FILE`, else `compose.yaml` (and its
//! variants) in the project folder or the nearest parent folder that has one, plus the
//! override file beside it.

use std::path::{Path, PathBuf};

use super::error::ComposeError;
use super::interpolate::Env;
use super::normalize::absolute;
use super::{COMPOSE_FILE, COMPOSE_PATH_SEPARATOR};

/// Candidate names, in compose's order of preference.
pub(crate) const FILE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Override files merged automatically after the discovered file (the first that exists).
pub(crate) const OVERRIDE_NAMES: &[&str] = &[
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// The compose files to load, absolute, in merge order; plus a note when several candidate
/// names exist side by side.
pub(super) fn compose_files(
    project_dir: &Path,
    explicit: &[PathBuf],
    env: &Env,
) -> Result<(Vec<PathBuf>, Option<String>), ComposeError> {
    let named = named_files(explicit, env);
    if !named.is_empty() {
        return Ok((existing_files(project_dir, named, env)?, None));
    }
    let mut dir = Some(project_dir);
    while let Some(d) = dir {
        // A compose name that is a folder is a mistake worth naming, not a reason to look
        // further up.
        if let Some(folder) = FILE_NAMES.iter().map(|n| d.join(n)).find(|p| p.is_dir()) {
            return Err(ComposeError::Read {
                path: folder,
                source: folder_error(),
            });
        }
        if let Some(found) = files_in(d) {
            return Ok(found);
        }
        dir = d.parent();
    }
    Err(ComposeError::NotFound {
        dir: project_dir.to_path_buf(),
    })
}

/// `-f` files, else the `COMPOSE_FILE` list (split on `COMPOSE_PATH_SEPARATOR`, default `:`).
fn named_files(explicit: &[PathBuf], env: &Env) -> Vec<PathBuf> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
    let Some(list) = env.get(COMPOSE_FILE).filter(|v| !v.trim().is_empty()) else {
        return Vec::new();
    };
    let sep = env
        .get(COMPOSE_PATH_SEPARATOR)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| ":".into());
    list.split(sep.as_str())
        .filter(|s| !s.trim().is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Named files made absolute, each once; every one must exist.
fn existing_files(
    project_dir: &Path,
    named: Vec<PathBuf>,
    env: &Env,
) -> Result<Vec<PathBuf>, ComposeError> {
    let mut out = Vec::new();
    for f in named {
        let abs = absolute(project_dir, &f.to_string_lossy(), env);
        if !abs.is_file() {
            let source = if abs.is_dir() {
                folder_error()
            } else {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
            };
            return Err(ComposeError::Read { path: abs, source });
        }
        if !out.contains(&abs) {
            out.push(abs);
        }
    }
    Ok(out)
}

fn folder_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a folder, not a file")
}

/// The first standard compose file in `dir` and its override, if it has one.
fn files_in(dir: &Path) -> Option<(Vec<PathBuf>, Option<String>)> {
    let found: Vec<PathBuf> = FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    let first = found.first()?;
    let note = (found.len() > 1).then(|| {
        format!(
            "found several compose files in `{}`; using `{}`",
            dir.display(),
            first.file_name().unwrap_or_default().to_string_lossy()
        )
    });
    let mut files = vec![first.clone()];
    if let Some(o) = OVERRIDE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    {
        files.push(o);
    }
    Some((files, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_up_and_finds_override() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join("docker-compose.yml"), "services: {}\n").unwrap();
        std::fs::write(root.join("compose.override.yml"), "services: {}\n").unwrap();
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let (files, note) = compose_files(&sub, &[], &Env::new()).unwrap();
        assert_eq!(
            files,
            vec![
                root.join("docker-compose.yml"),
                root.join("compose.override.yml")
            ]
        );
        assert!(note.is_none());
    }

    #[test]
    fn prefers_compose_yaml_and_notes_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("compose.yaml"), "").unwrap();
        std::fs::write(tmp.path().join("docker-compose.yml"), "").unwrap();
        let (files, note) = compose_files(tmp.path(), &[], &Env::new()).unwrap();
        assert_eq!(files, vec![tmp.path().join("compose.yaml")]);
        assert!(note.unwrap().contains("several"));
    }

    #[test]
    fn compose_file_variable_and_missing_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.yml"), "").unwrap();
        std::fs::write(tmp.path().join("b.yml"), "").unwrap();
        let mut env = Env::new();
        env.insert(COMPOSE_FILE.into(), "a.yml:b.yml".into());
        let (files, _) = compose_files(tmp.path(), &[], &env).unwrap();
        assert_eq!(files.len(), 2);
        let err = compose_files(tmp.path(), &[PathBuf::from("nope.yml")], &env).unwrap_err();
        assert!(matches!(err, ComposeError::Read { .. }));
    }
}

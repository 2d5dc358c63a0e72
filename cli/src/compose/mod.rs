//! The compose model: discover, parse, interpolate, merge, validate. Pure: no engine calls.
//!
//! [`load`] turns compose files into a resolved [`Project`] (see `model`); the engine in
//! `docker/` consumes it and `devenv config` prints it. See docs/compose.md for the subset.

pub(crate) mod compose_json;
mod discover;
mod dotenv;
pub(crate) mod duration;
mod error;
mod extends;
mod graph;
mod include;
mod interpolate;
mod load;
mod merge;
pub(crate) mod model;
mod normalize;
mod paths;
mod profiles;
mod project_name;
mod references;
mod shellwords;
mod text;
mod volume_spec;
mod yaml;

use std::path::PathBuf;

pub(crate) use error::ComposeError;
pub(crate) use graph::service_dependencies;
pub(crate) use model::*;

// The variables compose reads; documented with the others in `env_vars`.
pub(crate) use crate::env_vars::{
    COMPOSE_FILE, COMPOSE_PATH_SEPARATOR, COMPOSE_PROFILES, COMPOSE_PROJECT_NAME,
};

/// Marks a note in [`Project::notes`] that is a warning: the file does not do what it seems
/// to (a shell operator in a shell-form `command:`).
pub(crate) const WARNING: &str = "warning: ";

/// What to load and how.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// Absolute folder to discover compose files from (and walk up from).
    pub project_dir: PathBuf,
    /// `-f` files, relative to `project_dir`; empty: `COMPOSE_FILE`, else discovery.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--profile`; empty: `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// `--env-file`; default `.env` in the project folder.
    pub env_file: Option<PathBuf>,
    /// Services named on the command line (`up web`): active even when their profiles are
    /// not enabled, and so are the services they depend on.
    pub explicit_services: Vec<String>,
}

impl LoadOptions {
    pub(crate) fn from_settings(s: &crate::settings::Settings) -> Self {
        Self {
            project_dir: s.project_dir.clone(),
            files: s.global.files.clone(),
            project_name: s.global.project_name.clone(),
            profiles: s.global.profiles.clone(),
            env_file: s.global.env_file.clone(),
            explicit_services: Vec::new(),
        }
    }

    /// The same options with services named on the command line.
    pub(crate) fn with_services(mut self, services: &[String]) -> Self {
        self.explicit_services = services.to_vec();
        self
    }
}

/// Discover, parse, interpolate, merge and normalize the project's compose files.
/// Reads the process environment itself (`std::env::vars`) plus `.env`.
pub(crate) fn load(opts: &LoadOptions) -> Result<Project, ComposeError> {
    load::load_with_env(opts, std::env::vars().collect())
}

impl Project {
    /// Services to start for `up [SERVICE...]`: the named ones plus their transitive
    /// `depends_on` (empty = all), grouped by level: every service in level n depends only
    /// on services in earlier levels. Unknown names get a "did you mean"; cycles are named.
    pub(crate) fn start_levels(
        &self,
        selected: &[String],
    ) -> Result<Vec<Vec<String>>, ComposeError> {
        graph::start_levels(self, selected)
    }

    /// `up --scale SERVICE=N`: run N containers of the service, whatever its `scale` or
    /// `deploy.replicas` say (compose's `SetScale`).
    pub(crate) fn set_scale(&mut self, name: &str, replicas: u32) -> Result<(), ComposeError> {
        self.service(name)?;
        let Some(service) = self.services.get_mut(name) else {
            return Ok(());
        };
        if replicas > 1 && service.container_name.is_some() {
            return Err(ComposeError::invalid(
                None,
                format!(
                    "service `{name}` sets `container_name`, so it cannot run {replicas} containers (their names must differ)"
                ),
            ));
        }
        service.scale = Some(replicas);
        if let Some(deploy) = &mut service.deploy {
            deploy.replicas = Some(replicas);
        }
        Ok(())
    }

    /// Keep only `services` and what they depend on (`devenv config web`).
    pub(crate) fn keep_only(&mut self, services: &[String]) -> Result<(), ComposeError> {
        let keep: Vec<String> = self.start_levels(services)?.into_iter().flatten().collect();
        self.services.retain(|name, _| keep.contains(name));
        Ok(())
    }

    /// Every profile any service uses, enabled or not, sorted.
    pub(crate) fn profiles(&self) -> Vec<&String> {
        let mut profiles: Vec<&String> = self
            .services
            .values()
            .flat_map(|s| s.profiles.iter())
            .chain(self.disabled_profiles.values().flatten())
            .collect();
        profiles.sort();
        profiles.dedup();
        profiles
    }

    /// One service by name, with a "did you mean" when there is none.
    pub(crate) fn service(&self, name: &str) -> Result<&Service, ComposeError> {
        self.services
            .get(name)
            .ok_or_else(|| graph::unknown_service(self, name))
    }
}

#[cfg(test)]
mod tests;

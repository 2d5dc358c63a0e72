//! Every environment variable devenv reads, in one place (as uv's `env_vars.rs`).
//! Compose's own variables are listed too, since devenv honours them like compose does.

/// Project name, as compose: `-p` wins, then this, then `name:` in the file, then the folder.
pub(crate) const COMPOSE_PROJECT_NAME: &str = "COMPOSE_PROJECT_NAME";
/// Comma-separated profiles to enable, as compose.
pub(crate) const COMPOSE_PROFILES: &str = "COMPOSE_PROFILES";
/// Compose files, separated by `COMPOSE_PATH_SEPARATOR` (default `:`), as compose.
pub(crate) const COMPOSE_FILE: &str = "COMPOSE_FILE";
/// Separator for `COMPOSE_FILE`.
pub(crate) const COMPOSE_PATH_SEPARATOR: &str = "COMPOSE_PATH_SEPARATOR";
/// Where the Docker engine listens (`unix:///var/run/docker.sock`, `tcp://host:2375`).
pub(crate) const DOCKER_HOST: &str = "DOCKER_HOST";
/// Disable colour when set to anything non-empty (<https://no-color.org>).
pub(crate) const NO_COLOR: &str = "NO_COLOR";
/// Set by CI systems; progress bars are off when it is set.
pub(crate) const CI: &str = "CI";
/// Diagnostics filter for `tracing` (`DEVENV_LOG=devenv=debug`); `-v` sets `devenv=debug`.
pub(crate) const DEVENV_LOG: &str = "DEVENV_LOG";
/// Connection string for `devenv db …` when `--database-url` is not given.
pub(crate) const DATABASE_URL: &str = "DATABASE_URL";
/// Comma-separated `PREFIX=REPLACEMENT` pairs that rewrite vendored-asset URLs at fetch time.
pub(crate) const DEVENV_VENDOR_MIRRORS: &str = "DEVENV_VENDOR_MIRRORS";
/// Base URL of the npm registry used by `devenv vendor outdated/update`.
pub(crate) const DEVENV_NPM_REGISTRY: &str = "DEVENV_NPM_REGISTRY";

//! The only code that touches bollard: one facade ([`Engine`]) over the Docker Engine API.
//!
//! Small async functions, one error variant per operation carrying the resource's name
//! (as testcontainers-rs `core/client.rs`). Callers never see bollard types except the
//! container-create body built in `spec/`.
//!
//! API used by the rest of devenv:
//! - [`Engine::connect`]: `DOCKER_HOST` or the default socket, a 5 s ping, API negotiation.
//! - containers (`containers.rs`): `project_containers`, `create_container`, `start`, `stop`,
//!   `remove`, `inspect`, `wait_exit`, `container_logs_tail`.
//! - `images.rs`: `image_id`, `pull`, `build` (its context tar in `build_context.rs`).
//! - `resources.rs`: networks and volumes, labelled like compose.
//! - `streams.rs`: `logs` (follow, multiplexed by the caller), `exec` (TTY or not; exit code),
//!   `events` for health and exits.
//! - `spec/`: compose service → container create body, and compose's labels.

mod archive;
mod build_context;
mod containers;
mod drift;
mod error;
mod images;
mod resources;
pub(crate) mod spec;
mod streams;

use std::time::Duration;

use bollard::Docker;

pub(crate) use containers::RunState;
pub(crate) use containers::{ContainerInfo, ContainerState};
pub(crate) use error::DockerError;
pub(crate) use images::BuildRequest;
pub(crate) use resources::{NetworkRequest, VolumeRequest};
pub(crate) use streams::{ContainerEvent, ExecRequest, LogStream};

/// Where devenv looks for the engine when `DOCKER_HOST` is unset.
pub(crate) const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// How long to wait for the engine to answer a ping before saying it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connected engine with a negotiated API version. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    docker: Docker,
    host: String,
}

impl Engine {
    /// Connect through `DOCKER_HOST` or the default socket and negotiate the API version.
    pub(crate) async fn connect() -> Result<Self, DockerError> {
        let host = std::env::var(crate::env_vars::DOCKER_HOST)
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
        let docker = Docker::connect_with_host(&host)
            .map_err(|source| DockerError::Connect {
                host: host.clone(),
                source,
            })?
            .with_timeout(Duration::from_secs(600));
        let negotiated = tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| DockerError::ConnectTimeout { host: host.clone() })?
            .map_err(|source| DockerError::Connect {
                host: host.clone(),
                source,
            })?;
        Ok(Self {
            docker: negotiated,
            host,
        })
    }

    /// Where we connected (for messages).
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The negotiated API version, e.g. `1.41`.
    pub(crate) fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    /// The engine's own version string, e.g. `20.10.24`.
    pub(crate) async fn server_version(&self) -> Result<String, DockerError> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|source| DockerError::Version { source })?;
        Ok(v.version.unwrap_or_else(|| "unknown".into()))
    }

    pub(crate) fn api(&self) -> &Docker {
        &self.docker
    }
}

//! Containers: list a project's, create, start, stop, remove, inspect.

use std::collections::HashMap;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, ListContainersOptions, LogsOptions,
    RemoveContainerOptions, StartContainerOptions, StopContainerOptions,
};
use futures_util::StreamExt;
use serde::Serialize;

use super::spec::labels;
use super::{DockerError, Engine};

/// A container's lifecycle state, as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl ContainerState {
    fn parse(s: &str) -> Self {
        match s {
            "created" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "removing" => Self::Removing,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            _ => Self::Unknown,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
        }
    }
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PortBinding {
    #[serde(rename = "URL", skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "TargetPort")]
    pub target: u16,
    #[serde(rename = "PublishedPort", skip_serializing_if = "Option::is_none")]
    pub published: Option<u16>,
    #[serde(rename = "Protocol")]
    pub protocol: String,
}

/// One container of a project, from the engine's list (labels decoded).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ContainerInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Project")]
    pub project: String,
    #[serde(rename = "Service")]
    pub service: String,
    #[serde(rename = "Number")]
    pub number: u32,
    #[serde(skip)]
    pub oneoff: bool,
    #[serde(skip)]
    pub config_hash: Option<String>,
    #[serde(skip)]
    pub image_id_label: Option<String>,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "State")]
    pub state: ContainerState,
    /// The engine's human status, e.g. `Up 3 minutes (healthy)`.
    #[serde(rename = "Status")]
    pub status: String,
    /// `healthy`, `unhealthy`, `starting`, or empty when there is no healthcheck.
    #[serde(rename = "Health")]
    pub health: String,
    #[serde(rename = "Publishers")]
    pub ports: Vec<PortBinding>,
    #[serde(skip)]
    pub labels: HashMap<String, String>,
}

/// What `inspect` tells about a container's run state.
#[derive(Debug, Clone)]
pub(crate) struct RunState {
    pub state: ContainerState,
    pub exit_code: Option<i64>,
    /// `healthy` / `unhealthy` / `starting`, or None without a healthcheck.
    pub health: Option<String>,
    /// The last healthcheck outputs, oldest first.
    pub health_log: Vec<String>,
    pub error: Option<String>,
}

fn health_from_status(status: &str) -> String {
    for h in ["healthy", "unhealthy", "health: starting"] {
        if status.contains(&format!("({h})")) {
            return h.trim_start_matches("health: ").to_string();
        }
    }
    String::new()
}

impl Engine {
    /// Every container of a project (running or not when `all`), one-offs included.
    pub(crate) async fn project_containers(
        &self,
        project: &str,
        all: bool,
    ) -> Result<Vec<ContainerInfo>, DockerError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        self.list_containers(filters, all)
            .await
            .map_err(|source| DockerError::ListContainers {
                project: project.to_string(),
                source,
            })
    }

    /// Every container (any project) publishing `port` on the host.
    pub(crate) async fn containers_publishing(
        &self,
        port: u16,
    ) -> Result<Vec<ContainerInfo>, DockerError> {
        let filters = HashMap::from([("publish".to_string(), vec![port.to_string()])]);
        self.list_containers(filters, false)
            .await
            .map_err(|source| DockerError::ListContainers {
                project: format!("(publishing {port})"),
                source,
            })
    }

    async fn list_containers(
        &self,
        filters: HashMap<String, Vec<String>>,
        all: bool,
    ) -> Result<Vec<ContainerInfo>, bollard::errors::Error> {
        let opts = ListContainersOptions {
            all,
            filters: Some(filters),
            ..Default::default()
        };
        let list = self.api().list_containers(Some(opts)).await?;
        Ok(list.into_iter().map(container_info).collect())
    }

    /// Create a container (for `platform`, e.g. `linux/amd64`, when given); returns its id.
    pub(crate) async fn create_container(
        &self,
        name: &str,
        body: ContainerCreateBody,
        platform: Option<&str>,
    ) -> Result<String, DockerError> {
        let opts = CreateContainerOptions {
            name: Some(name.to_string()),
            platform: platform.unwrap_or_default().to_string(),
        };
        let resp = self
            .api()
            .create_container(Some(opts), body)
            .await
            .map_err(|source| DockerError::CreateContainer {
                name: name.to_string(),
                source,
            })?;
        Ok(resp.id)
    }

    pub(crate) async fn start(&self, name: &str) -> Result<(), DockerError> {
        self.api()
            .start_container(name, None::<StartContainerOptions>)
            .await
            .map_err(|source| DockerError::StartContainer {
                name: name.to_string(),
                source,
            })
    }

    /// Stop with the container's own stop signal; SIGKILL after `timeout_secs`.
    pub(crate) async fn stop(&self, name: &str, timeout_secs: i32) -> Result<(), DockerError> {
        let opts = StopContainerOptions {
            t: Some(timeout_secs),
            signal: None,
        };
        match self.api().stop_container(name, Some(opts)).await {
            Ok(()) => Ok(()),
            // 304: already stopped; 404: already gone. Both are the state we wanted.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304 | 404,
                ..
            }) => Ok(()),
            Err(source) => Err(DockerError::StopContainer {
                name: name.to_string(),
                source,
            }),
        }
    }

    /// Remove a container (forcefully when `force`), with its anonymous volumes when `volumes`.
    pub(crate) async fn remove(
        &self,
        name: &str,
        force: bool,
        volumes: bool,
    ) -> Result<(), DockerError> {
        let opts = RemoveContainerOptions {
            force,
            v: volumes,
            link: false,
        };
        match self.api().remove_container(name, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(source) => Err(DockerError::RemoveContainer {
                name: name.to_string(),
                source,
            }),
        }
    }

    pub(super) async fn inspect(
        &self,
        name: &str,
    ) -> Result<bollard::models::ContainerInspectResponse, DockerError> {
        self.api()
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
            .map_err(|source| DockerError::InspectContainer {
                name: name.to_string(),
                source,
            })
    }

    /// The container's current run state and health.
    pub(crate) async fn run_state(&self, name: &str) -> Result<RunState, DockerError> {
        let info = self.inspect(name).await?;
        let state = info.state.unwrap_or_default();
        let health = state
            .health
            .as_ref()
            .and_then(|h| h.status.map(|s| s.to_string()));
        let health = health.filter(|h| !h.is_empty() && h != "none");
        let health_log = state
            .health
            .and_then(|h| h.log)
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                format!(
                    "exit {}: {}",
                    r.exit_code.unwrap_or(-1),
                    r.output.unwrap_or_default().trim()
                )
            })
            .collect();
        Ok(RunState {
            state: ContainerState::parse(&state.status.map(|s| s.to_string()).unwrap_or_default()),
            exit_code: state.exit_code,
            health,
            health_log,
            error: state.error.filter(|e| !e.is_empty()),
        })
    }

    /// The anonymous volumes mounted in a container, as (volume name, mount path): what a
    /// recreated container inherits, as compose does.
    pub(crate) async fn anonymous_volumes(
        &self,
        name: &str,
    ) -> Result<Vec<(String, String)>, DockerError> {
        let info = self.inspect(name).await?;
        let anonymous = |n: &str| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit());
        Ok(info
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| match (m.name, m.destination) {
                (Some(n), Some(d)) if anonymous(&n) => Some((n, d)),
                _ => None,
            })
            .collect())
    }

    /// The last `n` lines the container printed (stdout and stderr), for error reports.
    pub(crate) async fn container_logs_tail(
        &self,
        name: &str,
        n: usize,
    ) -> Result<Vec<String>, DockerError> {
        let opts = LogsOptions {
            stdout: true,
            stderr: true,
            tail: n.to_string(),
            ..Default::default()
        };
        let mut stream = self.api().logs(name, Some(opts));
        let mut text = String::new();
        while let Some(item) = stream.next().await {
            let chunk = item.map_err(|source| DockerError::Logs {
                name: name.to_string(),
                source,
            })?;
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        Ok(text.lines().map(str::to_string).collect())
    }
}

fn container_info(c: bollard::models::ContainerSummary) -> ContainerInfo {
    let labels = c.labels.unwrap_or_default();
    let get = |k: &str| labels.get(k).cloned();
    let name = c
        .names
        .and_then(|n| n.into_iter().next())
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_default();
    let status = c.status.unwrap_or_default();
    let mut ports: Vec<PortBinding> = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let protocol = p.typ.map_or_else(|| "tcp".into(), |t| t.to_string());
            let url = p.public_port.map(|port| {
                let ip = match p.ip.as_deref() {
                    None | Some("" | "0.0.0.0") => "127.0.0.1".to_string(),
                    Some("::") => "[::1]".to_string(),
                    Some(ip) if ip.contains(':') => format!("[{ip}]"),
                    Some(ip) => ip.to_string(),
                };
                format!("{ip}:{port}")
            });
            PortBinding {
                url,
                target: p.private_port,
                published: p.public_port,
                protocol,
            }
        })
        .collect();
    // The engine lists IPv4 and IPv6 bindings separately; one line per published port is enough.
    ports.sort_by_key(|p| (p.target, p.published));
    ports.dedup_by(|a, b| {
        a.target == b.target && a.published == b.published && a.protocol == b.protocol
    });
    ContainerInfo {
        id: c.id.unwrap_or_default(),
        project: get(labels::PROJECT).unwrap_or_default(),
        service: get(labels::SERVICE).unwrap_or_default(),
        number: get(labels::CONTAINER_NUMBER)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        oneoff: get(labels::ONEOFF).is_some_and(|v| v.eq_ignore_ascii_case("true")),
        config_hash: get(labels::CONFIG_HASH),
        image_id_label: get(labels::IMAGE),
        image: c.image.unwrap_or_default(),
        state: ContainerState::parse(&c.state.map(|s| s.to_string()).unwrap_or_default()),
        health: health_from_status(&status),
        status,
        ports,
        name,
        labels,
    }
}

impl Engine {
    /// Block until the container exits; returns its exit code.
    pub(crate) async fn wait_exit(&self, name: &str) -> Result<i64, DockerError> {
        use bollard::query_parameters::WaitContainerOptions;
        let mut stream = self
            .api()
            .wait_container(name, None::<WaitContainerOptions>);
        match stream.next().await {
            Some(Ok(resp)) => Ok(resp.status_code),
            // A non-zero exit arrives as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(source)) => Err(DockerError::InspectContainer {
                name: name.to_string(),
                source,
            }),
            None => Ok(self.run_state(name).await?.exit_code.unwrap_or(-1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_read_from_the_status_text() {
        assert_eq!(health_from_status("Up 3 seconds (healthy)"), "healthy");
        assert_eq!(
            health_from_status("Up 1 second (health: starting)"),
            "starting"
        );
        assert_eq!(health_from_status("Exited (0) 2 minutes ago"), "");
    }
}

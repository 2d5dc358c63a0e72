//! One error variant per engine operation, each naming the resource it was about.

use crate::error::{Diagnose, Kind};

type Source = bollard::errors::Error;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DockerError {
    #[error("cannot connect to the Docker engine at `{host}`")]
    Connect { host: String, source: Source },
    #[error("the Docker engine at `{host}` did not answer within 5 s")]
    ConnectTimeout { host: String },
    #[error("failed to read the engine's version")]
    Version { source: Source },
    #[error("failed to list containers of project `{project}`")]
    ListContainers { project: String, source: Source },
    #[error("failed to create container `{name}`")]
    CreateContainer { name: String, source: Source },
    #[error("failed to start container `{name}`")]
    StartContainer { name: String, source: Source },
    #[error("failed to stop container `{name}`")]
    StopContainer { name: String, source: Source },
    #[error("failed to remove container `{name}`")]
    RemoveContainer { name: String, source: Source },
    #[error("failed to inspect container `{name}`")]
    InspectContainer { name: String, source: Source },
    #[error("failed to create network `{name}`")]
    CreateNetwork { name: String, source: Source },
    #[error("failed to remove network `{name}`")]
    RemoveNetwork { name: String, source: Source },
    #[error("external network `{name}` does not exist")]
    ExternalNetworkMissing { name: String },
    #[error("failed to list networks of project `{project}`")]
    ListNetworks { project: String, source: Source },
    #[error("failed to create volume `{name}`")]
    CreateVolume { name: String, source: Source },
    #[error("failed to remove volume `{name}`")]
    RemoveVolume { name: String, source: Source },
    #[error("external volume `{name}` does not exist")]
    ExternalVolumeMissing { name: String },
    #[error("failed to list volumes of project `{project}`")]
    ListVolumes { project: String, source: Source },
    #[error("failed to inspect image `{image}`")]
    InspectImage { image: String, source: Source },
    #[error("image `{image}` is not available locally and could not be pulled")]
    Pull { image: String, source: Source },
    #[error("image `{image}` is not available locally (pull policy: never)")]
    ImageMissing { image: String },
    #[error("failed to build image `{image}` for service `{service}`: {message}")]
    Build {
        service: String,
        image: String,
        message: String,
    },
    #[error("failed to send the build context of service `{service}`")]
    BuildContext {
        service: String,
        source: std::io::Error,
    },
    #[error("failed to run a command in container `{name}`")]
    Exec { name: String, source: Source },
    #[error("failed to copy files into `{path}` of container `{name}`")]
    Upload {
        name: String,
        path: String,
        source: Source,
    },
    #[error("failed to read logs of container `{name}`")]
    Logs { name: String, source: Source },
    #[error("failed to watch engine events")]
    Events { source: Source },
}

impl DockerError {
    /// The engine's own message, when the engine answered with an error.
    pub(crate) fn engine_message(&self) -> Option<&str> {
        use std::error::Error;
        let source = self.source()?.downcast_ref::<Source>()?;
        match source {
            Source::DockerResponseServerError { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The HTTP status the engine answered with, if any.
    pub(crate) fn status_code(&self) -> Option<u16> {
        use std::error::Error;
        match self.source()?.downcast_ref::<Source>()? {
            Source::DockerResponseServerError { status_code, .. } => Some(*status_code),
            _ => None,
        }
    }
}

impl Diagnose for DockerError {
    fn kind(&self) -> Kind {
        match self {
            DockerError::Build { .. }
            | DockerError::ImageMissing { .. }
            | DockerError::Pull { .. }
            | DockerError::ExternalNetworkMissing { .. }
            | DockerError::ExternalVolumeMissing { .. } => Kind::User,
            _ => Kind::Internal,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            DockerError::Connect { host, .. } | DockerError::ConnectTimeout { host } => {
                Some(format!(
                    "is the Docker daemon running? devenv looked at `{host}` (set `DOCKER_HOST` to use another); try `docker info`"
                ))
            }
            DockerError::Pull { image, .. } | DockerError::ImageMissing { image } => Some(format!(
                "build or load `{image}` locally (`docker load`, `docker tag`), or run `devenv prefetch` while online"
            )),
            DockerError::ExternalNetworkMissing { name } => {
                Some(format!("create it first: `docker network create {name}`"))
            }
            DockerError::ExternalVolumeMissing { name } => {
                Some(format!("create it first: `docker volume create {name}`"))
            }
            _ => None,
        }
    }
}

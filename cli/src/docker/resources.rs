//! Networks and named volumes, labelled like compose so `docker compose` recognises them.

use std::collections::HashMap;

use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{ListNetworksOptions, ListVolumesOptions, RemoveVolumeOptions};

use super::spec::labels;
use super::{DockerError, Engine};

/// What to create for one project network.
#[derive(Debug, Clone, Default)]
pub(crate) struct NetworkRequest {
    pub name: String,
    pub driver: Option<String>,
    pub internal: bool,
    pub attachable: bool,
    pub options: HashMap<String, String>,
    pub labels: HashMap<String, String>,
    /// Subnets, ranges and gateways (`ipam:` in the compose file).
    pub ipam: Option<crate::compose::Ipam>,
    pub enable_ipv6: Option<bool>,
}

/// What to create for one named volume.
#[derive(Debug, Clone, Default)]
pub(crate) struct VolumeRequest {
    pub name: String,
    pub driver: Option<String>,
    pub options: HashMap<String, String>,
    pub labels: HashMap<String, String>,
}

fn is_status(err: &bollard::errors::Error, code: u16) -> bool {
    matches!(err, bollard::errors::Error::DockerResponseServerError { status_code, .. } if *status_code == code)
}

impl Engine {
    /// Does a network with exactly this name exist?
    pub(crate) async fn network_exists(&self, name: &str) -> Result<bool, DockerError> {
        match self.api().inspect_network(name, None).await {
            Ok(n) => Ok(n.name.as_deref() == Some(name)),
            Err(e) if is_status(&e, 404) => Ok(false),
            Err(source) => Err(DockerError::CreateNetwork {
                name: name.to_string(),
                source,
            }),
        }
    }

    /// Create the network unless it exists. Returns true when it was created.
    pub(crate) async fn ensure_network(&self, req: NetworkRequest) -> Result<bool, DockerError> {
        if self.network_exists(&req.name).await? {
            return Ok(false);
        }
        let body = NetworkCreateRequest {
            name: req.name.clone(),
            driver: req.driver.or_else(|| Some("bridge".into())),
            internal: Some(req.internal),
            attachable: Some(req.attachable),
            options: Some(req.options),
            labels: Some(req.labels),
            enable_ipv6: req.enable_ipv6,
            ipam: req.ipam.map(|i| bollard::models::Ipam {
                driver: i.driver,
                config: Some(
                    i.config
                        .into_iter()
                        .map(|c| bollard::models::IpamConfig {
                            subnet: c.subnet,
                            ip_range: c.ip_range,
                            gateway: c.gateway,
                            auxiliary_addresses: (!c.aux_addresses.is_empty())
                                .then(|| c.aux_addresses.into_iter().collect()),
                        })
                        .collect(),
                ),
                options: (!i.options.is_empty()).then(|| i.options.into_iter().collect()),
            }),
            ..Default::default()
        };
        match self.api().create_network(body).await {
            Ok(_) => Ok(true),
            // Created by a concurrent `up` in the meantime: the state we wanted.
            Err(e) if is_status(&e, 409) => Ok(false),
            Err(source) => Err(DockerError::CreateNetwork {
                name: req.name,
                source,
            }),
        }
    }

    /// Names of the networks labelled as this project's.
    pub(crate) async fn project_networks(&self, project: &str) -> Result<Vec<String>, DockerError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        let list = self
            .api()
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(|source| DockerError::ListNetworks {
                project: project.to_string(),
                source,
            })?;
        Ok(list.into_iter().filter_map(|n| n.name).collect())
    }

    pub(crate) async fn remove_network(&self, name: &str) -> Result<(), DockerError> {
        match self.api().remove_network(name).await {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(source) => Err(DockerError::RemoveNetwork {
                name: name.to_string(),
                source,
            }),
        }
    }

    pub(crate) async fn volume_exists(&self, name: &str) -> Result<bool, DockerError> {
        match self.api().inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(e) if is_status(&e, 404) => Ok(false),
            Err(source) => Err(DockerError::CreateVolume {
                name: name.to_string(),
                source,
            }),
        }
    }

    /// Create the volume unless it exists. Returns true when it was created.
    pub(crate) async fn ensure_volume(&self, req: VolumeRequest) -> Result<bool, DockerError> {
        if self.volume_exists(&req.name).await? {
            return Ok(false);
        }
        let body = VolumeCreateRequest {
            name: Some(req.name.clone()),
            driver: req.driver,
            driver_opts: Some(req.options),
            labels: Some(req.labels),
            ..Default::default()
        };
        self.api()
            .create_volume(body)
            .await
            .map_err(|source| DockerError::CreateVolume {
                name: req.name,
                source,
            })?;
        Ok(true)
    }

    /// Names of the volumes labelled as this project's.
    pub(crate) async fn project_volumes(&self, project: &str) -> Result<Vec<String>, DockerError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        let list = self
            .api()
            .list_volumes(Some(ListVolumesOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(|source| DockerError::ListVolumes {
                project: project.to_string(),
                source,
            })?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    pub(crate) async fn remove_volume(&self, name: &str) -> Result<(), DockerError> {
        match self
            .api()
            .remove_volume(name, Some(RemoveVolumeOptions { force: false }))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(source) => Err(DockerError::RemoveVolume {
                name: name.to_string(),
                source,
            }),
        }
    }
}

impl Engine {
    /// Attach a container to one more network (the create call takes only one).
    pub(crate) async fn connect_network(
        &self,
        container: &str,
        network: &str,
        endpoint: bollard::models::EndpointSettings,
    ) -> Result<(), DockerError> {
        let req = bollard::models::NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(endpoint),
        };
        self.api()
            .connect_network(network, req)
            .await
            .map_err(|source| DockerError::CreateNetwork {
                name: network.to_string(),
                source,
            })
    }
}

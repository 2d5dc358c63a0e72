//! The project's networks and named volumes that the selected services use, labelled like
//! compose's; external ones must already exist.

use std::collections::HashSet;

use super::Up;
use crate::compose::ServiceVolume;
use crate::docker::spec::{self, labels};
use crate::docker::{DockerError, NetworkRequest, VolumeRequest};

pub(super) async fn ensure_networks(up: Up<'_>, selected: &[String]) -> anyhow::Result<()> {
    let Up {
        engine,
        project,
        printer,
        ..
    } = up;
    let used: HashSet<&String> = selected
        .iter()
        .filter_map(|s| project.services.get(s))
        .flat_map(|s| s.networks.keys())
        .collect();
    for (key, net) in project.networks.iter().filter(|(k, _)| used.contains(k)) {
        if net.external {
            if !engine.network_exists(&net.name).await? {
                return Err(DockerError::ExternalNetworkMissing {
                    name: net.name.clone(),
                }
                .into());
            }
            continue;
        }
        let req = NetworkRequest {
            name: net.name.clone(),
            driver: net.driver.clone(),
            internal: net.internal,
            attachable: net.attachable,
            options: net
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            labels: spec::resource_labels(&project.name, labels::NETWORK, key, &net.labels),
            ipam: net.ipam.clone(),
            enable_ipv6: net.enable_ipv6,
        };
        if engine.ensure_network(req).await? {
            printer.status("Created", format!("network `{}`", net.name));
        }
    }
    Ok(())
}

pub(super) async fn ensure_volumes(up: Up<'_>, selected: &[String]) -> anyhow::Result<()> {
    let Up {
        engine,
        project,
        printer,
        ..
    } = up;
    let used: HashSet<&str> = selected
        .iter()
        .filter_map(|s| project.services.get(s))
        .flat_map(|s| s.volumes.iter())
        .filter(|v| v.kind == ServiceVolume::VOLUME)
        .filter_map(|v| v.source.as_deref())
        .collect();
    for (key, vol) in &project.volumes {
        if !used.contains(key.as_str()) {
            continue;
        }
        if vol.external {
            if !engine.volume_exists(&vol.name).await? {
                return Err(DockerError::ExternalVolumeMissing {
                    name: vol.name.clone(),
                }
                .into());
            }
            continue;
        }
        let req = VolumeRequest {
            name: vol.name.clone(),
            driver: vol.driver.clone(),
            options: vol
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            labels: spec::resource_labels(&project.name, labels::VOLUME, key, &vol.labels),
        };
        if engine.ensure_volume(req).await? {
            printer.status("Created", format!("volume `{}`", vol.name));
        }
    }
    Ok(())
}

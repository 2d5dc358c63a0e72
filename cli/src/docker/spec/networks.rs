//! `network_mode:`, `networks:`, `links:` and `mac_address:` → the container's network mode
//! and its endpoint on each network.

use bollard::models::{EndpointIpamConfig, EndpointSettings};

use super::container_name;
use crate::compose::model::{Project, Service, ServiceNetwork};

/// The container's network mode: `service:NAME` becomes that service's container (which
/// the engine knows by name); without a mode, the first network the service joins.
pub(super) fn network_mode(project: &Project, service: &Service) -> Option<String> {
    let mode = match service.network_mode.as_deref() {
        Some(m) if m.starts_with("service:") => {
            let other = &m["service:".len()..];
            let cname = project.services.get(other).map_or_else(
                || format!("{}-{other}-1", project.name),
                |o| container_name(&project.name, other, o, 1),
            );
            Some(format!("container:{cname}"))
        }
        other => other.map(str::to_string),
    };
    mode.or_else(|| {
        service
            .networks
            .keys()
            .next()
            .map(|key| network_name(project, key))
    })
}

/// The endpoint given at create time, and those connected after (the API before 1.44 takes
/// one network at create time).
pub(super) struct Endpoints {
    pub first: Option<(String, EndpointSettings)>,
    pub extra: Vec<(String, EndpointSettings)>,
}

/// One endpoint per network the service joins, with its aliases, addresses and links.
pub(super) fn endpoints(
    project: &Project,
    name: &str,
    service: &Service,
    container: &str,
) -> Endpoints {
    let links = links(project, service);
    let mut extra: Vec<(String, EndpointSettings)> = service
        .networks
        .iter()
        .map(|(key, net)| {
            (
                network_name(project, key),
                endpoint(net, [name, container], &links),
            )
        })
        .collect();
    let mut first = (!extra.is_empty() && service.network_mode.is_none()).then(|| extra.remove(0));
    // The body has no container-level MAC field any more; the engine takes it per endpoint.
    if let (Some(mac), Some((_, ep))) = (&service.mac_address, first.as_mut()) {
        ep.mac_address.get_or_insert_with(|| mac.clone());
    }
    Endpoints { first, extra }
}

fn endpoint(net: &ServiceNetwork, names: [&str; 2], links: &[String]) -> EndpointSettings {
    let mut aliases: Vec<String> = names.iter().map(ToString::to_string).collect();
    aliases.extend(net.aliases.iter().cloned());
    let ipam =
        (net.ipv4_address.is_some() || net.ipv6_address.is_some()).then(|| EndpointIpamConfig {
            ipv4_address: net.ipv4_address.clone(),
            ipv6_address: net.ipv6_address.clone(),
            ..Default::default()
        });
    EndpointSettings {
        aliases: Some(aliases),
        ipam_config: ipam,
        mac_address: net.mac_address.clone(),
        links: (!links.is_empty()).then(|| links.to_vec()),
        ..Default::default()
    }
}

/// `links: [SVC[:ALIAS]]`: on user networks the engine resolves `container:alias` links
/// per container, which is what compose sets.
fn links(project: &Project, service: &Service) -> Vec<String> {
    service
        .links
        .iter()
        .map(|l| {
            let (svc, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
            let target = project.services.get(svc).map_or_else(
                || svc.to_string(),
                |o| container_name(&project.name, svc, o, 1),
            );
            format!("{target}:{alias}")
        })
        .collect()
}

/// The engine name of a project network key.
fn network_name(project: &Project, key: &str) -> String {
    project
        .networks
        .get(key)
        .map_or_else(|| format!("{}_{key}", project.name), |n| n.name.clone())
}

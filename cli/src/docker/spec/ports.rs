//! `ports:` and `expose:` → the engine's exposed ports and host port bindings.

use std::collections::HashMap;

use bollard::models::PortBinding;

use crate::compose::model::Service;

/// The engine's `PORT/PROTO` keys a container exposes, and the host ports bound to them.
pub(super) struct Ports {
    pub exposed: Vec<String>,
    pub bindings: HashMap<String, Option<Vec<PortBinding>>>,
}

pub(super) fn ports(service: &Service) -> Ports {
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &service.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone().filter(|ip| !ip.is_empty()),
                host_port: Some(p.published.clone().unwrap_or_default()),
            });
    }
    for key in service.expose.iter().flat_map(|e| expand_expose(e)) {
        if !exposed.contains(&key) {
            exposed.push(key);
        }
    }
    Ports { exposed, bindings }
}

/// `3000`, `3000/udp`, `3000-3002` → the engine's `PORT/PROTO` keys (ranges expanded, as
/// compose does).
fn expand_expose(spec: &str) -> Vec<String> {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    if let Some((a, b)) = ports.split_once('-')
        && let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>())
        && a <= b
    {
        return (a..=b).map(|p| format!("{p}/{proto}")).collect();
    }
    vec![format!("{ports}/{proto}")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_ranges_expand() {
        assert_eq!(
            expand_expose("3000-3002"),
            ["3000/tcp", "3001/tcp", "3002/tcp"]
        );
        assert_eq!(expand_expose("53/udp"), ["53/udp"]);
        assert_eq!(expand_expose("8080"), ["8080/tcp"]);
    }
}

//! What compose derives from a service and checks once all its keys are read: the
//! `depends_on` entries `links`, `network_mode`/`ipc`/`pid: service:X` and `volumes_from`
//! imply, and the pairs of keys that must agree (`scale` and `deploy.replicas`, `cpus` and
//! `deploy.resources.limits.cpus`, …).

use super::{Ctx, Result};
use crate::compose::model::{Condition, DependsOn, Service};

/// Add compose's implicit dependencies (an explicit `depends_on` entry wins): `links` and
/// `service:X` namespaces restart with their dependency, `volumes_from` does not.
pub(super) fn implicit_dependencies(s: &mut Service) {
    let mut implied: Vec<(String, bool)> = Vec::new();
    for link in &s.links {
        let parts: Vec<&str> = link.split(':').collect();
        let name = if parts.len() == 2 { parts[0] } else { link };
        implied.push((name.to_string(), true));
    }
    for mode in [&s.network_mode, &s.ipc, &s.pid].into_iter().flatten() {
        if let Some(other) = mode.strip_prefix("service:") {
            implied.push((other.to_string(), true));
        }
    }
    for from in &s.volumes_from {
        if !from.starts_with("container:") {
            let name = from.split(':').next().unwrap_or(from);
            implied.push((name.to_string(), false));
        }
    }
    for (name, restart) in implied {
        s.depends_on.entry(name).or_insert(DependsOn {
            condition: Condition::ServiceStarted,
            restart,
            required: true,
        });
    }
}

/// Compose's consistency rules for one service; `scale` also sets `deploy.replicas`.
pub(super) fn check(ctx: &mut Ctx<'_>, name: &str, s: &mut Service) -> Result<()> {
    let disagree = |ctx: &mut Ctx<'_>, key: &str, other: &str| {
        ctx.at(key, |c| {
            Ok(c.err(format!(
                "service `{name}` sets `{key}` and `{other}` to different values"
            )))
        })
    };
    let limits = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.limits.clone())
        .unwrap_or_default();
    let reservations = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.reservations.clone())
        .unwrap_or_default();
    if let (Some(scale), Some(deploy)) = (s.scale, s.deploy.as_mut()) {
        if deploy.replicas.is_some_and(|r| r != scale) {
            return Err(disagree(ctx, "scale", "deploy.replicas")?);
        }
        deploy.replicas = Some(scale);
    }
    if s.deploy
        .as_ref()
        .is_some_and(|d| d.resources.limits.is_some())
    {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "compose compares cpus as 32-bit floats"
        )]
        let cpus = s.cpus.map(|c| c as f32);
        if cpus.is_some_and(|c| c != 0.0 && Some(c) != limits.cpus.or(Some(0.0))) {
            return Err(disagree(ctx, "cpus", "deploy.resources.limits.cpus")?);
        }
        if s.mem_limit
            .is_some_and(|m| m != 0 && Some(m) != limits.memory.or(Some(0)))
        {
            return Err(disagree(
                ctx,
                "mem_limit",
                "deploy.resources.limits.memory",
            )?);
        }
        if s.pids_limit
            .is_some_and(|p| p != 0 && Some(p) != limits.pids.or(Some(0)))
        {
            return Err(disagree(ctx, "pids_limit", "deploy.resources.limits.pids")?);
        }
    }
    if s.deploy
        .as_ref()
        .is_some_and(|d| d.resources.reservations.is_some())
        && s.mem_reservation
            .is_some_and(|m| m != 0 && Some(m) != reservations.memory.or(Some(0)))
    {
        return Err(disagree(
            ctx,
            "mem_reservation",
            "deploy.resources.reservations.memory",
        )?);
    }
    if s.replicas() > 1 && s.container_name.is_some() {
        return Err(ctx.at("container_name", |c| {
            Ok(c.err(format!(
                "service `{name}` sets `container_name`, so it cannot run {} containers (their names must differ)",
                s.replicas()
            )))
        })?);
    }
    Ok(())
}

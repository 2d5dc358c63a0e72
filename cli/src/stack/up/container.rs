//! One service's container brought to its plan: left alone when its config hash and image
//! are unchanged (started if stopped, restarted when a dependency asks for it), else
//! recreated keeping its anonymous volumes, or created.

use super::Up;
use super::converge::Converge;
use crate::compose::Service;
use crate::docker::spec::{self, ContainerPlan};
use crate::docker::{ContainerInfo, ContainerState, Engine};
use crate::error::Hinted;
use crate::stack::ports;

/// Returns the action taken: `created`, `recreated`, `restarted`, `started` or `running`.
/// `restart_for`: a dependency this run recreated that the service asks to restart for.
pub(super) async fn converge_container(
    shared: &Converge<'_>,
    name: &str,
    plan: &ContainerPlan,
    one_shot: bool,
    restart_for: Option<String>,
) -> anyhow::Result<&'static str> {
    let Up {
        engine, printer, ..
    } = shared.up;
    let svc = shared.up.project.service(name)?;
    let current = shared
        .existing
        .iter()
        .find(|c| c.service == name && c.number == 1);
    let Some(c) = current else {
        create_and_start(engine, plan).await?;
        printer.status("Started", format!("`{}`", plan.name));
        return Ok("created");
    };
    if !up_to_date(shared, name, svc, c) {
        recreate(shared.up, svc, c, plan).await?;
        shared.mark_recreated(name);
        printer.status("Recreated", format!("`{}`", plan.name));
        return Ok("recreated");
    }
    match (c.state, restart_for) {
        (ContainerState::Running, Some(dep)) => {
            engine.stop(&c.name, stop_timeout(svc)).await?;
            start_container(engine, &c.name).await?;
            printer.status(
                "Restarted",
                format!("`{}` (its dependency `{dep}` was recreated)", c.name),
            );
            Ok("restarted")
        }
        (ContainerState::Running, None) => Ok("running"),
        // A one-shot that already completed is not run again; a failed one is.
        (ContainerState::Exited, _)
            if one_shot && engine.run_state(&c.name).await?.exit_code == Some(0) =>
        {
            Ok("running")
        }
        _ => {
            start_container(engine, &c.name).await?;
            printer.status("Started", format!("`{}`", c.name));
            Ok("started")
        }
    }
}

/// Same config hash and image, and not forced. A container that was created but never
/// started (an `up` interrupted between create and start) may lack its extra networks:
/// make it again rather than trust it.
fn up_to_date(shared: &Converge<'_>, name: &str, svc: &Service, c: &ContainerInfo) -> bool {
    let image_id = shared.image_ids.get(name).map(String::as_str);
    let hash = spec::config_hash(svc);
    !shared.up.opts.force_recreate
        && c.state != ContainerState::Created
        && c.config_hash.as_deref() == Some(hash.as_str())
        && c.image_id_label.as_deref() == image_id
}

/// Replace `old` by a container made from `plan`; the new one keeps the old one's anonymous
/// volumes, as with compose.
async fn recreate(
    up: Up<'_>,
    svc: &Service,
    old: &ContainerInfo,
    plan: &ContainerPlan,
) -> anyhow::Result<()> {
    let engine = up.engine;
    let inherited = engine.anonymous_volumes(&old.name).await?;
    let declared = match &plan.body.image {
        Some(image) if !inherited.is_empty() => engine.image_volumes(image).await?,
        _ => Vec::new(),
    };
    let plan = spec::with_inherited_volumes(plan.clone(), inherited, &declared);
    engine.stop(&old.name, stop_timeout(svc)).await?;
    engine.remove(&old.name, true, false).await?;
    create_and_start(engine, &plan).await
}

fn stop_timeout(svc: &Service) -> i32 {
    svc.stop_grace_period
        .map_or(10, |d| d.as_secs().min(i32::MAX as u64) as i32)
}

async fn create_and_start(engine: &Engine, plan: &ContainerPlan) -> anyhow::Result<()> {
    // A leftover container with our name but not our labels (e.g. from an interrupted run).
    engine
        .create_container(&plan.name, plan.body.clone(), plan.platform.as_deref())
        .await
        .map_err(|e| {
            if e.status_code() == Some(409) {
                anyhow::Error::new(e).context(
                    Hinted::user(format!(
                        "a container named `{}` already exists and is not part of this project",
                        plan.name
                    ))
                    .with_hint(format!(
                        "remove it with `docker rm -f {}` or set another `container_name`",
                        plan.name
                    )),
                )
            } else {
                e.into()
            }
        })?;
    for (net, ep) in &plan.extra_networks {
        engine.connect_network(&plan.name, net, ep.clone()).await?;
    }
    start_container(engine, &plan.name).await
}

/// Start a container; a host port already taken names what holds it.
async fn start_container(engine: &Engine, name: &str) -> anyhow::Result<()> {
    let Err(e) = engine.start(name).await else {
        return Ok(());
    };
    let msg = e.engine_message().unwrap_or_default().to_string();
    let Some(port) = ports::port_in_error(&msg) else {
        return Err(e.into());
    };
    let holder = ports::describe_holder(engine, port).await;
    // Leave nothing half-made: the container that could not start is removed.
    let _ = engine.remove(name, true, false).await;
    Err(Hinted::user(format!(
        "cannot start `{name}`: host port {port} is already in use by {holder}"
    ))
    .with_hint(format!(
        "stop what holds port {port}, or publish another host port in the compose file"
    ))
    .because(e)
    .into())
}

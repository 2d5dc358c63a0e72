//! One service's container brought to its plan: left alone when its config hash and image
//! are unchanged (started if stopped, restarted when a dependency asks for it), else
//! recreated keeping its anonymous volumes, or created. A container whose hash devenv cannot
//! reproduce (another Compose version made it, or the service uses keys devenv does not
//! model) is compared field by field before it is recreated; `-v` says why it is.

use super::Up;
use super::converge::Converge;
use crate::compose::Service;
use crate::docker::spec::{self, ContainerPlan, labels};
use crate::docker::{ContainerInfo, ContainerState, Engine};
use crate::error::Hinted;
use crate::stack::ports;

/// Container `number` of service `name`. Returns the action taken: `created`, `recreated`,
/// `restarted`, `started` or `running`. `restart_for`: a dependency this run recreated that
/// the service asks to restart for.
pub(super) async fn converge_container(
    shared: &Converge<'_>,
    name: &str,
    number: u32,
    plan: &ContainerPlan,
    one_shot: bool,
    restart_for: &Option<String>,
) -> anyhow::Result<&'static str> {
    let Up {
        engine, printer, ..
    } = shared.up;
    let svc = shared.up.project.service(name)?;
    let current = shared
        .existing
        .iter()
        .find(|c| c.service == name && c.number == number);
    let Some(c) = current else {
        create_and_start(engine, plan).await?;
        printer.status("Started", format!("`{}`", plan.name));
        return Ok("created");
    };
    if let Some(why) = outdated(shared, name, svc, c, plan).await? {
        printer.detail(format!("recreating `{}`: {why}", c.name));
        recreate(shared.up, svc, c, plan).await?;
        shared.mark_recreated(name);
        printer.status("Recreated", format!("`{}`", plan.name));
        return Ok("recreated");
    }
    match (c.state, restart_for.as_deref()) {
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

/// Why the container must be recreated, or `None` when it is up to date: same config hash
/// and image, and not forced. A container that was created but never started (an `up`
/// interrupted between create and start) may lack its extra networks: made again.
async fn outdated(
    shared: &Converge<'_>,
    name: &str,
    svc: &Service,
    c: &ContainerInfo,
    plan: &ContainerPlan,
) -> anyhow::Result<Option<String>> {
    let image_id = shared.image_ids.get(name).map(String::as_str);
    if shared.up.opts.force_recreate {
        return Ok(Some("--force-recreate".into()));
    }
    if c.state == ContainerState::Created {
        return Ok(Some("it was created but never started".into()));
    }
    if c.image_id_label.as_deref() != image_id {
        return Ok(Some("its image changed".into()));
    }
    let want = plan
        .body
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::CONFIG_HASH));
    if c.config_hash.as_ref() == want {
        return Ok(None);
    }
    let made_by = made_by(c);
    // The same Compose release hashes as devenv does, unless the service uses keys devenv
    // does not model: then the hash changed because the configuration did.
    if c.labels.get(labels::VERSION).map(String::as_str) == Some(labels::COMPOSE_COMPAT_VERSION)
        && svc.ignored_keys.is_empty()
    {
        return Ok(Some(format!(
            "its configuration changed (config hash; made by {made_by})"
        )));
    }
    let differences = shared
        .up
        .engine
        .differences(plan, &c.name, image_id)
        .await?;
    if differences.is_empty() {
        shared.up.printer.detail(format!(
            "keeping `{}`: made by {made_by}, whose config hash devenv does not reproduce, and nothing that shapes it differs",
            c.name
        ));
        return Ok(None);
    }
    Ok(Some(format!(
        "made by {made_by}, and it differs: {}",
        differences.join("; ")
    )))
}

/// `devenv X` or `Docker Compose X`, from the container's labels.
fn made_by(c: &ContainerInfo) -> String {
    let compose = c
        .labels
        .get(labels::VERSION)
        .map_or("an unknown version", String::as_str);
    match c.labels.get(labels::DEVENV_VERSION) {
        Some(v) => format!("devenv {v} (compose labels {compose})"),
        None => format!("Docker Compose {compose}"),
    }
}

/// Remove the service's containers numbered beyond `replicas` (a lower `scale`).
pub(super) async fn scale_down(
    shared: &Converge<'_>,
    name: &str,
    replicas: u32,
) -> anyhow::Result<()> {
    let svc = shared.up.project.service(name)?;
    for c in shared
        .existing
        .iter()
        .filter(|c| c.service == name && c.number > replicas)
    {
        shared.up.engine.stop(&c.name, stop_timeout(svc)).await?;
        shared.up.engine.remove(&c.name, true, false).await?;
        shared.up.printer.status("Removed", format!("`{}`", c.name));
    }
    Ok(())
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

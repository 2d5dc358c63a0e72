//! `up`: networks and volumes, images (build or pull), then every service started in
//! dependency order (independent branches in parallel), each waiting on its `depends_on`
//! conditions through the engine's health status. Idempotent: a container whose config
//! hash and image are unchanged is left alone.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::wait::{Goal, WaitFailure, spawn_event_pump, wait_for};
use super::{ProjectLock, ports};
use crate::compose::{Condition, Project, Service};
use crate::docker::spec::{self, labels};
use crate::docker::{
    ContainerEvent, ContainerInfo, ContainerState, DockerError, Engine, NetworkRequest,
    VolumeRequest,
};
use crate::error::Hinted;
use crate::ui::Printer;

/// When to pull images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum PullPolicy {
    /// Pull only images that are not present locally.
    #[default]
    Missing,
    /// Always pull (fails offline).
    Always,
    /// Never pull; a missing image is an error.
    Never,
}

/// Work to run once a service is ready and before anything that depends on it starts:
/// migrations, run after the database is healthy (pre-deploy order).
#[derive(Clone)]
pub(crate) struct ReadyHook {
    pub service: String,
    pub run:
        Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, anyhow::Result<()>> + Send + Sync>,
}

impl std::fmt::Debug for ReadyHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadyHook")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UpOptions {
    /// Services to start (with their dependencies); empty = all.
    pub services: Vec<String>,
    pub build: bool,
    pub no_build: bool,
    pub pull: PullPolicy,
    pub wait_timeout: Duration,
    pub force_recreate: bool,
    pub remove_orphans: bool,
    /// Run after this service is ready, before its dependents start (migrations).
    pub ready_hook: Option<ReadyHook>,
}

/// What one service ended as.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceReport {
    pub service: String,
    pub container: String,
    /// `created`, `recreated`, `restarted`, `started`, `running` (left alone).
    pub action: &'static str,
    /// `running`, `healthy`, `exited`.
    pub state: String,
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpReport {
    pub project: String,
    pub services: Vec<ServiceReport>,
}

/// How far a service has got, shared with its dependents.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Pending,
    Started,
    Healthy,
    Completed,
    Failed(String),
}

pub(crate) async fn up(
    engine: &Engine,
    project: &Project,
    opts: &UpOptions,
    printer: &Printer,
) -> anyhow::Result<UpReport> {
    let levels = project.start_levels(&opts.services)?;
    let selected: Vec<String> = levels.iter().flatten().cloned().collect();
    let _lock = ProjectLock::acquire(&project.name, "up", printer).await?;
    let materialized = super::files::materialize(project)?;
    let project = materialized.as_ref().unwrap_or(project);

    ensure_networks(engine, project, &selected, printer).await?;
    ensure_volumes(engine, project, &selected, printer).await?;
    let image_ids = ensure_images(engine, project, &selected, opts, printer).await?;

    let existing = super::service_containers(engine, &project.name).await?;
    warn_orphans(engine, project, &existing, opts.remove_orphans, printer).await?;

    let (events_tx, pump) = spawn_event_pump(engine, &project.name);
    let started = Instant::now();
    let result = tokio::time::timeout(
        opts.wait_timeout,
        converge_all(
            engine, project, &selected, &image_ids, &existing, opts, &events_tx, printer,
        ),
    )
    .await;
    pump.abort();
    let reports = match result {
        Ok(r) => r?,
        Err(_) => return Err(timeout_error(engine, project, &selected, opts.wait_timeout).await),
    };
    tracing::debug!(elapsed = ?started.elapsed(), "stack converged");
    Ok(UpReport {
        project: project.name.clone(),
        services: reports,
    })
}

async fn ensure_networks(
    engine: &Engine,
    project: &Project,
    selected: &[String],
    printer: &Printer,
) -> anyhow::Result<()> {
    let used: HashSet<&String> = selected
        .iter()
        .filter_map(|s| project.services.get(s))
        .flat_map(|s| s.networks.keys())
        .collect();
    for (key, net) in &project.networks {
        if !used.contains(key) {
            continue;
        }
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

async fn ensure_volumes(
    engine: &Engine,
    project: &Project,
    selected: &[String],
    printer: &Printer,
) -> anyhow::Result<()> {
    let used: HashSet<&str> = selected
        .iter()
        .filter_map(|s| project.services.get(s))
        .flat_map(|s| s.volumes.iter())
        .filter(|v| v.kind == crate::compose::ServiceVolume::VOLUME)
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

/// Build or pull what is missing; returns each service's image id.
async fn ensure_images(
    engine: &Engine,
    project: &Project,
    selected: &[String],
    opts: &UpOptions,
    printer: &Printer,
) -> anyhow::Result<HashMap<String, String>> {
    let mut ids = HashMap::new();
    // Pulls run in parallel; builds one at a time (the machine's cores are the limit).
    let mut pulls = Vec::new();
    for name in selected {
        let svc = project.service(name)?;
        let image = spec::image_name(&project.name, name, svc);
        if svc.build.is_some() {
            let present = engine.image_id(&image).await?;
            let policy_build = svc.pull_policy.as_deref() == Some("build");
            let id = match present {
                Some(id) if !opts.build && !policy_build => id,
                _ if opts.no_build => {
                    return Err(Hinted::user(format!(
                        "service `{name}` needs image `{image}`, which is not built yet"
                    ))
                    .with_hint("run without `--no-build`, or `devenv up --build`")
                    .into());
                }
                _ => {
                    let req = super::build_request(
                        project,
                        name,
                        svc,
                        match opts.pull {
                            PullPolicy::Always => Some(true),
                            PullPolicy::Never => Some(false),
                            PullPolicy::Missing => None,
                        },
                    )
                    .expect("a service with `build:` has a build request");
                    let id = engine.build(&req, printer).await?;
                    printer.status("Built", format!("`{image}`"));
                    id
                }
            };
            ids.insert(name.clone(), id);
        } else {
            // `--pull never` (and `--offline`) win over the service's own pull_policy.
            let policy = match svc.pull_policy.as_deref() {
                _ if opts.pull == PullPolicy::Never => PullPolicy::Never,
                Some("always") => PullPolicy::Always,
                Some("never") => PullPolicy::Never,
                _ => opts.pull,
            };
            pulls.push(async move {
                let present = engine.image_id(&image).await?;
                let id = match (present, policy) {
                    (Some(id), PullPolicy::Missing | PullPolicy::Never) => id,
                    (None, PullPolicy::Never) => {
                        return Err(DockerError::ImageMissing { image }.into());
                    }
                    _ => {
                        engine.pull(&image, printer).await?;
                        engine
                            .image_id(&image)
                            .await?
                            .ok_or(DockerError::ImageMissing {
                                image: image.clone(),
                            })?
                    }
                };
                anyhow::Ok((name.clone(), id))
            });
        }
    }
    for r in futures_util::future::join_all(pulls).await {
        let (name, id) = r?;
        ids.insert(name, id);
    }
    Ok(ids)
}

async fn warn_orphans(
    engine: &Engine,
    project: &Project,
    existing: &[ContainerInfo],
    remove: bool,
    printer: &Printer,
) -> anyhow::Result<()> {
    let orphans: Vec<&ContainerInfo> = existing
        .iter()
        .filter(|c| {
            !project.services.contains_key(&c.service)
                && !project.disabled_services.contains(&c.service)
        })
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    if remove {
        for c in orphans {
            engine.remove(&c.name, true, false).await?;
            printer.status("Removed", format!("orphan container `{}`", c.name));
        }
    } else {
        let names: Vec<&str> = orphans.iter().map(|c| c.name.as_str()).collect();
        printer.warn(format!(
            "found orphan containers ({}) for project `{}`; run with `--remove-orphans` to clean them up",
            names.join(", "),
            project.name
        ));
    }
    Ok(())
}

#[expect(clippy::too_many_arguments)]
async fn converge_all(
    engine: &Engine,
    project: &Project,
    selected: &[String],
    image_ids: &HashMap<String, String>,
    existing: &[ContainerInfo],
    opts: &UpOptions,
    events: &broadcast::Sender<ContainerEvent>,
    printer: &Printer,
) -> anyhow::Result<Vec<ServiceReport>> {
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for name in selected {
        let (tx, rx) = watch::channel(Progress::Pending);
        senders.insert(name.clone(), tx);
        receivers.insert(name.clone(), rx);
    }
    let shared = Converge {
        engine,
        project,
        image_ids,
        existing,
        opts,
        receivers,
        recreated: std::sync::Mutex::new(HashSet::new()),
        printer,
    };
    // Which services others wait on with `service_completed_successfully` (one-shots).
    let one_shots: HashSet<String> = selected
        .iter()
        .filter_map(|s| project.services.get(s))
        .flat_map(|s| s.depends_on.iter())
        .filter(|(_, d)| d.condition == Condition::ServiceCompletedSuccessfully)
        .map(|(n, _)| n.clone())
        .collect();

    let tasks = selected.iter().map(|name| {
        let tx = senders.remove(name).expect("a sender per selected service");
        let mut events = events.subscribe();
        let one_shot = one_shots.contains(name);
        let shared = &shared;
        async move {
            let result = converge_one(shared, name, &tx, one_shot, &mut events).await;
            if let Err(e) = &result {
                let _ = tx.send(Progress::Failed(format!("{e:#}")));
            }
            result
        }
    });
    let results = futures_util::future::join_all(tasks).await;
    let mut reports = Vec::new();
    let mut first_error = None;
    for r in results {
        match r {
            Ok(report) => reports.push(report),
            Err(e) if first_error.is_none() => first_error = Some(e),
            Err(_) => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}

/// What every service's task shares while the stack converges.
struct Converge<'a> {
    engine: &'a Engine,
    project: &'a Project,
    image_ids: &'a HashMap<String, String>,
    existing: &'a [ContainerInfo],
    opts: &'a UpOptions,
    receivers: HashMap<String, watch::Receiver<Progress>>,
    /// Services whose container this run replaced (for `depends_on: {restart: true}`).
    recreated: std::sync::Mutex<HashSet<String>>,
    printer: &'a Printer,
}

async fn converge_one(
    shared: &Converge<'_>,
    name: &str,
    tx: &watch::Sender<Progress>,
    one_shot: bool,
    events: &mut broadcast::Receiver<ContainerEvent>,
) -> anyhow::Result<ServiceReport> {
    let Converge {
        engine,
        project,
        image_ids,
        existing,
        opts,
        printer,
        ..
    } = *shared;
    let svc = project.service(name)?;
    wait_dependencies(name, svc, &shared.receivers).await?;
    // Compose restarts a dependent whose dependency was recreated when it asks to.
    let restart_for = {
        let recreated = shared
            .recreated
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        svc.depends_on
            .iter()
            .find(|(dep, d)| d.restart && recreated.contains(*dep))
            .map(|(dep, _)| dep.clone())
    };

    let image_id = image_ids.get(name).map(String::as_str);
    let plan = spec::container_plan(project, name, svc, 1, image_id);
    let hash = spec::config_hash(svc);
    let current = existing.iter().find(|c| c.service == name && c.number == 1);
    // A container that was created but never started (an `up` interrupted between create and
    // start) may lack its extra networks: make it again rather than trust it.
    let up_to_date = current.is_some_and(|c| {
        !opts.force_recreate
            && c.state != ContainerState::Created
            && c.config_hash.as_deref() == Some(hash.as_str())
            && c.image_id_label.as_deref() == image_id
    });
    let action = match current {
        Some(c) if up_to_date && c.state == ContainerState::Running && restart_for.is_some() => {
            engine.stop(&c.name, stop_timeout(svc)).await?;
            start_container(engine, &c.name).await?;
            printer.status(
                "Restarted",
                format!(
                    "`{}` (its dependency `{}` was recreated)",
                    c.name,
                    restart_for.unwrap_or_default()
                ),
            );
            "restarted"
        }
        Some(c) if up_to_date && c.state == ContainerState::Running => "running",
        // A one-shot that already completed is not run again; a failed one is.
        Some(c)
            if up_to_date
                && one_shot
                && c.state == ContainerState::Exited
                && engine.run_state(&c.name).await?.exit_code == Some(0) =>
        {
            "running"
        }
        Some(c) if up_to_date => {
            start_container(engine, &c.name).await?;
            printer.status("Started", format!("`{}`", c.name));
            "started"
        }
        Some(c) => {
            // The new container keeps the old one's anonymous volumes, as with compose.
            let inherited = engine.anonymous_volumes(&c.name).await?;
            let declared = match &plan.body.image {
                Some(image) if !inherited.is_empty() => engine.image_volumes(image).await?,
                _ => Vec::new(),
            };
            let plan = spec::with_inherited_volumes(plan.clone(), inherited, &declared);
            engine.stop(&c.name, stop_timeout(svc)).await?;
            engine.remove(&c.name, true, false).await?;
            create_and_start(engine, &plan).await?;
            shared
                .recreated
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(name.to_string());
            printer.status("Recreated", format!("`{}`", plan.name));
            "recreated"
        }
        None => {
            create_and_start(engine, &plan).await?;
            printer.status("Started", format!("`{}`", plan.name));
            "created"
        }
    };
    let hooked = opts.ready_hook.as_ref().filter(|h| h.service == name);
    // Dependents of the hooked service wait for the hook, whatever their condition.
    if hooked.is_none() {
        let _ = tx.send(Progress::Started);
    }

    let goal = if one_shot {
        Goal::Completed
    } else {
        Goal::Ready
    };
    let container_id = super::service_containers(engine, &project.name)
        .await?
        .into_iter()
        .find(|c| c.name == plan.name)
        .map(|c| c.id)
        .unwrap_or_default();
    let state = match wait_for(engine, &plan.name, &container_id, goal, events).await {
        Ok(st) => st,
        Err(failure) => return Err(failure_error(engine, name, &plan.name, failure).await),
    };
    if let Some(hook) = hooked {
        (hook.run)().await?;
        let _ = tx.send(Progress::Started);
    }
    let state_text = if one_shot {
        let _ = tx.send(Progress::Completed);
        "exited (0)".to_string()
    } else if state.health.is_some() {
        let _ = tx.send(Progress::Healthy);
        "healthy".to_string()
    } else {
        "running".to_string()
    };
    if state.health.is_some() && !one_shot && action != "running" {
        printer.status("Healthy", format!("`{}`", plan.name));
    }
    let urls = service_urls(engine, &project.name, &plan.name).await;
    Ok(ServiceReport {
        service: name.to_string(),
        container: plan.name,
        action,
        state: state_text,
        urls,
    })
}

async fn wait_dependencies(
    name: &str,
    svc: &Service,
    receivers: &HashMap<String, watch::Receiver<Progress>>,
) -> anyhow::Result<()> {
    // `depends_on`, plus what compose infers from `links`, `volumes_from` and
    // `network_mode: service:X` (those only need the other container to exist and run).
    for dep in crate::compose::service_dependencies(svc) {
        let condition = svc
            .depends_on
            .get(&dep)
            .map_or(Condition::ServiceStarted, |d| d.condition);
        let Some(rx) = receivers.get(&dep) else {
            continue;
        };
        let mut rx = rx.clone();
        let done = rx
            .wait_for(|p| match condition {
                Condition::ServiceStarted => p != &Progress::Pending,
                Condition::ServiceHealthy => matches!(p, Progress::Healthy | Progress::Failed(_)),
                Condition::ServiceCompletedSuccessfully => {
                    matches!(p, Progress::Completed | Progress::Failed(_))
                }
            })
            .await
            .map(|p| p.clone());
        match done {
            Ok(Progress::Failed(why)) => {
                return Err(Hinted::user(format!(
                    "service `{name}` was not started: its dependency `{dep}` failed"
                ))
                .because(anyhow::anyhow!(why))
                .into());
            }
            Ok(_) => {}
            // The dependency's task finished without reaching the condition: it is running
            // but has no healthcheck to become healthy with.
            Err(_) if condition == Condition::ServiceHealthy => {
                return Err(Hinted::user(format!(
                    "service `{name}` waits for `{dep}` to be healthy, but `{dep}` has no healthcheck"
                ))
                .with_hint(format!(
                    "give `{dep}` a healthcheck, or use `condition: service_started`"
                ))
                .into());
            }
            Err(_) => {
                return Err(Hinted::user(format!(
                    "service `{name}`: dependency `{dep}` stopped before `{}`",
                    condition.as_str()
                ))
                .into());
            }
        }
    }
    Ok(())
}

fn stop_timeout(svc: &Service) -> i32 {
    svc.stop_grace_period
        .map_or(10, |d| d.as_secs().min(i32::MAX as u64) as i32)
}

async fn create_and_start(engine: &Engine, plan: &spec::ContainerPlan) -> anyhow::Result<()> {
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

async fn start_container(engine: &Engine, name: &str) -> anyhow::Result<()> {
    match engine.start(name).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let msg = e.engine_message().unwrap_or_default().to_string();
            if let Some(port) = ports::port_in_error(&msg) {
                let holder = ports::describe_holder(engine, port).await;
                // Leave nothing half-made: the container that could not start is removed.
                let _ = engine.remove(name, true, false).await;
                return Err(Hinted::user(format!(
                    "cannot start `{name}`: host port {port} is already in use by {holder}"
                ))
                .with_hint(format!(
                    "stop what holds port {port}, or publish another host port in the compose file"
                ))
                .because(e)
                .into());
            }
            Err(e.into())
        }
    }
}

async fn failure_error(
    engine: &Engine,
    service: &str,
    container: &str,
    failure: WaitFailure,
) -> anyhow::Error {
    let tail = engine
        .container_logs_tail(container, 20)
        .await
        .unwrap_or_default();
    let logs = if tail.is_empty() {
        "  (no output)".to_string()
    } else {
        tail.iter()
            .map(|l| format!("  {service} | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (what, hint) = match failure {
        WaitFailure::Exited { code, error } => (
            format!(
                "service `{service}` exited with code {code}{}",
                error.map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            format!("see the full output with `devenv logs {service}`"),
        ),
        WaitFailure::Unhealthy { log } => (
            format!(
                "service `{service}` is unhealthy; last health checks:\n{}",
                log.iter()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            "check the healthcheck command in the compose file, and the service's logs".to_string(),
        ),
        WaitFailure::Engine(e) => (
            format!("lost track of service `{service}`: {e}"),
            "run `devenv ps`".to_string(),
        ),
    };
    Hinted::user(format!("{what}\nlast log lines:\n{logs}"))
        .with_hint(hint)
        .into()
}

async fn timeout_error(
    engine: &Engine,
    project: &Project,
    selected: &[String],
    timeout: Duration,
) -> anyhow::Error {
    let mut lines = Vec::new();
    for name in selected {
        let Some(svc) = project.services.get(name) else {
            continue;
        };
        let cname = spec::container_name(&project.name, name, svc, 1);
        if let Ok(st) = engine.run_state(&cname).await {
            let ok = st.state == ContainerState::Running
                && st.health.as_deref().is_none_or(|h| h == "healthy");
            if !ok {
                lines.push(format!(
                    "  `{name}`: {}{}",
                    st.state.as_str(),
                    st.health
                        .as_ref()
                        .map(|h| format!(", {h}"))
                        .unwrap_or_default()
                ));
                for l in st.health_log.iter().rev().take(3).rev() {
                    lines.push(format!("      health check: {l}"));
                }
            }
        } else {
            lines.push(format!("  `{name}`: not started"));
        }
    }
    Hinted::user(format!(
        "the stack was not ready within {}s:\n{}",
        timeout.as_secs(),
        lines.join("\n")
    ))
    .with_hint("raise `--wait-timeout`, or look at `devenv logs` for the services above")
    .into()
}

async fn service_urls(engine: &Engine, project: &str, container: &str) -> Vec<String> {
    let Ok(list) = engine.project_containers(project, false).await else {
        return Vec::new();
    };
    list.into_iter()
        .filter(|c| c.name == container)
        .flat_map(|c| c.ports)
        .filter(|p| p.protocol == "tcp")
        .filter_map(|p| p.url.map(|u| format!("http://{u}")))
        .collect()
}

//! One task per selected service: wait on its dependencies' conditions, bring its container
//! to the plan, wait until it is ready (or completed, for one-shots), and tell its
//! dependents through a watch channel.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use tokio::sync::{broadcast, watch};

use super::{ServiceReport, Up, container, failures};
use crate::compose::{Condition, Service};
use crate::docker::spec::{self, ContainerPlan};
use crate::docker::{ContainerEvent, ContainerInfo, Engine, RunState};
use crate::error::Hinted;
use crate::stack::wait::{Goal, wait_for};

/// How far a service has got, shared with its dependents.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Pending,
    Started,
    Healthy,
    Completed,
    Failed(String),
}

/// What every service's task shares while the stack converges.
pub(super) struct Converge<'a> {
    pub up: Up<'a>,
    pub image_ids: &'a HashMap<String, String>,
    pub existing: &'a [ContainerInfo],
    receivers: HashMap<String, watch::Receiver<Progress>>,
    /// Services whose container this run replaced (for `depends_on: {restart: true}`).
    recreated: Mutex<HashSet<String>>,
}

impl Converge<'_> {
    pub(super) fn mark_recreated(&self, name: &str) {
        self.recreated
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string());
    }

    /// A dependency recreated by this run that `svc` asks to be restarted for (compose's
    /// `depends_on: {restart: true}`).
    fn recreated_dependency(&self, svc: &Service) -> Option<String> {
        let recreated = self
            .recreated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        svc.depends_on
            .iter()
            .find(|(dep, d)| d.restart && recreated.contains(*dep))
            .map(|(dep, _)| dep.clone())
    }
}

pub(super) async fn converge_all(
    up: Up<'_>,
    selected: &[String],
    image_ids: &HashMap<String, String>,
    existing: &[ContainerInfo],
    events: &broadcast::Sender<ContainerEvent>,
) -> anyhow::Result<Vec<ServiceReport>> {
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for name in selected {
        let (tx, rx) = watch::channel(Progress::Pending);
        senders.insert(name.clone(), tx);
        receivers.insert(name.clone(), rx);
    }
    let shared = Converge {
        up,
        image_ids,
        existing,
        receivers,
        recreated: Mutex::new(HashSet::new()),
    };
    let one_shots = one_shots(up, selected);
    let tasks = selected.iter().map(|name| {
        let tx = senders.remove(name).expect("a sender per selected service");
        let mut events = events.subscribe();
        let one_shot = one_shots.contains(name);
        let shared = &shared;
        async move {
            let result = converge_service(shared, name, &tx, one_shot, &mut events).await;
            if let Err(e) = &result {
                let _ = tx.send(Progress::Failed(format!("{e:#}")));
            }
            result
        }
    });
    // Every task runs to its end; the first error is the one reported.
    let mut reports = Vec::new();
    let mut first_error = None;
    for r in futures_util::future::join_all(tasks).await {
        match r {
            Ok(report) => reports.extend(report),
            Err(e) if first_error.is_none() => first_error = Some(e),
            Err(_) => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}

/// Which services others wait on with `service_completed_successfully` (one-shots).
fn one_shots(up: Up<'_>, selected: &[String]) -> HashSet<String> {
    selected
        .iter()
        .filter_map(|s| up.project.services.get(s))
        .flat_map(|s| s.depends_on.iter())
        .filter(|(_, d)| d.condition == Condition::ServiceCompletedSuccessfully)
        .map(|(n, _)| n.clone())
        .collect()
}

/// Bring a service's containers (`scale`/`deploy.replicas` of them, numbered from 1) to the
/// plan, removing any beyond that number; then wait for them and tell the dependents.
async fn converge_service(
    shared: &Converge<'_>,
    name: &str,
    tx: &watch::Sender<Progress>,
    one_shot: bool,
    events: &mut broadcast::Receiver<ContainerEvent>,
) -> anyhow::Result<Vec<ServiceReport>> {
    let Up {
        engine,
        project,
        opts,
        printer,
    } = shared.up;
    let svc = project.service(name)?;
    wait_dependencies(name, svc, &shared.receivers).await?;
    let restart_for = shared.recreated_dependency(svc);
    let image_id = shared.image_ids.get(name).map(String::as_str);
    let ids = referenced_container_ids(engine, &project.name, svc).await?;
    container::scale_down(shared, name, svc.replicas()).await?;
    let mut plans = Vec::new();
    for number in 1..=svc.replicas() {
        let plan = spec::container_plan(project, name, svc, number, image_id, &ids);
        let action =
            container::converge_container(shared, name, number, &plan, one_shot, &restart_for)
                .await?;
        plans.push((plan, action));
    }
    let hooked = opts.ready_hook.as_ref().filter(|h| h.service == name);
    // Dependents of the hooked service wait for the hook, whatever their condition.
    if hooked.is_none() {
        let _ = tx.send(Progress::Started);
    }
    let mut states = Vec::new();
    for (plan, _) in &plans {
        states.push(wait_ready(engine, &project.name, name, plan, one_shot, events).await?);
    }
    if let Some(hook) = hooked {
        (hook.run)().await?;
        let _ = tx.send(Progress::Started);
    }
    let healthy = !states.is_empty() && states.iter().all(|s| s.health.is_some());
    let state_text = announce(tx, one_shot, healthy);
    let mut reports = Vec::new();
    for (plan, action) in plans {
        if healthy && !one_shot && action != "running" {
            printer.status("Healthy", format!("`{}`", plan.name));
        }
        let urls = service_urls(engine, &project.name, &plan.name).await;
        reports.push(ServiceReport {
            service: name.to_string(),
            container: plan.name,
            action,
            state: state_text.clone(),
            urls,
        });
    }
    Ok(reports)
}

/// The id of the first container of each service that `svc`'s `network_mode`/`ipc`/`pid:
/// service:X` and `volumes_from` name: compose hashes those references as container ids.
async fn referenced_container_ids(
    engine: &Engine,
    project: &str,
    svc: &Service,
) -> anyhow::Result<HashMap<String, String>> {
    let mut wanted: Vec<&str> = [&svc.network_mode, &svc.ipc, &svc.pid]
        .into_iter()
        .flatten()
        .filter_map(|m| m.strip_prefix("service:"))
        .collect();
    wanted.extend(
        svc.volumes_from
            .iter()
            .filter(|v| !v.starts_with("container:"))
            .filter_map(|v| v.split(':').next()),
    );
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut containers = crate::stack::service_containers(engine, project).await?;
    containers.sort_by_key(|c| c.number);
    let mut ids = HashMap::new();
    for c in containers {
        if wanted.contains(&c.service.as_str()) {
            ids.entry(c.service).or_insert(c.id);
        }
    }
    Ok(ids)
}

/// Wait for `depends_on` conditions, plus what compose infers from `links`, `volumes_from`
/// and `network_mode: service:X` (those only need the other container to exist and run).
async fn wait_dependencies(
    name: &str,
    svc: &Service,
    receivers: &HashMap<String, watch::Receiver<Progress>>,
) -> anyhow::Result<()> {
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
            .wait_for(|p| reached(p, condition))
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
            Err(_) => return Err(dependency_gone(name, &dep, condition)),
        }
    }
    Ok(())
}

/// Whether a dependency at `progress` lets its dependent go on (a failure ends the wait too).
fn reached(progress: &Progress, condition: Condition) -> bool {
    match condition {
        Condition::ServiceStarted => progress != &Progress::Pending,
        Condition::ServiceHealthy => matches!(progress, Progress::Healthy | Progress::Failed(_)),
        Condition::ServiceCompletedSuccessfully => {
            matches!(progress, Progress::Completed | Progress::Failed(_))
        }
    }
}

/// The dependency's task finished without reaching the condition.
fn dependency_gone(name: &str, dep: &str, condition: Condition) -> anyhow::Error {
    // It is running but has no healthcheck to become healthy with.
    if condition == Condition::ServiceHealthy {
        return Hinted::user(format!(
            "service `{name}` waits for `{dep}` to be healthy, but `{dep}` has no healthcheck"
        ))
        .with_hint(format!(
            "give `{dep}` a healthcheck, or use `condition: service_started`"
        ))
        .into();
    }
    Hinted::user(format!(
        "service `{name}`: dependency `{dep}` stopped before `{}`",
        condition.as_str()
    ))
    .into()
}

/// Wait until the container is ready, or has completed for a one-shot; a failure carries
/// the service's last log lines.
async fn wait_ready(
    engine: &Engine,
    project: &str,
    name: &str,
    plan: &ContainerPlan,
    one_shot: bool,
    events: &mut broadcast::Receiver<ContainerEvent>,
) -> anyhow::Result<RunState> {
    let goal = if one_shot {
        Goal::Completed
    } else {
        Goal::Ready
    };
    let container_id = crate::stack::service_containers(engine, project)
        .await?
        .into_iter()
        .find(|c| c.name == plan.name)
        .map(|c| c.id)
        .unwrap_or_default();
    match wait_for(engine, &plan.name, &container_id, goal, events).await {
        Ok(state) => Ok(state),
        Err(failure) => Err(failures::failure_error(engine, name, &plan.name, failure).await),
    }
}

/// Tell dependents how far the service got (`healthy`: every container has a healthcheck and
/// passed it); returns the state for the report.
fn announce(tx: &watch::Sender<Progress>, one_shot: bool, healthy: bool) -> String {
    if one_shot {
        let _ = tx.send(Progress::Completed);
        "exited (0)".to_string()
    } else if healthy {
        let _ = tx.send(Progress::Healthy);
        "healthy".to_string()
    } else {
        "running".to_string()
    }
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

//! One-off containers from a service's image and configuration (compose's `run`): used for
//! command migrations when the app service is not running yet.

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::compose::Project;
use crate::docker::Engine;
use crate::docker::spec::{self, labels};

/// Run `cmd` in a new container made like service `service`'s (its image, environment,
/// volumes and networks, plus `env`), stream its output to ours, remove it, and return its
/// exit code. The container carries `com.docker.compose.oneoff=True` like compose's.
pub(crate) async fn run_oneoff(
    engine: &Engine,
    project: &Project,
    service: &str,
    cmd: &[String],
    env: &[(String, String)],
) -> anyhow::Result<i64> {
    let svc = project.service(service)?;
    let image = spec::image_name(&project.name, service, svc);
    let image_id = engine.image_id(&image).await?;
    let mut plan = spec::container_plan(
        project,
        service,
        svc,
        1,
        image_id.as_deref(),
        &std::collections::HashMap::new(),
    );
    let suffix = format!(
        "{:x}",
        std::process::id() ^ (chrono::Utc::now().timestamp_subsec_nanos())
    );
    plan.name = format!("{}-{service}-run-{suffix}", project.name);
    plan.body.cmd = Some(cmd.to_vec());
    // Ports belong to the long-running container; a one-off publishes nothing.
    if let Some(hc) = plan.body.host_config.as_mut() {
        hc.port_bindings = None;
        hc.restart_policy = None;
    }
    plan.body.healthcheck = None;
    let body_env = plan.body.env.get_or_insert_with(Vec::new);
    for (k, v) in env {
        body_env.retain(|e| !e.starts_with(&format!("{k}=")));
        body_env.push(format!("{k}={v}"));
    }
    if let Some(l) = plan.body.labels.as_mut() {
        l.insert(labels::ONEOFF.into(), "True".into());
    }
    engine
        .create_container(&plan.name, plan.body.clone(), plan.platform.as_deref())
        .await?;
    let result = async {
        for (net, ep) in &plan.extra_networks {
            engine.connect_network(&plan.name, net, ep.clone()).await?;
        }
        engine.start(&plan.name).await?;
        // Following from the start replays everything printed so far, then streams.
        let mut logs = engine.logs(&plan.name, true, None, None, false);
        // A one-off's output is for people (stdout stays data): all of it goes to stderr.
        let mut stderr = tokio::io::stderr();
        while let Some(Ok(chunk)) = logs.next().await {
            let _ = stderr.write_all(chunk.text.as_bytes()).await;
        }
        let _ = stderr.flush().await;
        anyhow::Ok(engine.wait_exit(&plan.name).await?)
    }
    .await;
    let _ = engine.remove(&plan.name, true, true).await;
    result
}

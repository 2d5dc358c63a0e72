//! What `up` says when a service fails or the stack is not ready in time: the service's
//! last log lines or health checks, and what to try.

use super::Up;
use crate::docker::spec;
use crate::docker::{ContainerState, Engine};
use crate::error::Hinted;
use crate::stack::wait::WaitFailure;

pub(super) async fn failure_error(
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

/// Names each selected service that is not running (and healthy), with its last health checks.
pub(super) async fn timeout_error(up: Up<'_>, selected: &[String]) -> anyhow::Error {
    let project = up.project;
    let mut lines = Vec::new();
    for name in selected {
        let Some(svc) = project.services.get(name) else {
            continue;
        };
        let cname = spec::container_name(&project.name, name, svc, 1);
        let Ok(st) = up.engine.run_state(&cname).await else {
            lines.push(format!("  `{name}`: not started"));
            continue;
        };
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
    }
    Hinted::user(format!(
        "the stack was not ready within {}s:\n{}",
        up.opts.wait_timeout.as_secs(),
        lines.join("\n")
    ))
    .with_hint("raise `--wait-timeout`, or look at `devenv logs` for the services above")
    .into()
}

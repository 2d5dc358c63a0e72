//! Waiting on containers through the engine's events (health_status, die), with an
//! inspect on each event and a slow poll as a fallback for events the engine does not send.

use std::time::Duration;

use tokio::sync::broadcast;

use crate::docker::{ContainerEvent, ContainerState, Engine, RunState};

/// What a waiter wants from a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Goal {
    /// Running, and healthy when it has a healthcheck.
    Ready,
    /// Exited with code 0.
    Completed,
}

/// How a wait ended badly.
#[derive(Debug, Clone)]
pub(super) enum WaitFailure {
    Exited { code: i64, error: Option<String> },
    Unhealthy { log: Vec<String> },
    Engine(String),
}

const POLL: Duration = Duration::from_millis(1000);

/// Wait until the container reaches `goal` or fails. Timeouts are the caller's.
pub(super) async fn wait_for(
    engine: &Engine,
    name: &str,
    id: &str,
    goal: Goal,
    events: &mut broadcast::Receiver<ContainerEvent>,
) -> Result<RunState, WaitFailure> {
    loop {
        let st = engine
            .run_state(name)
            .await
            .map_err(|e| WaitFailure::Engine(e.to_string()))?;
        match (goal, st.state) {
            (Goal::Completed, ContainerState::Exited | ContainerState::Dead) => {
                return match st.exit_code.unwrap_or(-1) {
                    0 => Ok(st),
                    code => Err(WaitFailure::Exited {
                        code,
                        error: st.error.clone(),
                    }),
                };
            }
            (Goal::Ready, ContainerState::Exited | ContainerState::Dead) => {
                return Err(WaitFailure::Exited {
                    code: st.exit_code.unwrap_or(-1),
                    error: st.error.clone(),
                });
            }
            (Goal::Ready, ContainerState::Running) => match st.health.as_deref() {
                None | Some("healthy") => return Ok(st),
                Some("unhealthy") => {
                    return Err(WaitFailure::Unhealthy {
                        log: st.health_log.clone(),
                    });
                }
                _ => {}
            },
            _ => {}
        }
        // Sleep until an event about this container arrives, or the poll interval passes.
        let deadline = tokio::time::sleep(POLL);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                ev = events.recv() => match ev {
                    Ok(ContainerEvent::Health { id: eid, .. } | ContainerEvent::Die { id: eid } | ContainerEvent::Start { id: eid })
                        if eid == id => break,
                    Ok(_) => continue,
                    // Missed events or a closed stream: the poll still sees the state.
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => { (&mut deadline).await; break }
                },
            }
        }
    }
}

/// Forward the project's engine events into a broadcast channel until the receiver side drops.
pub(super) fn spawn_event_pump(
    engine: &Engine,
    project: &str,
) -> (
    broadcast::Sender<ContainerEvent>,
    tokio::task::JoinHandle<()>,
) {
    use futures_util::StreamExt;
    let (tx, _) = broadcast::channel(256);
    let mut stream = engine.container_events(project);
    let sender = tx.clone();
    let handle = tokio::spawn(async move {
        while let Some(Ok(ev)) = stream.next().await {
            if sender.send(ev).is_err() && sender.receiver_count() == 0 {
                // Nobody listens right now; keep pumping for later subscribers.
            }
        }
    });
    (tx, handle)
}

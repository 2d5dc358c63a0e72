//! Streams from the engine: logs, exec (with a TTY when interactive), and events.

use std::collections::HashMap;
use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::{EventsOptions, LogsOptions, ResizeExecOptions};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{DockerError, Engine};

/// One chunk of a container's output, split into lines by the caller if needed.
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    pub stderr: bool,
    pub text: String,
}

pub(crate) type LogStream = Pin<Box<dyn Stream<Item = Result<LogLine, DockerError>> + Send>>;

/// What to run with `exec`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExecRequest {
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// Allocate a TTY (and put the local terminal in raw mode).
    pub tty: bool,
    /// Forward our stdin.
    pub interactive: bool,
    pub privileged: bool,
}

/// An engine event about a container, reduced to what waiting needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContainerEvent {
    Health { id: String, status: String },
    Die { id: String },
    Start { id: String },
    Other { id: String, action: String },
}

impl Engine {
    /// A container's logs; `tail` is `all` or a number, `since` a unix timestamp.
    pub(crate) fn logs(
        &self,
        name: &str,
        follow: bool,
        tail: Option<String>,
        since: Option<i32>,
        timestamps: bool,
    ) -> LogStream {
        let opts = LogsOptions {
            follow,
            stdout: true,
            stderr: true,
            timestamps,
            tail: tail.unwrap_or_else(|| "all".into()),
            since: since.unwrap_or(0),
            ..Default::default()
        };
        let owned = name.to_string();
        Box::pin(
            self.api()
                .logs(name, Some(opts))
                .map(move |item| match item {
                    Ok(out) => {
                        let stderr = matches!(out, LogOutput::StdErr { .. });
                        Ok(LogLine {
                            stderr,
                            text: String::from_utf8_lossy(&out.into_bytes()).into_owned(),
                        })
                    }
                    Err(source) => Err(DockerError::Logs {
                        name: owned.clone(),
                        source,
                    }),
                }),
        )
    }

    /// Run a command in a running container, wired to our stdio. Returns its exit code.
    pub(crate) async fn exec(&self, container: &str, req: ExecRequest) -> Result<i64, DockerError> {
        let err = |source| DockerError::Exec {
            name: container.to_string(),
            source,
        };
        let exec = self
            .api()
            .create_exec(container, exec_config(&req))
            .await
            .map_err(err)?;
        let options = StartExecOptions {
            detach: false,
            tty: req.tty,
            output_capacity: None,
        };
        let started = self
            .api()
            .start_exec(&exec.id, Some(options))
            .await
            .map_err(err)?;
        let StartExecResults::Attached { output, input } = started else {
            return Ok(0);
        };
        let _raw = if req.tty {
            raw::RawMode::enable()
        } else {
            None
        };
        if req.tty {
            self.fit_exec_to_terminal(&exec.id).await;
        }
        let stdin_task = req.interactive.then(|| tokio::spawn(forward_stdin(input)));
        let copied = copy_output(output).await;
        if let Some(task) = stdin_task {
            task.abort();
        }
        copied.map_err(err)?;
        let info = self.api().inspect_exec(&exec.id).await.map_err(err)?;
        Ok(info.exit_code.unwrap_or(0))
    }

    /// Size the exec's TTY like our terminal (best effort: a wrong size only wraps lines).
    async fn fit_exec_to_terminal(&self, exec_id: &str) {
        if let Some((w, h)) = raw::terminal_size() {
            let size = ResizeExecOptions {
                h: h.into(),
                w: w.into(),
            };
            let _ = self.api().resize_exec(exec_id, size).await;
        }
    }

    /// Engine events for containers of a project (health, start, die), from now on.
    pub(crate) fn container_events(
        &self,
        project: &str,
    ) -> Pin<Box<dyn Stream<Item = Result<ContainerEvent, DockerError>> + Send>> {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            (
                "label".to_string(),
                vec![format!("{}={project}", super::spec::labels::PROJECT)],
            ),
        ]);
        let opts = EventsOptions {
            filters: Some(filters),
            ..Default::default()
        };
        Box::pin(self.api().events(Some(opts)).map(|item| {
            let msg = item.map_err(|source| DockerError::Events { source })?;
            let id = msg.actor.and_then(|a| a.id).unwrap_or_default();
            let action = msg.action.unwrap_or_default();
            Ok(
                if let Some(status) = action.strip_prefix("health_status:") {
                    ContainerEvent::Health {
                        id,
                        status: status.trim().to_string(),
                    }
                } else if action == "die" {
                    ContainerEvent::Die { id }
                } else if action == "start" {
                    ContainerEvent::Start { id }
                } else {
                    ContainerEvent::Other { id, action }
                },
            )
        }))
    }
}

fn exec_config(req: &ExecRequest) -> ExecConfig {
    ExecConfig {
        attach_stdin: Some(req.interactive),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(req.tty),
        env: (!req.env.is_empty()).then(|| req.env.clone()),
        cmd: Some(req.cmd.clone()),
        user: req.user.clone(),
        working_dir: req.workdir.clone(),
        privileged: Some(req.privileged),
        ..Default::default()
    }
}

/// Our stdin into the exec until either side closes.
async fn forward_stdin(mut input: Pin<Box<dyn AsyncWrite + Send>>) {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 4096];
    loop {
        match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if input.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                let _ = input.flush().await;
            }
        }
    }
    let _ = input.shutdown().await;
}

/// The exec's output to our stdout and stderr, as it comes, until it ends.
async fn copy_output(
    mut output: Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
) -> Result<(), bollard::errors::Error> {
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    while let Some(item) = output.next().await {
        match item? {
            LogOutput::StdErr { message } => {
                let _ = stderr.write_all(&message).await;
                let _ = stderr.flush().await;
            }
            other => {
                let _ = stdout.write_all(&other.into_bytes()).await;
                let _ = stdout.flush().await;
            }
        }
    }
    Ok(())
}

/// The local terminal in raw mode for an interactive TTY session; restored on drop.
pub(crate) mod raw {
    use std::io::IsTerminal;

    pub(crate) struct RawMode {
        saved: libc::termios,
    }

    impl RawMode {
        pub(crate) fn enable() -> Option<Self> {
            if !std::io::stdin().is_terminal() {
                return None;
            }
            // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed termios we own.
            unsafe {
                let mut saved: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(0, &mut saved) != 0 {
                    return None;
                }
                let mut raw = saved;
                libc::cfmakeraw(&mut raw);
                if libc::tcsetattr(0, libc::TCSANOW, &raw) != 0 {
                    return None;
                }
                Some(Self { saved })
            }
        }
    }

    impl Drop for RawMode {
        fn drop(&mut self) {
            // SAFETY: restores the settings read in `enable`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &self.saved);
            }
        }
    }

    /// (columns, rows) of the terminal on stdout, if it is one.
    pub(crate) fn terminal_size() -> Option<(u16, u16)> {
        // SAFETY: TIOCGWINSZ fills a winsize we own.
        unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            (libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0)
                .then_some((ws.ws_col, ws.ws_row))
        }
    }
}

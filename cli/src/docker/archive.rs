//! Files into a running container, and commands whose output is captured: the two engine
//! calls that watch mode (sync) and the preview edge (its config) build on. A tar is made by
//! the caller; this module only moves it.

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::UploadToContainerOptionsBuilder;
use bytes::Bytes;
use futures_util::StreamExt;

use super::{DockerError, Engine};

/// What a captured exec printed, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExecOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl Engine {
    #[expect(dead_code, reason = "watch mode's sync and the preview edge use it")]
    /// Unpack a tar archive into `dir` (an absolute folder) of a container, in one call.
    /// The container may be running or stopped; the folder must exist.
    pub(crate) async fn upload_tar(
        &self,
        container: &str,
        dir: &str,
        tar: Bytes,
    ) -> Result<(), DockerError> {
        let options = UploadToContainerOptionsBuilder::new().path(dir).build();
        self.api()
            .upload_to_container(container, Some(options), bollard::body_full(tar))
            .await
            .map_err(|source| DockerError::Upload {
                name: container.to_string(),
                path: dir.to_string(),
                source,
            })
    }

    #[expect(dead_code, reason = "the preview edge's reload uses it")]
    /// Run a command in a running container without a terminal and capture what it prints.
    pub(crate) async fn exec_capture(
        &self,
        container: &str,
        cmd: &[&str],
    ) -> Result<ExecOutput, DockerError> {
        let err = |source| DockerError::Exec {
            name: container.to_string(),
            source,
        };
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd.iter().map(ToString::to_string).collect()),
            ..Default::default()
        };
        let exec = self
            .api()
            .create_exec(container, config)
            .await
            .map_err(err)?;
        let options = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        };
        let mut out = ExecOutput::default();
        let started = self
            .api()
            .start_exec(&exec.id, Some(options))
            .await
            .map_err(err)?;
        if let StartExecResults::Attached { mut output, .. } = started {
            while let Some(item) = output.next().await {
                match item.map_err(err)? {
                    LogOutput::StdErr { message } => {
                        out.stderr.push_str(&String::from_utf8_lossy(&message));
                    }
                    other => out
                        .stdout
                        .push_str(&String::from_utf8_lossy(&other.into_bytes())),
                }
            }
        }
        let info = self.api().inspect_exec(&exec.id).await.map_err(err)?;
        out.exit_code = info.exit_code.unwrap_or(0);
        Ok(out)
    }
}

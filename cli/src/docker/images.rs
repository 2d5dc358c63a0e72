//! Images: look up, pull with per-layer progress, build from a context tar (`.dockerignore`).

use std::collections::HashMap;
use std::path::PathBuf;

use bollard::models::BuildInfo;
use bollard::query_parameters::{BuildImageOptions, CreateImageOptions};
use futures_util::StreamExt;
use indicatif::ProgressBar;

use super::build_context::context_tar;
use super::{DockerError, Engine};
use crate::ui::Printer;

/// Everything needed to build one service's image.
#[derive(Debug, Clone)]
pub(crate) struct BuildRequest {
    pub service: String,
    /// The tag to give the result, e.g. `shop-web` or the service's `image:`.
    pub image: String,
    pub context: PathBuf,
    /// Relative to the context.
    pub dockerfile: String,
    pub args: HashMap<String, String>,
    pub target: Option<String>,
    pub labels: HashMap<String, String>,
    /// Always try to pull newer base images.
    pub pull: bool,
    pub no_cache: bool,
    pub cache_from: Vec<String>,
    /// The network `RUN` steps use.
    pub network: Option<String>,
    /// `host:ip` entries for `RUN` steps.
    pub extra_hosts: Vec<String>,
    /// Bytes of /dev/shm for `RUN` steps.
    pub shm_size: Option<u64>,
}

/// Split `repo[:tag]` (a registry port is not a tag), defaulting the tag to `latest`.
pub(super) fn split_reference(image: &str) -> (&str, &str) {
    if let Some(at) = image.find('@') {
        return (&image[..at], &image[at + 1..]);
    }
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(colon) => (&image[..slash + colon], &image[slash + colon + 1..]),
        None => (image, "latest"),
    }
}

impl Engine {
    /// The local image's id, or None when it is not present.
    pub(crate) async fn image_id(&self, image: &str) -> Result<Option<String>, DockerError> {
        match self.api().inspect_image(image).await {
            Ok(info) => Ok(info.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(source) => Err(DockerError::InspectImage {
                image: image.to_string(),
                source,
            }),
        }
    }

    /// The paths an image declares as `VOLUME`.
    pub(crate) async fn image_volumes(&self, image: &str) -> Result<Vec<String>, DockerError> {
        match self.api().inspect_image(image).await {
            Ok(info) => Ok(info.config.and_then(|c| c.volumes).unwrap_or_default()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(Vec::new()),
            Err(source) => Err(DockerError::InspectImage {
                image: image.to_string(),
                source,
            }),
        }
    }

    /// Pull an image, one progress bar per layer.
    pub(crate) async fn pull(&self, image: &str, printer: &Printer) -> Result<(), DockerError> {
        let (repo, tag) = split_reference(image);
        let opts = CreateImageOptions {
            from_image: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            ..Default::default()
        };
        printer.status("Pulling", format!("`{image}`"));
        let multi = printer.multi_progress();
        let mut bars: HashMap<String, ProgressBar> = HashMap::new();
        let mut stream = self.api().create_image(Some(opts), None, None);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|source| DockerError::Pull {
                image: image.to_string(),
                source,
            })?;
            if let Some(err) = info.error_detail.and_then(|e| e.message) {
                return Err(DockerError::Pull {
                    image: image.to_string(),
                    source: bollard::errors::Error::DockerResponseServerError {
                        status_code: 500,
                        message: err,
                    },
                });
            }
            let (Some(id), Some(detail)) = (info.id, info.progress_detail) else {
                continue;
            };
            let bar = bars.entry(id.clone()).or_insert_with(|| {
                multi.add(printer.bytes_bar(
                    0,
                    format!("{id} {}", info.status.clone().unwrap_or_default()),
                ))
            });
            if let Some(total) = detail.total.filter(|t| *t > 0) {
                bar.set_length(total as u64);
            }
            if let Some(current) = detail.current {
                bar.set_position(current.max(0) as u64);
            }
            if let Some(status) = info.status {
                bar.set_message(format!("{id} {status}"));
            }
        }
        for bar in bars.values() {
            bar.finish_and_clear();
        }
        Ok(())
    }

    /// Build an image from a context folder, streaming output; on failure the error names
    /// the failing step and carries the last lines of output.
    pub(crate) async fn build(
        &self,
        req: &BuildRequest,
        printer: &Printer,
    ) -> Result<String, DockerError> {
        let tar = build_context(req).await?;
        printer.status(
            "Building",
            format!(
                "`{}` for service `{}` ({} KiB context)",
                req.image,
                req.service,
                tar.len() / 1024
            ),
        );
        let spinner = printer.spinner(format!("building {}", req.service));
        let mut stream = self.api().build_image(
            build_options(req),
            None,
            Some(bollard::body_full(tar.into())),
        );
        let mut log = BuildLog {
            req,
            printer,
            spinner: &spinner,
            recent: Vec::new(),
            step: String::new(),
            image_id: None,
        };
        while let Some(item) = stream.next().await {
            let read = match item {
                Ok(info) => log.read(info),
                Err(e) => Err(e.to_string()),
            };
            if let Err(message) = read {
                spinner.finish_and_clear();
                return Err(log.error(&message));
            }
        }
        spinner.finish_and_clear();
        match log.image_id.take() {
            Some(id) => Ok(id),
            None => self
                .image_id(&req.image)
                .await?
                .ok_or_else(|| log.error("the engine reported no image")),
        }
    }
}

/// The context tar, made off the async threads (it walks and reads the whole folder).
async fn build_context(req: &BuildRequest) -> Result<Vec<u8>, DockerError> {
    let context = req.context.clone();
    let dockerfile = req.dockerfile.clone();
    tokio::task::spawn_blocking(move || context_tar(&context, &dockerfile))
        .await
        .map_err(|e| DockerError::BuildContext {
            service: req.service.clone(),
            source: std::io::Error::other(e),
        })?
        .map_err(|source| DockerError::BuildContext {
            service: req.service.clone(),
            source,
        })
}

fn build_options(req: &BuildRequest) -> BuildImageOptions {
    BuildImageOptions {
        dockerfile: req.dockerfile.clone(),
        t: Some(req.image.clone()),
        rm: true,
        forcerm: true,
        nocache: req.no_cache,
        pull: req.pull.then(|| "1".to_string()),
        buildargs: Some(req.args.clone()),
        labels: Some(req.labels.clone()),
        target: req.target.clone().unwrap_or_default(),
        cachefrom: (!req.cache_from.is_empty()).then(|| req.cache_from.clone()),
        networkmode: req.network.clone(),
        extrahosts: (!req.extra_hosts.is_empty()).then(|| req.extra_hosts.join(",")),
        shmsize: req.shm_size.map(|s| s.min(i32::MAX as u64) as i32),
        ..Default::default()
    }
}

/// A build's output as it streams: shown to the user, the current step and the last lines
/// kept for an error, and the image id once the engine reports it.
struct BuildLog<'a> {
    req: &'a BuildRequest,
    printer: &'a Printer,
    spinner: &'a ProgressBar,
    /// The last 20 lines.
    recent: Vec<String>,
    /// The last `Step N/M : …` line.
    step: String,
    image_id: Option<String>,
}

impl BuildLog<'_> {
    /// One message from the engine; `Err` with the engine's message when the build failed.
    fn read(&mut self, info: BuildInfo) -> Result<(), String> {
        if let Some(aux) = info.aux.and_then(|a| a.id) {
            self.image_id = Some(aux);
        }
        if let Some(text) = info.stream {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                self.show(line);
            }
        }
        match info.error_detail.and_then(|e| e.message) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn show(&mut self, line: &str) {
        let service = &self.req.service;
        if line.starts_with("Step ") {
            self.step = line.to_string();
            self.spinner.set_message(format!("{service}: {line}"));
        }
        if self.printer.progress_enabled() {
            self.spinner
                .suspend(|| self.printer.detail(format!("{service} | {line}")));
        } else {
            self.printer.info(format!("{service} | {line}"));
        }
        self.recent.push(line.to_string());
        if self.recent.len() > 20 {
            self.recent.remove(0);
        }
    }

    fn error(&self, message: &str) -> DockerError {
        build_error(self.req, &self.step, &self.recent, message)
    }
}

/// The engine's message, the failing step and the last lines of output.
fn build_error(req: &BuildRequest, step: &str, recent: &[String], message: &str) -> DockerError {
    let mut text = message.trim().to_string();
    if !step.is_empty() {
        text = format!("{text}\n  failing step: {step}");
    }
    if !recent.is_empty() {
        text.push_str("\n  last output:\n");
        for line in recent.iter().rev().take(10).rev() {
            text.push_str(&format!("    {line}\n"));
        }
    }
    DockerError::Build {
        service: req.service.clone(),
        image: req.image.clone(),
        message: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_like_docker() {
        assert_eq!(split_reference("postgres"), ("postgres", "latest"));
        assert_eq!(split_reference("postgres:15"), ("postgres", "15"));
        assert_eq!(
            split_reference("localhost:5000/app"),
            ("localhost:5000/app", "latest")
        );
        assert_eq!(
            split_reference("localhost:5000/app:v1"),
            ("localhost:5000/app", "v1")
        );
    }
}

//! Images: look up, pull with per-layer progress, build from a context tar (`.dockerignore`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::query_parameters::{BuildImageOptions, CreateImageOptions};
use futures_util::StreamExt;
use indicatif::ProgressBar;

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
        let context = req.context.clone();
        let dockerfile = req.dockerfile.clone();
        let tar = tokio::task::spawn_blocking(move || context_tar(&context, &dockerfile))
            .await
            .map_err(|e| DockerError::BuildContext {
                service: req.service.clone(),
                source: std::io::Error::other(e),
            })?
            .map_err(|source| DockerError::BuildContext {
                service: req.service.clone(),
                source,
            })?;
        printer.status(
            "Building",
            format!(
                "`{}` for service `{}` ({} KiB context)",
                req.image,
                req.service,
                tar.len() / 1024
            ),
        );
        let opts = BuildImageOptions {
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
        };
        let spinner = printer.spinner(format!("building {}", req.service));
        let mut stream = self
            .api()
            .build_image(opts, None, Some(bollard::body_full(tar.into())));
        let mut recent: Vec<String> = Vec::new();
        let mut step = String::new();
        let mut image_id = None;
        let prefix = format!("{} |", req.service);
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                Err(e) => {
                    spinner.finish_and_clear();
                    return Err(build_error(req, &step, &recent, &e.to_string()));
                }
            };
            if let Some(aux) = info.aux.and_then(|a| a.id) {
                image_id = Some(aux);
            }
            if let Some(text) = info.stream {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    if line.starts_with("Step ") {
                        step = line.to_string();
                        spinner.set_message(format!("{}: {line}", req.service));
                    }
                    if printer.progress_enabled() {
                        spinner.suspend(|| printer.detail(format!("{prefix} {line}")));
                    } else {
                        printer.info(format!("{prefix} {line}"));
                    }
                    recent.push(line.to_string());
                    if recent.len() > 20 {
                        recent.remove(0);
                    }
                }
            }
            if let Some(err) = info.error_detail.and_then(|e| e.message) {
                spinner.finish_and_clear();
                return Err(build_error(req, &step, &recent, &err));
            }
        }
        spinner.finish_and_clear();
        match image_id {
            Some(id) => Ok(id),
            None => self
                .image_id(&req.image)
                .await?
                .ok_or_else(|| build_error(req, &step, &recent, "the engine reported no image")),
        }
    }
}

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

/// The build context as an uncompressed tar, honouring `.dockerignore` (the Dockerfile and
/// `.dockerignore` themselves are always sent, as docker does).
fn context_tar(context: &Path, dockerfile: &str) -> std::io::Result<Vec<u8>> {
    let ignore = dockerignore(context)?;
    let dockerfile = Path::new(dockerfile.trim_start_matches("./"));
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let walker = walkdir::WalkDir::new(context)
        .follow_links(false)
        .sort_by_file_name();
    let mut it = walker.into_iter();
    while let Some(entry) = it.next() {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = match entry.path().strip_prefix(context) {
            Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
            _ => continue,
        };
        let is_dir = entry.file_type().is_dir();
        let keep = rel == dockerfile || rel == Path::new(".dockerignore");
        if !keep && ignore.matched_path_or_any_parents(&rel, is_dir).is_ignore() {
            // An excluded folder may still hold a re-included file (`!`) or the Dockerfile,
            // which is always sent; only skip the walk below it when neither can be there.
            if is_dir && ignore.num_whitelists() == 0 && !dockerfile.starts_with(&rel) {
                it.skip_current_dir();
            }
            continue;
        }
        builder.append_path_with_name(entry.path(), &rel)?;
    }
    builder.into_inner()
}

fn dockerignore(context: &Path) -> std::io::Result<ignore::gitignore::Gitignore> {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(context);
    let path = context.join(".dockerignore");
    if let Ok(text) = fs_err::read_to_string(&path) {
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // .dockerignore patterns are anchored at the context root; gitignore's are not
            // unless they start with `/`.
            let (neg, pat) = match line.strip_prefix('!') {
                Some(p) => ("!", p.trim()),
                None => ("", line),
            };
            let pat = pat.trim_start_matches("./").trim_start_matches('/');
            let anchored = if pat.starts_with("**") {
                pat.to_string()
            } else {
                format!("/{pat}")
            };
            builder
                .add_line(None, &format!("{neg}{anchored}"))
                .map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
        }
    }
    builder.build().map_err(std::io::Error::other)
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

    #[test]
    fn dockerignore_is_anchored_and_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(
            d.join(".dockerignore"),
            "secret.txt\nnode_modules\nDockerfile\n*.log\n!keep.log\n",
        )
        .unwrap();
        std::fs::write(d.join("secret.txt"), "x").unwrap();
        std::fs::write(d.join("a.log"), "x").unwrap();
        std::fs::write(d.join("keep.log"), "x").unwrap();
        std::fs::create_dir_all(d.join("node_modules/x")).unwrap();
        std::fs::write(d.join("node_modules/x/i.js"), "x").unwrap();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/secret.txt"), "x").unwrap();
        let tar = context_tar(d, "Dockerfile").unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "keep.log",
                "sub",
                "sub/secret.txt"
            ]
        );
    }

    #[test]
    fn a_dockerfile_in_an_ignored_folder_is_still_sent() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("docker")).unwrap();
        std::fs::write(d.join("docker/Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(d.join("docker/other"), "x").unwrap();
        std::fs::write(d.join(".dockerignore"), "docker\n").unwrap();
        let tar = context_tar(d, "./docker/Dockerfile").unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert!(
            names.contains(&"docker/Dockerfile".to_string()),
            "{names:?}"
        );
        assert!(!names.contains(&"docker/other".to_string()), "{names:?}");
    }
}

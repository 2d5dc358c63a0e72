//! Prefetch: make every image a stack needs local (pull, then build), for offline work.

use serde::Serialize;

use super::PullPolicy;
use crate::compose::Project;
use crate::docker::{DockerError, Engine};
use crate::ui::Printer;

#[derive(Debug, Clone)]
pub(crate) struct PrefetchOptions {
    pub services: Vec<String>,
    pub pull: PullPolicy,
}

/// An image that is now local.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LocalImage {
    pub image: String,
    /// `service`, `base` (a Dockerfile's FROM) or `built`.
    pub kind: &'static str,
    pub id: String,
}

pub(crate) async fn prefetch(
    engine: &Engine,
    project: &Project,
    opts: &PrefetchOptions,
    printer: &Printer,
) -> anyhow::Result<Vec<LocalImage>> {
    let required = crate::offline::required_images(project, &opts.services)?;
    let pulls = required.iter().map(|r| async move {
        let present = engine.image_id(&r.image).await?;
        if present.is_none() || opts.pull == PullPolicy::Always {
            engine.pull(&r.image, printer).await?;
        } else {
            printer.status("Present", format!("`{}`", r.image));
        }
        let id = engine
            .image_id(&r.image)
            .await?
            .ok_or_else(|| DockerError::ImageMissing {
                image: r.image.clone(),
            })?;
        anyhow::Ok(LocalImage {
            image: r.image.clone(),
            kind: r.kind,
            id,
        })
    });
    let mut out = Vec::new();
    for r in futures_util::future::join_all(pulls).await {
        out.push(r?);
    }
    for name in project.start_levels(&opts.services)?.iter().flatten() {
        let svc = project.service(name)?;
        let Some(req) = super::build_request(project, name, svc, None) else {
            continue;
        };
        let image = req.image.clone();
        let id = engine.build(&req, printer).await?;
        printer.status("Built", format!("`{image}`"));
        out.push(LocalImage {
            image,
            kind: "built",
            id,
        });
    }
    Ok(out)
}

//! Each selected service's image: built when it has `build:` (one at a time, the machine's
//! cores are the limit), else pulled as its pull policy says (in parallel).

use std::collections::HashMap;

use super::{PullPolicy, Up};
use crate::compose::Service;
use crate::docker::DockerError;
use crate::docker::spec;
use crate::error::Hinted;

/// Build or pull what is missing; returns each service's image id.
pub(super) async fn ensure_images(
    up: Up<'_>,
    selected: &[String],
) -> anyhow::Result<HashMap<String, String>> {
    let mut ids = HashMap::new();
    let mut pulls = Vec::new();
    for name in selected {
        let svc = up.project.service(name)?;
        let image = spec::image_name(&up.project.name, name, svc);
        if svc.build.is_some() {
            ids.insert(name.clone(), built_image(up, name, svc, &image).await?);
        } else {
            let policy = pull_policy(up.opts.pull, svc);
            pulls.push(async move {
                anyhow::Ok((name.clone(), pulled_image(up, image, policy).await?))
            });
        }
    }
    for r in futures_util::future::join_all(pulls).await {
        let (name, id) = r?;
        ids.insert(name, id);
    }
    Ok(ids)
}

/// The id of service `name`'s built image, building it when missing, asked for with
/// `--build`, or when its `pull_policy` is `build`.
async fn built_image(up: Up<'_>, name: &str, svc: &Service, image: &str) -> anyhow::Result<String> {
    let present = up.engine.image_id(image).await?;
    let policy_build = svc.pull_policy.as_deref() == Some("build");
    match present {
        Some(id) if !up.opts.build && !policy_build => Ok(id),
        _ if up.opts.no_build => Err(Hinted::user(format!(
            "service `{name}` needs image `{image}`, which is not built yet"
        ))
        .with_hint("run without `--no-build`, or `devenv up --build`")
        .into()),
        _ => {
            let pull = match up.opts.pull {
                PullPolicy::Always => Some(true),
                PullPolicy::Never => Some(false),
                PullPolicy::Missing => None,
            };
            let req = crate::stack::build_request(up.project, name, svc, pull)
                .expect("a service with `build:` has a build request");
            let id = up.engine.build(&req, up.printer).await?;
            up.printer.status("Built", format!("`{image}`"));
            Ok(id)
        }
    }
}

/// `--pull never` (and `--offline`) win over the service's own `pull_policy`.
fn pull_policy(requested: PullPolicy, svc: &Service) -> PullPolicy {
    match svc.pull_policy.as_deref() {
        _ if requested == PullPolicy::Never => PullPolicy::Never,
        Some("always") => PullPolicy::Always,
        Some("never") => PullPolicy::Never,
        _ => requested,
    }
}

/// The id of `image`, pulled first when the policy asks for it.
async fn pulled_image(up: Up<'_>, image: String, policy: PullPolicy) -> anyhow::Result<String> {
    let present = up.engine.image_id(&image).await?;
    match (present, policy) {
        (Some(id), PullPolicy::Missing | PullPolicy::Never) => Ok(id),
        (None, PullPolicy::Never) => Err(DockerError::ImageMissing { image }.into()),
        _ => {
            up.engine.pull(&image, up.printer).await?;
            let id = up.engine.image_id(&image).await?;
            Ok(id.ok_or(DockerError::ImageMissing { image })?)
        }
    }
}

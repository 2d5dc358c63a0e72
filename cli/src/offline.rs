//! What a stack needs locally to start with no network: every service image, and for each
//! service built from a Dockerfile, the `FROM` base images (build args applied). Shared by
//! `doctor`, `prefetch` and `up --offline`.

use std::collections::HashMap;

use serde::Serialize;

use crate::compose::Project;
use crate::docker::Engine;

/// One image the stack needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RequiredImage {
    pub image: String,
    pub service: String,
    /// `service` (runs as a container) or `base` (a Dockerfile's FROM).
    pub kind: &'static str,
}

/// Every image the selected services need (all services when `services` is empty).
pub(crate) fn required_images(
    project: &Project,
    services: &[String],
) -> anyhow::Result<Vec<RequiredImage>> {
    let mut out: Vec<RequiredImage> = Vec::new();
    let levels = project.start_levels(services)?;
    for name in levels.iter().flatten() {
        let svc = project.service(name)?;
        match &svc.build {
            Some(build) => {
                let path = build.context.join(&build.dockerfile);
                let text = fs_err::read_to_string(&path)?;
                let args: HashMap<String, String> = build
                    .args
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for image in dockerfile_bases(&text, &args, build.target.as_deref()) {
                    push(
                        &mut out,
                        RequiredImage {
                            image,
                            service: name.clone(),
                            kind: "base",
                        },
                    );
                }
            }
            None => {
                if let Some(image) = &svc.image {
                    push(
                        &mut out,
                        RequiredImage {
                            image: image.clone(),
                            service: name.clone(),
                            kind: "service",
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

fn push(out: &mut Vec<RequiredImage>, img: RequiredImage) {
    if !out.iter().any(|o| o.image == img.image) {
        out.push(img);
    }
}

/// The images among `required` that are not present in the engine.
pub(crate) async fn missing_images(
    engine: &Engine,
    required: &[RequiredImage],
) -> anyhow::Result<Vec<RequiredImage>> {
    let checks = required
        .iter()
        .map(|r| async move { engine.image_id(&r.image).await.map(|id| (r, id.is_none())) });
    let mut missing = Vec::new();
    for res in futures_util::future::join_all(checks).await {
        let (r, absent) = res?;
        if absent {
            missing.push(r.clone());
        }
    }
    Ok(missing)
}

/// The base images a Dockerfile pulls: each `FROM` that is not `scratch` or an earlier
/// stage, with `ARG` defaults before the first `FROM` and the compose build args applied.
/// With a `target`, stages after it are not needed.
pub(crate) fn dockerfile_bases(
    text: &str,
    build_args: &HashMap<String, String>,
    target: Option<&str>,
) -> Vec<String> {
    let mut args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut bases = Vec::new();
    let mut seen_from = false;
    for line in logical_lines(text) {
        let mut words = line.split_whitespace();
        let Some(instr) = words.next() else { continue };
        match instr.to_ascii_uppercase().as_str() {
            "ARG" if !seen_from => declare_args(words, build_args, &mut args),
            "FROM" => {
                seen_from = true;
                let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
                let Some(image) = rest.first() else { continue };
                let image = substitute(image, &args);
                let stage = match rest.get(1) {
                    Some(kw) if kw.eq_ignore_ascii_case("as") => {
                        rest.get(2).map(|s| s.to_lowercase())
                    }
                    _ => None,
                };
                if image != "scratch"
                    && !stages.contains(&image.to_lowercase())
                    && !bases.contains(&image)
                {
                    bases.push(image);
                }
                if let Some(s) = stage {
                    let done = target.is_some_and(|t| t.eq_ignore_ascii_case(&s));
                    stages.push(s);
                    if done {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    bases
}

/// `ARG NAME[=default] …` before the first `FROM`: the compose build arg, else the default.
fn declare_args<'a>(
    decls: impl Iterator<Item = &'a str>,
    build_args: &HashMap<String, String>,
    args: &mut HashMap<String, String>,
) {
    for decl in decls {
        let (k, v) = decl
            .split_once('=')
            .map_or((decl, None), |(k, v)| (k, Some(v.trim_matches('"'))));
        let value = build_args
            .get(k)
            .cloned()
            .or(v.map(str::to_string))
            .unwrap_or_default();
        args.insert(k.to_string(), value);
    }
}

/// Dockerfile lines with `\` continuations joined and comments dropped.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('#') && cur.is_empty() {
            continue;
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            cur.push_str(stripped);
            cur.push(' ');
        } else {
            cur.push_str(line);
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn substitute(s: &str, args: &HashMap<String, String>) -> String {
    let re = regex::Regex::new(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)",
    )
    .expect("valid regex");
    re.replace_all(s, |c: &regex::Captures<'_>| {
        let name = c.get(1).or(c.get(3)).map_or("", |m| m.as_str());
        match args.get(name).filter(|v| !v.is_empty()) {
            Some(v) => v.clone(),
            None => c.get(2).map_or(String::new(), |m| m.as_str().to_string()),
        }
    })
    .into_owned()
}

/// For `up --offline`: fail at once, naming every image (and vendored asset) that is not
/// local, with how to get them.
pub(crate) async fn ensure_local(
    engine: &Engine,
    project: &Project,
    services: &[String],
    settings: &crate::settings::Settings,
) -> anyhow::Result<()> {
    let required = required_images(project, services)?;
    let missing = missing_images(engine, &required).await?;
    let mut lines: Vec<String> = missing
        .iter()
        .map(|m| match m.kind {
            "base" => format!(
                "  image `{}` (base image of service `{}`'s Dockerfile)",
                m.image, m.service
            ),
            _ => format!("  image `{}` (service `{}`)", m.image, m.service),
        })
        .collect();
    lines.extend(
        missing_assets(settings)
            .await?
            .into_iter()
            .map(|a| format!("  vendored asset {a}")),
    );
    if lines.is_empty() {
        return Ok(());
    }
    Err(crate::error::Hinted::user(format!("offline, and {} things the stack needs are not here:\n{}", lines.len(), lines.join("\n")))
        .with_hint("run `devenv prefetch` while online (or `docker load` / `docker tag` local copies), then `devenv doctor --offline`")
        .into())
}

/// The project's vendor options, or None when it vendors nothing (no manifest).
fn vendor_options(
    settings: &crate::settings::Settings,
) -> anyhow::Result<Option<crate::assets::config::Options>> {
    let opts =
        crate::assets::config::Options::resolve(&settings.config.vendor, &settings.project_dir)?;
    Ok(opts.manifest_path.exists().then_some(opts))
}

/// Vendored assets that are missing or differ from the lock (no network), as
/// "`dest` (name): status" lines. Empty when the project vendors nothing.
pub(crate) async fn missing_assets(
    settings: &crate::settings::Settings,
) -> anyhow::Result<Vec<String>> {
    let Some(opts) = vendor_options(settings)? else {
        return Ok(Vec::new());
    };
    let Some(lock) = crate::assets::project::load_lock(&opts)? else {
        return Ok(vec![format!(
            "lock `{}` (not written yet)",
            opts.lock_path.display()
        )]);
    };
    let root = opts.project_dir.clone();
    let checks =
        tokio::task::spawn_blocking(move || vendor_manifest::verify::verify_files(&root, &lock))
            .await?;
    Ok(checks
        .into_iter()
        .filter(|c| !c.is_ok())
        .map(|c| {
            format!(
                "`{}` ({}): {}",
                c.dest,
                c.name,
                serde_json::to_value(&c.status)
                    .ok()
                    .and_then(|v| v["status"].as_str().map(str::to_string))
                    .unwrap_or_default()
            )
        })
        .collect())
}

/// Make vendored files match the lock, fetching what is missing (for `prefetch`).
/// Returns how many assets are now local.
pub(crate) async fn sync_assets(settings: &crate::settings::Settings) -> anyhow::Result<usize> {
    let Some(opts) = vendor_options(settings)? else {
        return Ok(0);
    };
    let outcome = crate::assets::sync::sync(&opts, &settings.printer, false).await?;
    Ok(outcome.fresh + outcome.fetched.len())
}

/// Remote asset references (CDN links) in the project's files, as "file:line: url" lines.
pub(crate) async fn remote_references(
    settings: &crate::settings::Settings,
) -> anyhow::Result<Vec<String>> {
    let opts =
        crate::assets::config::Options::resolve(&settings.config.vendor, &settings.project_dir)?;
    // The vendored files themselves may mention their own CDN; they are not stray links.
    let vendored = crate::assets::project::load_lock(&opts)?
        .map(|lock| {
            lock.assets
                .values()
                .map(|a| opts.project_dir.join(&a.dest))
                .collect()
        })
        .unwrap_or_default();
    let scan_opts = crate::assets::scan::ScanOptions {
        root: opts.project_dir.clone(),
        paths: Vec::new(),
        exclude: opts.scan_exclude.clone(),
        vendored,
        vendor_dir: Some(std::path::PathBuf::from(&opts.dest_dir))
            .filter(|d| !d.as_os_str().is_empty()),
    };
    let report =
        tokio::task::spawn_blocking(move || crate::assets::scan::scan(&scan_opts)).await??;
    Ok(report
        .findings
        .iter()
        .map(|f| format!("{}:{}:{}: {}", f.file, f.line, f.column, f.url))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_follow_args_and_skip_stages_and_scratch() {
        let df = "# syntax=docker/dockerfile:1\nARG PY=python:3.11-slim\nARG TAG\nFROM ${PY} AS build\nRUN x \\\n  y\nFROM node:${TAG:-20} AS assets\nFROM build\nFROM scratch\nFROM --platform=linux/amd64 nginx:1.25\n";
        assert_eq!(
            dockerfile_bases(df, &HashMap::new(), None),
            ["python:3.11-slim", "node:20", "nginx:1.25"]
        );
        let args = HashMap::from([("PY".to_string(), "mirror/python:3".to_string())]);
        assert_eq!(
            dockerfile_bases(df, &args, Some("build")),
            ["mirror/python:3"]
        );
    }
}

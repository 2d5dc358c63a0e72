//! `devenv doctor`: prove, before leaving the network, that everything the stack needs is
//! here and consistent. Each check says what it found and, when it fails, the one-line fix.

use std::time::Instant;

use serde::Serialize;

use crate::compose::Project;
use crate::docker::Engine;
use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Outcome {
    Ok,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(
        name: &'static str,
        outcome: Outcome,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            name,
            outcome,
            detail: detail.into(),
            fix,
        }
    }
    pub(crate) fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self::new(name, Outcome::Ok, detail, None)
    }
    pub(crate) fn fail(
        name: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(name, Outcome::Fail, detail, Some(fix.into()))
    }
    pub(crate) fn warn(
        name: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(name, Outcome::Warn, detail, Some(fix.into()))
    }
    pub(crate) fn skip(name: &'static str, detail: impl Into<String>) -> Self {
        Self::new(name, Outcome::Skip, detail, None)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct DoctorOptions {
    /// Anything that would need the network counts as a failure.
    pub offline: bool,
}

/// Run every check; independent ones run concurrently.
pub(crate) async fn run(settings: &Settings, opts: DoctorOptions) -> Vec<Check> {
    let start = Instant::now();
    let project = crate::compose::load(&crate::compose::LoadOptions::from_settings(settings));
    let compose = match &project {
        Ok(p) => Check::ok(
            "compose",
            format!("{} services in project `{}`", p.services.len(), p.name),
        ),
        Err(e) => Check::fail(
            "compose",
            format!("{e}"),
            "fix the compose file (`devenv config` shows the error in full)",
        ),
    };
    let project = project.ok();
    let (engine_checks, engine) = check_engine().await;
    let mut checks = engine_checks;
    checks.push(compose);
    let (images, ports, local) = tokio::join!(
        check_images(engine.as_ref(), project.as_ref(), opts),
        check_ports(engine.as_ref(), project.as_ref()),
        local_checks(settings, project.as_ref(), opts),
    );
    checks.extend(images);
    checks.extend(ports);
    checks.extend(local);
    tracing::debug!(elapsed = ?start.elapsed(), "doctor done");
    checks
}

/// Checks of files in the repository: vendored assets, remote references, migrations.
async fn local_checks(
    settings: &Settings,
    _project: Option<&Project>,
    _opts: DoctorOptions,
) -> Vec<Check> {
    let (assets, scan) = tokio::join!(
        crate::offline::missing_assets(settings),
        crate::offline::remote_references(settings)
    );
    let assets = match assets {
        Ok(m) if m.is_empty() => Check::ok("assets", "vendored assets match the lock"),
        Ok(m) => Check::fail(
            "assets",
            format!("not as locked: {}", m.join(", ")),
            "run `devenv vendor sync` (online), or `devenv vendor verify` for details",
        ),
        Err(e) => Check::fail(
            "assets",
            format!("{e:#}"),
            "fix the vendor manifest or lock (`devenv vendor verify`)",
        ),
    };
    let scan = match scan {
        Ok(f) if f.is_empty() => Check::ok(
            "remote-assets",
            "no CDN or remote asset references in templates, CSS or JS",
        ),
        Ok(f) => Check::fail(
            "remote-assets",
            format!("{} remote references, first: {}", f.len(), f[0]),
            "vendor them with `devenv vendor scan --add` (or `devenv vendor add URL`) and point the tags at the local copies",
        ),
        Err(e) => Check::fail(
            "remote-assets",
            format!("{e:#}"),
            "see `devenv vendor scan`",
        ),
    };
    let folder = check_migrations_folder(settings);
    let history = if folder.outcome == Outcome::Ok {
        vec![check_history(settings).await]
    } else {
        Vec::new()
    };
    let mut out = vec![assets, scan, folder];
    out.extend(history);
    out
}

/// Applied migrations against the files, when the database answers within two seconds.
async fn check_history(settings: &Settings) -> Check {
    let probe = crate::commands::db::history_summary(settings);
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Err(_) => Check::skip(
            "history",
            "the database did not answer within 2 s (is the stack up?)",
        ),
        Ok(Err(e)) => Check::skip(
            "history",
            format!("database not reachable: {}", e.root_cause()),
        ),
        Ok(Ok(None)) => Check::skip("history", "a migration command manages the schema"),
        Ok(Ok(Some(s))) if s.changed + s.missing > 0 => Check::fail(
            "history",
            format!(
                "{} applied files changed, {} applied files missing",
                s.changed, s.missing
            ),
            "restore the applied files from git (`devenv db status` names them), or `devenv db migrate --accept-checksum VERSION`",
        ),
        Ok(Ok(Some(s))) => Check::ok(
            "history",
            format!("{} applied, {} pending", s.applied, s.pending),
        ),
    }
}

fn check_migrations_folder(settings: &Settings) -> Check {
    let db = &settings.config.database;
    if db.command.is_none()
        && db.url.is_none()
        && db.service.is_none()
        && !settings.project_dir.join(&db.dir).exists()
    {
        return Check::skip("migrations", "no database configured in devenv.yaml");
    }
    let dir = settings.project_dir.join(&db.dir);
    if dir.is_dir() {
        Check::ok("migrations", format!("folder `{}` present", dir.display()))
    } else {
        Check::fail(
            "migrations",
            format!("folder `{}` does not exist", dir.display()),
            "create it, or fix `database.dir` in devenv.yaml",
        )
    }
}

async fn check_engine() -> (Vec<Check>, Option<Engine>) {
    match Engine::connect().await {
        Ok(engine) => {
            let version = engine
                .server_version()
                .await
                .unwrap_or_else(|_| "unknown".into());
            let c = Check::ok(
                "engine",
                format!(
                    "Docker {version} at `{}`, API {}",
                    engine.host(),
                    engine.api_version()
                ),
            );
            (vec![c], Some(engine))
        }
        Err(e) => (
            vec![Check::fail(
                "engine",
                e.to_string(),
                "start the Docker daemon (`sudo systemctl start docker`) or set `DOCKER_HOST`; `docker info` should answer",
            )],
            None,
        ),
    }
}

async fn check_images(
    engine: Option<&Engine>,
    project: Option<&Project>,
    opts: DoctorOptions,
) -> Vec<Check> {
    let (Some(engine), Some(project)) = (engine, project) else {
        return vec![Check::skip(
            "images",
            "needs the engine and a valid compose file",
        )];
    };
    let required = match crate::offline::required_images(project, &[]) {
        Ok(r) => r,
        Err(e) => {
            return vec![Check::fail(
                "images",
                format!("{e:#}"),
                "fix the Dockerfile path in compose.yaml",
            )];
        }
    };
    match crate::offline::missing_images(engine, &required).await {
        Ok(missing) if missing.is_empty() => vec![Check::ok(
            "images",
            format!("all {} images present locally", required.len()),
        )],
        Ok(missing) => vec![missing_images_check(&missing, opts.offline)],
        Err(e) => vec![Check::fail(
            "images",
            format!("{e:#}"),
            "check the engine with `docker info`",
        )],
    }
}

/// Missing images fail offline; online they would be pulled, so they only warn.
fn missing_images_check(missing: &[crate::offline::RequiredImage], offline: bool) -> Check {
    let list = missing
        .iter()
        .map(|m| {
            format!(
                "`{}` ({} of `{}`)",
                m.image,
                if m.kind == "base" {
                    "base image"
                } else {
                    "image"
                },
                m.service
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let fix = "run `devenv prefetch` while online (or `docker load` / `docker tag` a local copy)";
    if offline {
        Check::fail("images", format!("missing: {list}"), fix)
    } else {
        Check::warn("images", format!("missing (would be pulled): {list}"), fix)
    }
}

/// Fixed host ports the stack publishes must be free, or already held by this project.
async fn check_ports(engine: Option<&Engine>, project: Option<&Project>) -> Vec<Check> {
    let Some(project) = project else {
        return vec![Check::skip("ports", "needs a valid compose file")];
    };
    let ours: Vec<u16> = match engine {
        Some(e) => e
            .project_containers(&project.name, false)
            .await
            .map(|cs| {
                cs.iter()
                    .flat_map(|c| c.ports.iter().filter_map(|p| p.published))
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut busy = Vec::new();
    let mut count = 0;
    for (name, svc) in &project.services {
        for p in &svc.ports {
            let Some(port) = p.published.as_deref().and_then(|s| s.parse::<u16>().ok()) else {
                continue;
            };
            count += 1;
            if ours.contains(&port) || p.protocol != "tcp" {
                continue;
            }
            let ip = p
                .host_ip
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "0.0.0.0".into());
            if std::net::TcpListener::bind((ip.as_str(), port)).is_err() {
                busy.push(format!("{port} (service `{name}`)"));
            }
        }
    }
    if busy.is_empty() {
        vec![Check::ok("ports", format!("{count} published ports free"))]
    } else {
        vec![Check::fail(
            "ports",
            format!("in use: {}", busy.join(", ")),
            "stop what holds them (`ss -ltnp` names it), or publish other host ports",
        )]
    }
}

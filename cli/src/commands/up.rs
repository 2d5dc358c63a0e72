//! `devenv up`: create and start the stack, return when it is running and healthy.

use std::time::Duration;

use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;
use std::sync::Arc;

use crate::stack::{PullPolicy, ReadyHook, UpOptions};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv up                      start everything, wait until healthy
  devenv up web                  start `web` and what it depends on
  devenv up --build              rebuild images from their Dockerfiles first
  devenv up --pull never         never pull; fail if an image is missing
  devenv up --scale worker=3     run 3 `worker` containers (worker-1..3)
  devenv up --offline            no network at all; fail fast naming what is missing")]
pub(crate) struct UpArgs {
    /// Services to start (with their dependencies); default: all.
    pub services: Vec<String>,
    /// Build images before starting, even if they exist.
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Don't build images; fail if one is missing.
    #[arg(long)]
    pub no_build: bool,
    /// When to pull images.
    #[arg(long, value_enum, default_value_t = PullPolicy::Missing)]
    pub pull: PullPolicy,
    /// Seconds to wait for every service to be running and healthy.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait_timeout: u64,
    /// Recreate containers even if their configuration is unchanged.
    #[arg(long)]
    pub force_recreate: bool,
    /// Remove containers of services no longer in the compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Don't run migrations (they run by default after the database is healthy, before the
    /// services that depend on it start).
    #[arg(long)]
    pub no_migrate: bool,
    /// Never touch the network: no pulls, builds from local images only, no asset fetches.
    /// Fails at once naming everything missing.
    #[arg(long)]
    pub offline: bool,
    /// Run N containers of SERVICE (`<project>-<service>-1..N`), whatever its `scale` or
    /// `deploy.replicas` say (repeatable).
    #[arg(long, value_name = "SERVICE=N", value_parser = parse_scale)]
    pub scale: Vec<(String, u32)>,
}

/// `SERVICE=N`.
fn parse_scale(text: &str) -> Result<(String, u32), String> {
    let (service, n) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not SERVICE=NUMBER"))?;
    let n = n
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("`{n}` in `{text}` is not a number of containers"))?;
    Ok((service.trim().to_string(), n))
}

pub(crate) async fn run(args: UpArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let printer = settings.printer.clone();
    let mut project = crate::stack::load_project(&settings, &args.services)?;
    for (service, n) in &args.scale {
        project.set_scale(service, *n)?;
    }
    let engine = crate::docker::Engine::connect().await?;
    if args.offline {
        crate::offline::ensure_local(&engine, &project, &args.services, &settings).await?;
    }
    let opts = UpOptions {
        services: args.services,
        build: args.build,
        no_build: args.no_build,
        pull: if args.offline {
            PullPolicy::Never
        } else {
            args.pull
        },
        wait_timeout: Duration::from_secs(args.wait_timeout),
        force_recreate: args.force_recreate,
        remove_orphans: args.remove_orphans,
        ready_hook: migration_hook(&settings, &project, args.no_migrate),
    };
    let report = tokio::select! {
        r = crate::stack::up(&engine, &project, &opts, &printer) => r?,
        _ = tokio::signal::ctrl_c() => {
            return Err(Hinted::interrupted("interrupted: containers already started keep running")
                .with_hint("run `devenv up` again to finish, or `devenv down` to stop everything")
                .into());
        }
    };
    if printer.json() {
        printer.json_value(&report)?;
        return Ok(ExitStatus::Success);
    }
    let mut services: Vec<&str> = report.services.iter().map(|s| s.service.as_str()).collect();
    services.dedup();
    let containers = if services.len() == report.services.len() {
        String::new()
    } else {
        format!(", {} containers", report.services.len())
    };
    printer.status(
        "Ready",
        format!(
            "project `{}` ({} services{containers})",
            report.project,
            services.len()
        ),
    );
    for s in &report.services {
        for url in &s.urls {
            printer.data(format!("{:<16} {url}", s.service));
        }
    }
    Ok(ExitStatus::Success)
}

/// Migrations run once `database.service` is ready, before anything that depends on it.
fn migration_hook(
    settings: &Settings,
    project: &crate::compose::Project,
    no_migrate: bool,
) -> Option<ReadyHook> {
    let service = settings.config.database.service.clone()?;
    if no_migrate || !project.services.contains_key(&service) {
        return None;
    }
    let settings = settings.clone();
    Some(ReadyHook {
        service,
        run: Arc::new(move || {
            let settings = settings.clone();
            Box::pin(async move {
                settings.printer.status(
                    "Migrating",
                    "database (pre-deploy: before the services that depend on it)",
                );
                crate::commands::db::migrate_during_up(&settings).await
            })
        }),
    })
}

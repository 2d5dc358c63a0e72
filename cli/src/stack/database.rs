//! The containers behind `devenv db`: a client tool (`psql`, `pg_dump`) exec'd in the
//! database service's running container, that service's published PostgreSQL port as a
//! connection URL, and [`ServiceRunner`], which runs `database.command` in the app's service
//! (exec into the running container, or a one-off container when it is not running).
//! What to run and against which database is `migrate`'s business; this file only places it.

use std::io::IsTerminal;

use futures_util::future::BoxFuture;

use crate::compose::Project;
use crate::docker::{ContainerInfo, Engine, ExecRequest};
use crate::error::Hinted;
use crate::migrate::command::CommandRunner;

/// Exec `argv` in the running container of `service`; returns its exit code. With
/// `interactive`, stdin is attached (and a TTY when both ends are terminals).
pub(crate) async fn exec_in_service(
    project: &str,
    service: &str,
    argv: Vec<String>,
    interactive: bool,
) -> anyhow::Result<i32> {
    let engine = Engine::connect().await?;
    let container = running(&engine, project, service).await?;
    let stdin_tty = std::io::stdin().is_terminal();
    let req = ExecRequest {
        cmd: argv,
        env: Vec::new(),
        user: None,
        workdir: None,
        tty: interactive && stdin_tty && std::io::stdout().is_terminal(),
        interactive: interactive && stdin_tty,
        privileged: false,
    };
    let code = engine.exec(&container.name, req).await?;
    Ok(i32::try_from(code).unwrap_or(1))
}

async fn running(engine: &Engine, project: &str, service: &str) -> anyhow::Result<ContainerInfo> {
    super::running_container(engine, project, service, 1)
        .await?
        .ok_or_else(|| {
            Hinted::user(format!(
                "service `{service}` is not running in project `{project}`"
            ))
            .with_hint(format!("start it with `devenv up {service}`"))
            .into()
        })
}

/// The URL of `service`'s published PostgreSQL port, with the user, password and database
/// from the service's `POSTGRES_*` environment (as the official image reads them).
pub(crate) async fn published_url(project: &Project, service: &str) -> anyhow::Result<String> {
    let svc = project.service(service)?;
    let env = |k: &str| svc.environment.get(k).cloned().flatten();
    let engine = Engine::connect().await?;
    let container = running(&engine, &project.name, service).await?;
    let port = published_port(&container).ok_or_else(|| {
        Hinted::user(format!(
            "service `{service}` publishes no port, so devenv cannot reach it from this machine"
        ))
        .with_hint(format!(
            "add `ports: [\"5432\"]` to `{service}` in the compose file, or set `database.url`"
        ))
    })?;
    let user = env("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
    let db = env("POSTGRES_DB").unwrap_or_else(|| user.clone());
    let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut url = format!(
        "host=127.0.0.1 port={port} user={} dbname={}",
        quote(&user),
        quote(&db)
    );
    if let Some(pw) = env("POSTGRES_PASSWORD") {
        url.push_str(&format!(" password={}", quote(&pw)));
    }
    Ok(url)
}

/// The host port published for 5432, else for the first published port.
fn published_port(container: &ContainerInfo) -> Option<u16> {
    container
        .ports
        .iter()
        .filter(|p| p.published.is_some())
        .find(|p| p.target == 5432)
        .or_else(|| container.ports.iter().find(|p| p.published.is_some()))
        .and_then(|p| p.published)
}

/// Runs `database.command` in the app's container: exec into the running one, or a one-off
/// container from the service's image and configuration when it isn't running.
pub(crate) struct ServiceRunner {
    pub project: Project,
    pub service: String,
}

impl ServiceRunner {
    async fn run_code(&self, argv: &[String], env: &[(String, String)]) -> anyhow::Result<i64> {
        let engine = Engine::connect().await?;
        let running =
            super::running_container(&engine, &self.project.name, &self.service, 1).await?;
        let Some(container) = running else {
            return super::run_oneoff(&engine, &self.project, &self.service, argv, env).await;
        };
        let req = ExecRequest {
            cmd: argv.to_vec(),
            env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            user: None,
            workdir: None,
            tty: false,
            interactive: false,
            privileged: false,
        };
        Ok(engine.exec(&container.name, req).await?)
    }
}

impl CommandRunner for ServiceRunner {
    fn run<'a>(
        &'a self,
        argv: &'a [String],
        env: &'a [(String, String)],
    ) -> BoxFuture<'a, anyhow::Result<i32>> {
        Box::pin(async move {
            let code = self.run_code(argv, env).await?;
            Ok(i32::try_from(code).unwrap_or(1))
        })
    }

    fn place(&self) -> String {
        format!("in the `{}` service", self.service)
    }
}

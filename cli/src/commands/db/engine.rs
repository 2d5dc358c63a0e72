//! The container-bound parts of `devenv db`, in one place: command migrations in the app's
//! container, `pg_dump`/`psql` inside the database container. Everything that needs the
//! engine goes through `crate::docker`; without `database.service` the client tools run on
//! this machine with the database URL instead.

use std::io::IsTerminal;
use std::process::Stdio;

use futures_util::future::BoxFuture;

use crate::compose::Project;
use crate::docker::{ContainerInfo, Engine, ExecRequest};
use crate::error::{ExitStatus, Hinted};
use crate::migrate::command::{CommandRunner, exit_code};
use crate::migrate::connect::Target;
use crate::settings::Settings;

use super::DbContext;

/// The argv for `tool` inside the database container. With a known URL the user and
/// database come from it; otherwise from the official image's `POSTGRES_USER`/`POSTGRES_DB`.
/// Inside the container the local socket needs no password.
pub(crate) fn container_argv(tool: &str, args: &[String], target: Option<&Target>) -> Vec<String> {
    match target {
        Some(t) => {
            let mut argv = vec![tool.to_string()];
            if let Some(user) = t.config.get_user() {
                argv.extend(["-U".to_string(), user.to_string()]);
            }
            argv.extend(["-d".to_string(), t.database()]);
            argv.extend(args.iter().cloned());
            argv
        }
        None => {
            let script = format!(
                "exec {tool} -U \"${{POSTGRES_USER:-postgres}}\" -d \"${{POSTGRES_DB:-${{POSTGRES_USER:-postgres}}}}\" \"$@\""
            );
            let mut argv = vec!["sh".to_string(), "-c".to_string(), script, "sh".to_string()];
            argv.extend(args.iter().cloned());
            argv
        }
    }
}

/// Run `pg_dump`/`psql`: in the database container when `database.service` is set, else on
/// this machine against the URL.
pub(crate) async fn run_client_tool(
    ctx: &DbContext,
    settings: &Settings,
    tool: &str,
    args: Vec<String>,
    interactive: bool,
) -> anyhow::Result<ExitStatus> {
    let target = ctx.target(settings).ok();
    if let Some(service) = &settings.config.database.service {
        let argv = container_argv(tool, &args, target.as_ref());
        let code = exec_in_service(settings, service, argv, interactive).await?;
        return Ok(status_of(code));
    }
    let target = ctx.target(settings)?;
    settings.printer.detail(format!(
        "no `database.service` in devenv.yaml: running `{tool}` on this machine"
    ));
    let mut cmd = tokio::process::Command::new(tool);
    cmd.arg(format!("--dbname={}", target.url))
        .args(&args)
        .stdin(if interactive {
            Stdio::inherit()
        } else {
            Stdio::null()
        });
    let status = cmd.status().await.map_err(|e| {
        Hinted::user(format!("cannot run `{tool}` on this machine"))
            .with_hint(
                "set `database.service` in devenv.yaml to run it inside the database container",
            )
            .because(e)
    })?;
    Ok(status_of(exit_code(status)))
}

fn status_of(code: i32) -> ExitStatus {
    if code == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::External(u8::try_from(code).unwrap_or(1))
    }
}

/// Exec `argv` in the running container of `service`; returns its exit code.
async fn exec_in_service(
    settings: &Settings,
    service: &str,
    argv: Vec<String>,
    interactive: bool,
) -> anyhow::Result<i32> {
    let (project, _) = crate::commands::project_name_and_model(settings)?;
    let engine = Engine::connect().await?;
    let container = running(&engine, &project, service).await?;
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
    crate::stack::running_container(engine, project, service)
        .await?
        .ok_or_else(|| {
            Hinted::user(format!(
                "service `{service}` is not running in project `{project}`"
            ))
            .with_hint(format!("start it with `devenv up {service}`"))
            .into()
        })
}

/// The URL of `database.service`'s published PostgreSQL port, with the user, password and
/// database from the service's `POSTGRES_*` environment (as the official image reads them).
pub(crate) async fn published_url(settings: &Settings, service: &str) -> anyhow::Result<String> {
    let project = crate::commands::load_project(settings, &[])?;
    let svc = project.service(service)?;
    let env = |k: &str| svc.environment.get(k).cloned().flatten();
    let engine = Engine::connect().await?;
    let container = running(&engine, &project.name, service).await?;
    let port = container
        .ports
        .iter()
        .filter(|p| p.published.is_some())
        .find(|p| p.target == 5432)
        .or_else(|| container.ports.iter().find(|p| p.published.is_some()))
        .and_then(|p| p.published)
        .ok_or_else(|| {
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

/// Runs `database.command` in the app's container: exec into the running one, or a one-off
/// container from the service's image and configuration when it isn't running.
struct EngineRunner {
    project: Project,
    service: String,
}

impl CommandRunner for EngineRunner {
    fn run<'a>(
        &'a self,
        argv: &'a [String],
        env: &'a [(String, String)],
    ) -> BoxFuture<'a, anyhow::Result<i32>> {
        Box::pin(async move {
            let engine = Engine::connect().await?;
            let code =
                match crate::stack::running_container(&engine, &self.project.name, &self.service)
                    .await?
                {
                    Some(container) => {
                        let req = ExecRequest {
                            cmd: argv.to_vec(),
                            env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                            user: None,
                            workdir: None,
                            tty: false,
                            interactive: false,
                            privileged: false,
                        };
                        engine.exec(&container.name, req).await?
                    }
                    None => {
                        crate::stack::run_oneoff(&engine, &self.project, &self.service, argv, env)
                            .await?
                    }
                };
            Ok(i32::try_from(code).unwrap_or(1))
        })
    }

    fn place(&self) -> String {
        format!("in the `{}` service", self.service)
    }
}

/// The runner for `database.command` in the app's service container.
pub(crate) fn app_runner(settings: &Settings) -> anyhow::Result<Box<dyn CommandRunner>> {
    let service = settings
        .config
        .database
        .command_service
        .clone()
        .or_else(|| settings.config.app.service.clone())
        .ok_or_else(|| {
            Hinted::user("`database.command` needs to know which service runs it")
                .with_hint("set `app.service` (or `database.command_service`) in devenv.yaml, or `database.command_in: host`")
        })?;
    let project = crate::commands::load_project(settings, &[])?;
    project.service(&service)?;
    Ok(Box::new(EngineRunner { project, service }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::config::UrlSource;

    #[test]
    fn argv_inside_the_container() {
        let t = Target::parse(
            "postgres://shop:pw@127.0.0.1:5432/shop_dev",
            UrlSource::Flag,
        )
        .unwrap();
        assert_eq!(
            container_argv("pg_dump", &["--schema-only".into()], Some(&t)),
            ["pg_dump", "-U", "shop", "-d", "shop_dev", "--schema-only"]
        );
        let argv = container_argv("psql", &[], None);
        assert_eq!(argv[0], "sh");
        assert!(argv[2].starts_with("exec psql -U"));
    }
}

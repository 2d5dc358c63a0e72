//! The container-bound parts of `devenv db`, in one place: command migrations in the app's
//! container, `pg_dump`/`psql` inside the database container. Everything that needs the
//! engine goes through `crate::docker`; without `database.service` the client tools run on
//! this machine with the database URL instead.

use std::process::Stdio;

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
    _settings: &Settings,
    service: &str,
    _argv: Vec<String>,
    _interactive: bool,
) -> anyhow::Result<i32> {
    Err(Hinted::internal(format!(
        "running a command in the `{service}` container needs the engine facade, which this build does not have yet"
    ))
    .with_hint("remove `database.service` to use the client tools on this machine")
    .into())
}

/// The runner for `database.command` in the app's service container.
pub(crate) fn app_runner(settings: &Settings) -> anyhow::Result<Box<dyn CommandRunner>> {
    let service = settings
        .config
        .database
        .command_service
        .clone()
        .or_else(|| settings.config.app.service.clone());
    Err(Hinted::internal(format!(
        "running `database.command` in the {} container needs the engine facade, which this build does not have yet",
        service.as_deref().unwrap_or("app")
    ))
    .with_hint("set `database.command_in: host` to run it on this machine")
    .into())
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

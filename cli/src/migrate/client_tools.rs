//! PostgreSQL's client tools for `db dump` and `db shell`: the argv that runs `pg_dump` or
//! `psql` inside the database container (the exec itself is `stack::database`'s), and
//! running them on this machine against the database URL when there is no container.

use std::process::Stdio;

use super::command::exit_code;
use super::connect::Target;
use crate::error::Hinted;

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

/// Run `tool` on this machine against `target`'s URL; returns its exit code. Stdin is
/// passed through only when `interactive`.
pub(crate) async fn run_on_host(
    tool: &str,
    target: &Target,
    args: &[String],
    interactive: bool,
) -> anyhow::Result<i32> {
    let mut cmd = tokio::process::Command::new(tool);
    cmd.arg(format!("--dbname={}", target.url))
        .args(args)
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
    Ok(exit_code(status))
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

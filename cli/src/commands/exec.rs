//! `devenv exec`: run a command in a running service container; its exit code is ours.

use std::io::IsTerminal;

use crate::docker::ExecRequest;
use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv exec web -- sh                      an interactive shell
  devenv exec -T db -- pg_isready            no TTY (for scripts and CI)
  devenv exec -e DEBUG=1 web -- flask routes")]
pub(crate) struct ExecArgs {
    /// Don't allocate a TTY (the default when stdin is not a terminal).
    #[arg(short = 'T', long = "no-tty")]
    pub no_tty: bool,
    /// Set an environment variable (repeatable).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Run as this user.
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working folder inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Give the command extended privileges.
    #[arg(long)]
    pub privileged: bool,
    /// Which of the service's containers (`<project>-<service>-N`, for a scaled service).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub index: u32,
    /// The service to run in.
    pub service: String,
    /// The command and its arguments (after `--`).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub(crate) async fn run(args: ExecArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let (name, project) = crate::stack::project_name_and_model(&settings)?;
    if let Some(p) = &project {
        p.service(&args.service)?;
    }
    let engine = crate::docker::Engine::connect().await?;
    let Some(container) =
        crate::stack::running_container(&engine, &name, &args.service, args.index).await?
    else {
        let which = if args.index == 1 {
            format!("service `{}`", args.service)
        } else {
            format!("container {} of service `{}`", args.index, args.service)
        };
        return Err(
            Hinted::user(format!("{which} is not running in project `{name}`"))
                .with_hint(format!("start it with `devenv up {}`", args.service))
                .into(),
        );
    };
    let interactive = std::io::stdin().is_terminal();
    let req = ExecRequest {
        cmd: args.command,
        env: args.env,
        user: args.user,
        workdir: args.workdir,
        tty: !args.no_tty && interactive && std::io::stdout().is_terminal(),
        interactive: !args.no_tty && interactive,
        privileged: args.privileged,
    };
    let code = engine.exec(&container.name, req).await?;
    Ok(if code == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::External(code.clamp(1, 255) as u8)
    })
}

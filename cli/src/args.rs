//! Raw command-line arguments (clap derive). No logic here: `settings` validates and merges.
//! Each verb's own arguments live beside its code in `commands/<verb>.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;

const AFTER_HELP: &str = "\
Examples:
  devenv up                 start the stack and wait until it is healthy
  devenv ps --json          list the project's containers as JSON
  devenv logs -f web        follow one service's logs
  devenv exec web -- sh     a shell in the running `web` container
  devenv down --volumes     stop everything and delete named volumes
  devenv vendor verify      check vendored JS/CSS against the lock (offline)
  devenv db migrate         apply pending migrations

Docs: docs/ in the repository (one page per verb).";

/// One local development environment for a web team: a compose stack on the Docker
/// Engine API, vendored assets pinned by checksum, pre-deploy-safe migrations, offline.
#[derive(Debug, Parser)]
#[command(name = "devenv", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every verb accepts, before or after the verb.
#[derive(Debug, Clone, Args, Default)]
pub(crate) struct GlobalArgs {
    /// Compose file(s); repeat to merge in order (default: compose.yaml and its override).
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: `name:` in the compose file, else the folder's name).
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Run as if started in this folder.
    #[arg(short = 'C', long = "project-dir", global = true, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// Enable a compose profile (repeatable; also `COMPOSE_PROFILES`).
    #[arg(long = "profile", global = true, value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Alternative env file to the `.env` beside the compose file.
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Machine-readable output on stdout (JSON, or JSON Lines for streams).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors and data.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail on stderr (repeat for debug logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Never draw progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create and start the stack; return when every service is running and healthy.
    Up(commands::up::UpArgs),
    /// Stop and remove the stack's containers and networks.
    Down(commands::down::DownArgs),
    /// List the project's containers.
    Ps(commands::ps::PsArgs),
    /// Show (and follow) service logs.
    Logs(commands::logs::LogsArgs),
    /// Run a command in a running service container.
    Exec(commands::exec::ExecArgs),
    /// Restart services.
    Restart(commands::restart::RestartArgs),
    /// Start existing, stopped service containers.
    Start(commands::start::StartArgs),
    /// Stop service containers without removing them.
    Stop(commands::stop::StopArgs),
    /// Print the resolved compose model (after merge, interpolation and profiles).
    Config(commands::config::ConfigArgs),
    /// Scaffold a working app (Flask + PostgreSQL) from an embedded template.
    Init(commands::init::InitArgs),
    /// Check that everything the stack needs is here and consistent (`--offline` to prove it).
    Doctor(commands::doctor::DoctorArgs),
    /// Fetch everything a later offline `up` needs: images, builds, vendored assets.
    Prefetch(commands::prefetch::PrefetchArgs),
    /// Manage vendored JS/CSS assets pinned by checksum.
    Vendor(commands::assets::VendorArgs),
    /// Database migrations: migrate, status, new, lint, wait, reset, dump, shell.
    Db(commands::db::DbArgs),
}

/// Compose's muscle memory: `logs -f` follows and `down -v` removes volumes, though `-f` and
/// `-v` are devenv's global `--file` and `--verbose` everywhere else. Only a flag that comes
/// after that verb is rewritten; `devenv -f x.yaml logs` still names a file.
pub(crate) fn compose_compat_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut verb: Option<String> = None;
    let mut out = Vec::with_capacity(args.len());
    let mut after_dashdash = false;
    for (i, arg) in args.into_iter().enumerate() {
        let s = arg.to_string_lossy().into_owned();
        if i == 0 || after_dashdash {
            out.push(arg);
            continue;
        }
        if s == "--" {
            after_dashdash = true;
        } else if verb.is_none() && !s.starts_with('-') && !is_value_of_previous(&out) {
            verb = Some(s.clone());
        } else if let Some(v) = verb.as_deref() {
            match (v, s.as_str()) {
                ("logs", "-f") => {
                    out.push("--follow".into());
                    continue;
                }
                ("down", "-v") => {
                    out.push("--volumes".into());
                    continue;
                }
                _ => {}
            }
        }
        out.push(arg);
    }
    out
}

/// Whether the last argument is a global flag that takes a value (so this one is its value).
fn is_value_of_previous(out: &[std::ffi::OsString]) -> bool {
    out.last().is_some_and(|p| {
        matches!(
            p.to_str(),
            Some(
                "-f" | "--file"
                    | "-p"
                    | "--project-name"
                    | "-C"
                    | "--project-dir"
                    | "--profile"
                    | "--env-file"
                    | "--color"
            )
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn rewrite(args: &[&str]) -> Vec<String> {
        compose_compat_args(args.iter().map(Into::into).collect())
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn compose_short_flags_after_logs_and_down() {
        assert_eq!(
            rewrite(&["devenv", "logs", "-f", "web"]),
            ["devenv", "logs", "--follow", "web"]
        );
        assert_eq!(
            rewrite(&["devenv", "-f", "a.yaml", "logs"]),
            ["devenv", "-f", "a.yaml", "logs"]
        );
        assert_eq!(
            rewrite(&["devenv", "-p", "x", "down", "-v"]),
            ["devenv", "-p", "x", "down", "--volumes"]
        );
        assert_eq!(rewrite(&["devenv", "up", "-v"]), ["devenv", "up", "-v"]);
        assert_eq!(
            rewrite(&["devenv", "exec", "web", "--", "logs", "-f"]),
            ["devenv", "exec", "web", "--", "logs", "-f"]
        );
    }
}

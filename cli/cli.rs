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
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every verb accepts, before or after the verb.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
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
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Manage vendored JS/CSS assets pinned by checksum.
    Vendor(commands::vendor::VendorArgs),
    /// Database migrations: migrate, status, new, lint, wait, reset, dump, shell.
    Db(commands::db::DbArgs),
}

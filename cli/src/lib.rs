//! devenv: one local development environment for a web team.
//!
//! Data flows one way: `cli` (raw clap arguments) → `settings` (validated, merged with
//! `devenv.yaml` and the environment) → a thin `commands::<verb>` → a domain module
//! (`compose`, `docker`, `vendor`, `migrate`) → `ui` for everything the user sees.
//! Only `docker/` talks to the engine (bollard); `compose/` is pure.

pub(crate) mod args;
pub(crate) mod assets;
pub(crate) mod commands;
pub(crate) mod compose;
pub(crate) mod docker;
pub(crate) mod doctor;
pub(crate) mod env_vars;
pub(crate) mod error;
pub(crate) mod migrate;
pub(crate) mod offline;
pub(crate) mod scaffold;
pub(crate) mod settings;
pub(crate) mod stack;
pub(crate) mod ui;

use std::process::ExitCode;

use clap::Parser;

/// Parse arguments, build the runtime, run the command, report errors once.
pub fn main() -> ExitCode {
    let args = args::Cli::parse_from(args::compose_compat_args(std::env::args_os().collect()));
    let printer = ui::Printer::from_args(&args.global);
    ui::init_tracing(&args.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            printer.error(&anyhow::Error::new(err).context("failed to start the async runtime"));
            return error::ExitStatus::Error.into();
        }
    };
    let result = runtime.block_on(async {
        let settings = settings::Settings::load(args.global, printer.clone())?;
        commands::run(args.command, settings).await
    });
    // Don't wait for blocking tasks (a stuck engine call) once the command is done.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let status = match result {
        Ok(status) => status,
        Err(err) => {
            printer.error(&err);
            error::exit_code_for(&err)
        }
    };
    // Data that never reached stdout is devenv failing at its job (a closed pipe is not).
    if let Some(err) = printer.stdout_error() {
        printer.error(&anyhow::Error::new(err).context("failed to write to stdout"));
        return error::ExitStatus::Error.into();
    }
    status.into()
}

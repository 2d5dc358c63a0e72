//! One file per verb. A command file is thin: it turns arguments into options and calls a
//! domain module. `run` dispatches.

pub(crate) mod assets;
pub(crate) mod config;
pub(crate) mod db;
pub(crate) mod doctor;
pub(crate) mod down;
pub(crate) mod exec;
pub(crate) mod init;
pub(crate) mod logs;
pub(crate) mod prefetch;
pub(crate) mod ps;
pub(crate) mod restart;
pub(crate) mod start;
pub(crate) mod stop;
pub(crate) mod up;

use crate::args::Command;
use crate::error::ExitStatus;
use crate::settings::Settings;
// The `db` commands still reach these through here.
pub(crate) use crate::stack::{load_project, project_name_and_model};

pub(crate) async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Up(args) => up::run(args, settings).await,
        Command::Down(args) => down::run(args, settings).await,
        Command::Ps(args) => ps::run(args, settings).await,
        Command::Logs(args) => logs::run(args, settings).await,
        Command::Exec(args) => exec::run(args, settings).await,
        Command::Restart(args) => restart::run(args, settings).await,
        Command::Start(args) => start::run(args, settings).await,
        Command::Stop(args) => stop::run(args, settings).await,
        Command::Config(args) => config::run(args, settings).await,
        Command::Init(args) => init::run(args, settings).await,
        Command::Prefetch(args) => prefetch::run(args, settings).await,
        Command::Doctor(args) => doctor::run(args, settings).await,
        Command::Vendor(args) => assets::run(args, settings).await,
        Command::Db(args) => db::run(args, settings).await,
    }
}

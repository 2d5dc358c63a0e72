//! One file per verb. A command file is thin: it turns arguments into options and calls a
//! domain module. `run` dispatches.

pub mod config;
pub mod db;
pub mod down;
pub mod exec;
pub mod logs;
pub mod ps;
pub mod restart;
pub mod start;
pub mod stop;
pub mod up;
pub mod vendor;

use crate::cli::Command;
use crate::error::ExitStatus;
use crate::settings::Settings;

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitStatus> {
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
        Command::Vendor(args) => vendor::run(args, settings).await,
        Command::Db(args) => db::run(args, settings).await,
    }
}

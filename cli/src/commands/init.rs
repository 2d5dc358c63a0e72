//! `devenv init`: scaffold a working app from an embedded template (no network).

use std::path::PathBuf;

use crate::error::ExitStatus;
use crate::scaffold::{DEFAULT_TEMPLATE, InitOptions};
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv init shop                   a Flask + PostgreSQL app in ./shop
  devenv init --name shop .          into the current folder, project name `shop`
  devenv init --template nope        lists the templates there are")]
pub(crate) struct InitArgs {
    /// Folder to create the app in (default: the current folder).
    pub dir: Option<PathBuf>,
    /// Template to use.
    #[arg(long, short, default_value = DEFAULT_TEMPLATE)]
    pub template: String,
    /// Project name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

pub(crate) async fn run(args: InitArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let dir = settings
        .project_dir
        .join(args.dir.unwrap_or_else(|| PathBuf::from(".")));
    let opts = InitOptions {
        dir,
        template: args.template,
        name: args.name,
        force: args.force,
    };
    let report = crate::scaffold::init(&opts)?;
    let printer = &settings.printer;
    if printer.json() {
        printer.json_value(&report)?;
        return Ok(ExitStatus::Success);
    }
    printer.status(
        "Created",
        format!(
            "`{}` from template `{}` ({} files) in {}",
            report.name,
            report.template,
            report.files.len(),
            report.dir.display()
        ),
    );
    printer.info(format!("next: cd {} && devenv up", report.dir.display()));
    Ok(ExitStatus::Success)
}

//! `devenv vendor …`: one file per subcommand beside this one. Each turns its arguments into
//! options and calls `crate::assets`.

pub(crate) mod add;
pub(crate) mod outdated;
pub(crate) mod remove;
pub(crate) mod scan;
pub(crate) mod sync;
pub(crate) mod update;
pub(crate) mod verify;

use crate::assets::config::Options;
use crate::error::ExitStatus;
use crate::settings::Settings;

const AFTER_HELP: &str = "\
Examples:
  devenv vendor add https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js
  devenv vendor sync --offline     check every file is in place, never touching the network
  devenv vendor verify --json      offline check for CI (exit 0 clean, 1 drift, 2 error)
  devenv vendor outdated           newer versions on the npm registry
  devenv vendor update htmx.org    move one asset to the latest version, relocked
  devenv vendor scan templates/    find <script>/<link>/@import/import … that load from CDNs

Docs: docs/vendor.md";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct VendorArgs {
    #[command(subcommand)]
    pub command: VendorCommand,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum VendorCommand {
    /// Download URLs, verify them, and record them in the manifest and lock.
    Add(add::AddArgs),
    /// Make the disk match the lock (fetching only what is missing or changed).
    Sync(sync::SyncArgs),
    /// Check every vendored file against the lock, offline (exit 0 ok, 1 drift, 2 error).
    Verify(verify::VerifyArgs),
    /// List assets with newer versions on the npm registry (exit 1 when any).
    Outdated(outdated::OutdatedArgs),
    /// Move assets to a newer version: rewrite, fetch, verify and relock, all or nothing.
    Update(update::UpdateArgs),
    /// Remove assets from the manifest and lock, and delete their files.
    Remove(remove::RemoveArgs),
    /// Report references to remote assets in templates, CSS and JS (exit 1 when any).
    Scan(scan::ScanArgs),
}

pub(crate) async fn run(args: VendorArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    match args.command {
        VendorCommand::Add(a) => add::run(a, settings).await,
        VendorCommand::Sync(a) => sync::run(a, settings).await,
        VendorCommand::Verify(a) => verify::run(a, settings).await,
        VendorCommand::Outdated(a) => outdated::run(a, settings).await,
        VendorCommand::Update(a) => update::run(a, settings).await,
        VendorCommand::Remove(a) => remove::run(a, settings).await,
        VendorCommand::Scan(a) => scan::run(a, settings).await,
    }
}

/// The vendor options for this project (devenv.yaml + environment).
pub(crate) fn options(settings: &Settings) -> anyhow::Result<Options> {
    Ok(Options::resolve(
        &settings.config.vendor,
        &settings.project_dir,
    )?)
}

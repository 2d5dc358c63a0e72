//! `devenv prefetch`: while online, fetch everything a later offline `up` needs: pull every
//! image, build the app images, sync vendored assets; then report what is local.

use crate::error::ExitStatus;
use crate::settings::Settings;
use crate::stack::PullPolicy;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv prefetch                 pull what is missing, build, sync vendored assets
  devenv prefetch --pull always   refresh every image even if present
  devenv prefetch --json          report what is local as JSON")]
pub(crate) struct PrefetchArgs {
    /// Services to prepare (with their dependencies); default: all, in every profile.
    pub services: Vec<String>,
    /// `missing` pulls only absent images; `always` refreshes them all.
    #[arg(long, value_enum, default_value_t = PullPolicy::Missing)]
    pub pull: PullPolicy,
}

pub(crate) async fn run(args: PrefetchArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let printer = settings.printer.clone();
    // Everything a later offline `up` could need, whichever profiles it enables.
    let mut all_profiles = settings.clone();
    if all_profiles.global.profiles.is_empty() {
        all_profiles.global.profiles = vec!["*".to_string()];
    }
    let project = crate::stack::load_project(&all_profiles, &args.services)?;
    let engine = crate::docker::Engine::connect().await?;
    let opts = crate::stack::PrefetchOptions {
        services: args.services,
        pull: args.pull,
    };
    let report = crate::stack::prefetch(&engine, &project, &opts, &printer).await?;
    let assets = crate::offline::sync_assets(&settings).await?;
    if printer.json() {
        printer.json_value(&serde_json::json!({ "images": report, "assets": assets }))?;
        return Ok(ExitStatus::Success);
    }
    for img in &report {
        printer.data(format!(
            "{:<48} {:<8} {}",
            img.image,
            img.kind,
            img.id.get(7..19).unwrap_or(&img.id)
        ));
    }
    printer.status("Ready", format!("{} images and {assets} vendored assets are local; `devenv up --offline` needs no network", report.len()));
    Ok(ExitStatus::Success)
}

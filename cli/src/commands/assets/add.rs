//! `devenv vendor add URL... [--dest PATH | --dest-dir DIR] [--sha256 HEX | --integrity SRI] [--name NAME]`

use crate::assets::VendorError;
use crate::assets::add::{AddRequest, add};
use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    /// https URLs to vendor (versioned jsDelivr/unpkg/cdnjs URLs can be updated later).
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Destination file, relative to the project folder (one URL only).
    #[arg(long, value_name = "PATH", conflicts_with = "dest_dir")]
    pub dest: Option<String>,
    /// Folder for the files (default: `vendor.dest_dir`, `static/vendor`).
    #[arg(long, value_name = "DIR")]
    pub dest_dir: Option<String>,
    /// Expected sha256 (hex) of the download (one URL only).
    #[arg(long, value_name = "HEX", conflicts_with = "integrity")]
    pub sha256: Option<String>,
    /// Expected SRI value, e.g. `sha384-…` (one URL only).
    #[arg(long, value_name = "SRI")]
    pub integrity: Option<String>,
    /// Asset name (default: the package name, else the file name; one URL only).
    #[arg(long)]
    pub name: Option<String>,
}

pub(crate) async fn run(args: AddArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let opts = super::options(&settings)?;
    let single = args.dest.is_some()
        || args.sha256.is_some()
        || args.integrity.is_some()
        || args.name.is_some();
    if single && args.urls.len() > 1 {
        return Err(VendorError::Invalid(
            "--dest, --sha256, --integrity and --name apply to one URL; add the URLs one by one"
                .into(),
        )
        .into());
    }
    let requests = args
        .urls
        .iter()
        .map(|url| AddRequest {
            url: url.clone(),
            name: args.name.clone(),
            dest: args.dest.clone(),
            dest_dir: args.dest_dir.clone(),
            sha256: args.sha256.clone(),
            integrity: args.integrity.clone(),
        })
        .collect();
    let printer = &settings.printer;
    let outcome = add(&opts, printer, requests).await?;
    if printer.json() {
        printer.json_value(&outcome)?;
    } else {
        for a in &outcome.added {
            printer.status("Added", format!("{} → {}", a.name, a.dest));
            printer.data(format!("{}\t{}\t{}", a.name, a.dest, a.integrity));
        }
    }
    Ok(ExitStatus::Success)
}

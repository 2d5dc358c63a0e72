//! `devenv vendor outdated [--json]`: exit 1 when any asset has a newer version.

use crate::assets::update::outdated;
use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct OutdatedArgs {}

pub(crate) async fn run(_args: OutdatedArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let opts = super::options(&settings)?;
    let printer = &settings.printer;
    let rows = outdated(&opts, printer).await?;
    let any = rows.iter().any(|r| r.status == "outdated");
    if printer.json() {
        printer.json_value(&rows)?;
    } else {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        printer.data(format!(
            "{:<24} {:<12} {:<12} {:<12} {}",
            "NAME", "CURRENT", "WANTED", "LATEST", "STATUS"
        ));
        for r in &rows {
            let status = match &r.reason {
                Some(reason) => format!("{} ({reason})", r.status),
                None => r.status.to_string(),
            };
            printer.data(format!(
                "{:<24} {:<12} {:<12} {:<12} {status}",
                r.name,
                dash(&r.current),
                dash(&r.wanted),
                dash(&r.latest)
            ));
        }
        if any {
            printer.info("run `devenv vendor update [NAME...]` to update");
        }
    }
    Ok(if any {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

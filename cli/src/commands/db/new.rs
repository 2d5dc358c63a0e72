//! `devenv db new NAME`: create the next migration file, empty.

use crate::error::{ExitStatus, Hinted};
use crate::migrate::files;
use crate::settings::Settings;

use super::DbContext;

#[derive(Debug, clap::Args)]
pub(crate) struct NewArgs {
    /// What the migration does, e.g. `add users email`.
    pub name: Vec<String>,
}

pub(super) async fn run(
    args: NewArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let slug = files::slug(&args.name.join(" "));
    if slug.is_empty() {
        return Err(
            Hinted::user("the migration needs a name made of letters or digits")
                .with_hint("for example `devenv db new add users email`")
                .into(),
        );
    }
    let dir = ctx.dir(&settings);
    fs_err::create_dir_all(&dir)?;
    let mut existing = Vec::new();
    for entry in fs_err::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some((version, _)) = files::parse_name(&name) {
            let width = name.split('_').next().map_or(0, str::len);
            existing.push((version, width));
        }
    }
    let version = files::next_version(&existing, chrono::Utc::now());
    let path = dir.join(format!("{version}_{slug}.sql"));
    let template = format!(
        "-- {slug}\n-- Runs before the new code is deployed: keep the running code working (add, don't drop or rename).\n\n"
    );
    // create_new: never overwrite a file another terminal just created.
    let mut file = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::io::Write::write_all(&mut file, template.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    settings.printer.status("Created", path.display());
    settings.printer.data(path.display());
    Ok(ExitStatus::Success)
}

//! Validated settings: raw clap arguments merged with `devenv.yaml` and the environment,
//! resolved once before any work starts (ripgrep's low-args → high-args).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::args::GlobalArgs;
use crate::error::Hinted;
use crate::ui::Printer;

/// The project settings file, beside the compose file.
pub(crate) const PROJECT_FILE: &str = "devenv.yaml";

/// `devenv.yaml`. Every section is optional; each domain owns its section's type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectConfig {
    /// The app: which compose service it is and where it answers.
    #[serde(default)]
    pub app: AppConfig,
    /// Vendored assets (`devenv vendor …`).
    #[serde(default)]
    pub vendor: crate::assets::VendorConfig,
    /// Database and migrations (`devenv db …`, and migrations during `up`).
    #[serde(default)]
    pub database: crate::migrate::DbConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppConfig {
    /// The compose service that runs the app (e.g. `web`).
    pub service: Option<String>,
    /// The URL the app answers at, printed after `up` (e.g. `http://127.0.0.1:8000`).
    #[expect(
        dead_code,
        reason = "parsed so devenv.yaml accepts it; read once previews use it"
    )]
    pub url: Option<String>,
}

/// Everything a command needs to know before it starts.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub printer: Printer,
    pub global: GlobalArgs,
    /// Absolute project folder: `-C`, else the current folder.
    pub project_dir: PathBuf,
    /// `devenv.yaml`, or defaults when there is none.
    pub config: ProjectConfig,
}

impl Settings {
    pub(crate) fn load(global: GlobalArgs, printer: Printer) -> anyhow::Result<Self> {
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let project_dir = match &global.project_dir {
            Some(dir) => {
                let dir = cwd.join(dir);
                if !dir.is_dir() {
                    return Err(Hinted::user(format!(
                        "project folder `{}` does not exist",
                        dir.display()
                    ))
                    .into());
                }
                dir
            }
            None => cwd,
        };
        let path = project_dir.join(PROJECT_FILE);
        let config = if path.is_file() {
            load_project_file(&path)?
        } else {
            ProjectConfig::default()
        };
        Ok(Self {
            printer,
            global,
            project_dir,
            config,
        })
    }
}

/// Parse `devenv.yaml`, naming file:line:column and the offending line on error.
pub(crate) fn load_project_file(path: &Path) -> anyhow::Result<ProjectConfig> {
    let text = fs_err::read_to_string(path)?;
    parse_project_file(&text, path)
}

pub(crate) fn parse_project_file(text: &str, path: &Path) -> anyhow::Result<ProjectConfig> {
    if text.trim().is_empty() {
        return Ok(ProjectConfig::default());
    }
    serde_yaml_ng::from_str(text).map_err(|err| {
        let location = err.location();
        let mut message = match &location {
            Some(loc) => format!(
                "{}:{}:{}: {}",
                path.display(),
                loc.line(),
                loc.column(),
                err
            ),
            None => format!("{}: {}", path.display(), err),
        };
        if let Some(loc) = location
            && let Some(line) = text.lines().nth(loc.line().saturating_sub(1))
        {
            message.push_str(&format!(
                "\n   |\n{:>3}| {line}\n   | {:>width$}^",
                loc.line(),
                "",
                width = loc.column().saturating_sub(1)
            ));
        }
        Hinted::user(message)
            .with_hint(format!(
                "see docs/configuration.md for the keys `{PROJECT_FILE}` accepts"
            ))
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_and_line() {
        let err = parse_project_file(
            "app:\n  service: web\n  colour: blue\n",
            Path::new("devenv.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("devenv.yaml:3:"), "{err}");
        assert!(err.contains("colour"), "{err}");
        assert!(err.contains("  colour: blue"), "{err}");
    }

    #[test]
    fn empty_file_is_defaults() {
        let cfg = parse_project_file("\n", Path::new("devenv.yaml")).unwrap();
        assert!(cfg.app.service.is_none());
    }
}

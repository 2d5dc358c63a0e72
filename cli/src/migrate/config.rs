//! The `database:` section of devenv.yaml and where the database URL comes from.
//!
//! Owns the keys and their defaults; the URL precedence is `--database-url`, then
//! `DATABASE_URL`, then `database.url` (a published-port lookup of `database.service`
//! happens in `commands::db` through the engine when none of these is set).

use std::time::Duration;

use serde::Deserialize;

use super::MigrateError;

/// Environment variable read for the database URL (also listed in `env_vars.rs`).
use crate::env_vars::DATABASE_URL;

/// `database:` in devenv.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DbConfig {
    /// The compose service that runs PostgreSQL (for `db dump`/`db shell`, `up`, port lookup).
    pub service: Option<String>,
    /// Connection URL (`postgres://user:pass@host:port/db`).
    pub url: Option<String>,
    /// Folder of migration files, relative to the project folder.
    pub dir: String,
    /// A command that migrates instead of the SQL files, e.g. `["alembic", "upgrade", "head"]`.
    pub command: Option<Vec<String>>,
    /// Where `command` runs: `app` (the app's service container, the default) or `host`.
    pub command_in: CommandIn,
    /// The service whose container runs `command` (default: `app.service`).
    pub command_service: Option<String>,
    /// `lock_timeout` for every migration statement.
    pub lock_timeout: String,
    /// `statement_timeout` for every migration statement (`0` = none).
    pub statement_timeout: String,
    /// How long to wait for another runner's migration lock.
    pub lock_wait: String,
    /// How long `db wait` (and `up`) waits for the database to accept connections.
    pub wait_timeout: String,
    /// Apply files older than the newest applied one without asking.
    pub allow_out_of_order: bool,
    /// The history table's name.
    pub history_table: String,
    /// `db lint` settings.
    pub lint: LintConfig,
}

impl Default for DbConfig {
    fn default() -> Self {
        Self {
            service: None,
            url: None,
            dir: "migrations".into(),
            command: None,
            command_in: CommandIn::App,
            command_service: None,
            lock_timeout: "5s".into(),
            statement_timeout: "0".into(),
            lock_wait: "60s".into(),
            wait_timeout: "30s".into(),
            allow_out_of_order: false,
            history_table: "devenv_schema_migrations".into(),
            lint: LintConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CommandIn {
    #[default]
    App,
    Host,
}

/// `database.lint:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LintConfig {
    /// Rule ids to turn off everywhere.
    pub disable: Vec<String>,
    /// Files whose version is at or below this are not linted (grandfathered).
    pub start_after: Option<u64>,
}

impl DbConfig {
    pub(crate) fn lock_timeout(&self) -> Result<Duration, MigrateError> {
        parse_duration("database.lock_timeout", &self.lock_timeout)
    }
    pub(crate) fn statement_timeout(&self) -> Result<Duration, MigrateError> {
        parse_duration("database.statement_timeout", &self.statement_timeout)
    }
    pub(crate) fn lock_wait(&self) -> Result<Duration, MigrateError> {
        parse_duration("database.lock_wait", &self.lock_wait)
    }
    pub(crate) fn wait_timeout(&self) -> Result<Duration, MigrateError> {
        parse_duration("database.wait_timeout", &self.wait_timeout)
    }
    /// The history table name, checked to be a plain identifier (it is spliced into SQL).
    pub(crate) fn history_table(&self) -> Result<&str, MigrateError> {
        let name = self.history_table.as_str();
        let ok = !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if ok {
            Ok(name)
        } else {
            Err(MigrateError::Config {
                key: "database.history_table",
                message: format!(
                    "`{name}` is not a plain lowercase identifier (letters, digits, `_`)"
                ),
            })
        }
    }
}

/// `5s`, `500ms`, `2min`, or `0` (none). Humantime syntax.
pub(crate) fn parse_duration(key: &'static str, text: &str) -> Result<Duration, MigrateError> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|e| MigrateError::Config {
        key,
        message: format!("`{text}` is not a duration like `5s` or `500ms` ({e})"),
    })
}

/// Milliseconds as PostgreSQL takes them in `SET lock_timeout = …`.
pub(crate) fn pg_millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// Where the URL came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlSource {
    Flag,
    Env,
    Config,
}

impl std::fmt::Display for UrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlSource::Flag => "--database-url",
            UrlSource::Env => "DATABASE_URL",
            UrlSource::Config => "devenv.yaml database.url",
        })
    }
}

/// `--database-url`, else `DATABASE_URL`, else `database.url`.
pub(crate) fn resolve_url(flag: Option<&str>, config: &DbConfig) -> Option<(String, UrlSource)> {
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        return Some((url.to_string(), UrlSource::Flag));
    }
    if let Ok(url) = std::env::var(DATABASE_URL)
        && !url.is_empty()
    {
        return Some((url, UrlSource::Env));
    }
    config
        .url
        .as_ref()
        .filter(|u| !u.is_empty())
        .map(|u| (u.clone(), UrlSource::Config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        let cfg: DbConfig =
            serde_yaml_ng::from_str("dir: db/migrations\nlock_timeout: 2s\n").unwrap();
        assert_eq!(cfg.dir, "db/migrations");
        assert_eq!(cfg.lock_timeout().unwrap(), Duration::from_secs(2));
        assert_eq!(cfg.lock_wait().unwrap(), Duration::from_secs(60));
        assert_eq!(cfg.statement_timeout().unwrap(), Duration::ZERO);
        assert!(serde_yaml_ng::from_str::<DbConfig>("lock_timout: 2s\n").is_err());
        let cfg: DbConfig =
            serde_yaml_ng::from_str("command: [alembic, upgrade, head]\ncommand_in: host\n")
                .unwrap();
        assert_eq!(cfg.command_in, CommandIn::Host);
        assert_eq!(cfg.command.unwrap().len(), 3);
    }

    #[test]
    fn bad_values_name_their_key() {
        let cfg = DbConfig {
            lock_timeout: "soon".into(),
            history_table: "x; drop table y".into(),
            ..DbConfig::default()
        };
        assert!(
            cfg.lock_timeout()
                .unwrap_err()
                .to_string()
                .contains("lock_timeout")
        );
        assert!(cfg.history_table().is_err());
    }
}

//! Connecting to PostgreSQL: parse the URL, connect with clear errors, wait until the target
//! database (not just the server) accepts connections, and tell local hosts from remote ones.

use std::time::{Duration, Instant};

use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use super::MigrateError;
use super::config::UrlSource;

/// A parsed target with a password-free description for messages.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub config: Config,
    pub url: String,
    /// `database `app` on 127.0.0.1:5432 as `app``.
    pub label: String,
}

impl Target {
    pub(crate) fn parse(url: &str, source: UrlSource) -> Result<Self, MigrateError> {
        let mut config: Config = url.parse().map_err(|e| MigrateError::BadUrl {
            source_name: source.to_string(),
            source: e,
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let label = label(&config);
        Ok(Self {
            config,
            url: url.to_string(),
            label,
        })
    }

    pub(crate) fn database(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_string()
    }

    /// Host names for messages and the local check.
    pub(crate) fn hosts(&self) -> Vec<String> {
        self.config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect()
    }

    /// True when every host is this machine (loopback names or a unix socket).
    pub(crate) fn is_local(&self) -> bool {
        let hosts = self.config.get_hosts();
        hosts.is_empty()
            || hosts.iter().all(|h| match h {
                Host::Unix(_) => true,
                Host::Tcp(name) => {
                    let name = name.trim_start_matches('[').trim_end_matches(']');
                    name == "localhost"
                        || name == "::1"
                        || name.starts_with("127.")
                        || name.ends_with(".localhost")
                }
            })
    }

    /// The same server, another database (for `db reset`).
    pub(crate) fn with_database(&self, dbname: &str) -> Self {
        let mut config = self.config.clone();
        config.dbname(dbname);
        let label = label(&config);
        Self {
            config,
            url: self.url.clone(),
            label,
        }
    }

    /// Connect once, naming the application so `pg_stat_activity` shows who is migrating.
    pub(crate) async fn connect(&self, application_name: &str) -> Result<Client, MigrateError> {
        let mut config = self.config.clone();
        config.application_name(application_name);
        match config.connect(NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!("postgres connection ended: {err}");
                    }
                });
                Ok(client)
            }
            Err(err) => Err(self.classify(err, None)),
        }
    }

    fn classify(&self, err: tokio_postgres::Error, waited: Option<Duration>) -> MigrateError {
        let code = err.code();
        if code == Some(&SqlState::INVALID_PASSWORD)
            || code == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
            || err.to_string().contains("password missing")
        {
            MigrateError::Auth {
                target: self.label.clone(),
                source: err,
            }
        } else if code == Some(&SqlState::INVALID_CATALOG_NAME) {
            MigrateError::DatabaseMissing {
                database: self.database(),
                target: self.server_label(),
            }
        } else {
            MigrateError::Unreachable {
                target: self.label.clone(),
                waited,
                source: err,
            }
        }
    }

    fn server_label(&self) -> String {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("{}:{port}", self.hosts().join(","))
    }

    /// Connect until the target database answers `SELECT 1`, or `timeout` passes.
    /// Wrong credentials end the wait at once; a missing database or a refused connection
    /// is retried (the container's entrypoint may still be creating it).
    pub(crate) async fn wait(
        &self,
        timeout: Duration,
        mut on_retry: impl FnMut(&MigrateError),
    ) -> Result<Duration, MigrateError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            let attempt = match self.connect("devenv wait").await {
                Ok(client) => client
                    .simple_query("SELECT 1")
                    .await
                    .map(|_| ())
                    .map_err(|e| self.classify(e, None)),
                Err(e) => Err(e),
            };
            match attempt {
                Ok(()) => return Ok(started.elapsed()),
                Err(err @ MigrateError::Auth { .. }) => return Err(err),
                Err(err) => {
                    if started.elapsed() + delay > timeout {
                        return Err(match err {
                            MigrateError::Unreachable { target, source, .. } => {
                                MigrateError::Unreachable {
                                    target,
                                    waited: Some(started.elapsed()),
                                    source,
                                }
                            }
                            other => other,
                        });
                    }
                    on_retry(&err);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

fn label(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    let user = config.get_user().unwrap_or("?");
    format!(
        "database `{db}` on {}:{port} as `{user}`",
        if hosts.is_empty() {
            "localhost".to_string()
        } else {
            hosts.join(",")
        }
    )
}

/// Run a query that must work, naming what it was for on failure.
pub(crate) fn query_err(
    what: impl Into<String>,
) -> impl FnOnce(tokio_postgres::Error) -> MigrateError {
    let what = what.into();
    move |source| MigrateError::Query { what, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_hide_the_password_and_locality_is_known() {
        let t =
            Target::parse("postgres://app:secret@127.0.0.1:5433/shop", UrlSource::Flag).unwrap();
        assert_eq!(t.label, "database `shop` on 127.0.0.1:5433 as `app`");
        assert!(t.is_local());
        let t =
            Target::parse("postgres://app:secret@db.example.com/shop", UrlSource::Flag).unwrap();
        assert!(!t.is_local());
        assert!(!t.label.contains("secret"));
        assert!(
            Target::parse("postgres://app@[::1]:5432/x", UrlSource::Env)
                .unwrap()
                .is_local()
        );
        assert!(Target::parse("not a url at all ::", UrlSource::Env).is_err());
    }
}

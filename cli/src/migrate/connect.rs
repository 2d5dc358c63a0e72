//! Connecting to PostgreSQL: parse the URL, connect with clear errors, wait until the target
//! database (not just the server) accepts connections, and tell local hosts from remote ones.

use std::time::{Duration, Instant};

use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use super::MigrateError;
use super::config::UrlSource;
use super::tls::{self, TlsOptions};

/// How long the server may take to answer the start of a session (TLS, authentication)
/// when the URL sets no `connect_timeout`. A server that accepts and then says nothing
/// (a paused container, a dead tunnel) fails after this instead of hanging.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed target with a password-free description for messages.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub config: Config,
    pub url: String,
    /// `database `app` on 127.0.0.1:5432 as `app``.
    pub label: String,
    /// libpq's `sslmode` and `sslrootcert`, which tokio-postgres does not know.
    pub tls: TlsOptions,
    /// The limit on connecting and starting a session.
    pub startup_timeout: Duration,
}

impl Target {
    pub(crate) fn parse(url: &str, source: UrlSource) -> Result<Self, MigrateError> {
        let (rest, tls) =
            tls::split_options(url).map_err(|message| MigrateError::BadUrlOption {
                source_name: source.to_string(),
                message,
            })?;
        let mut config: Config = rest.parse().map_err(|e| MigrateError::BadUrl {
            source_name: source.to_string(),
            source: e,
        })?;
        config.ssl_mode(tls.mode.for_tokio_postgres());
        let startup_timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(STARTUP_TIMEOUT);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let label = label(&config);
        Ok(Self {
            config,
            url: url.to_string(),
            label,
            tls,
            startup_timeout,
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
            tls: self.tls.clone(),
            startup_timeout: self.startup_timeout,
        }
    }

    /// Connect once, naming the application so `pg_stat_activity` shows who is migrating.
    /// Gives up after the startup timeout when the server does not answer.
    pub(crate) async fn connect(&self, application_name: &str) -> Result<Client, MigrateError> {
        self.connect_within(application_name, self.startup_timeout)
            .await
    }

    async fn connect_within(
        &self,
        application_name: &str,
        limit: Duration,
    ) -> Result<Client, MigrateError> {
        let mut config = self.config.clone();
        config.application_name(application_name);
        let connector =
            tls::connector(&self.tls).map_err(|message| MigrateError::BadUrlOption {
                source_name: self.label.clone(),
                message,
            })?;
        let attempt = async {
            match connector {
                None => config.connect(NoTls).await.map(|(client, conn)| {
                    tokio::spawn(drive(conn));
                    client
                }),
                Some(tls) => config.connect(tls).await.map(|(client, conn)| {
                    tokio::spawn(drive(conn));
                    client
                }),
            }
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(err)) => Err(self.classify(err, None)),
            Err(_) => Err(MigrateError::NoAnswer {
                target: self.label.clone(),
                after: limit,
            }),
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
        } else if is_tls_failure(&err) {
            MigrateError::Tls {
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
            // Each attempt gets what is left of the wait, so a server that never answers
            // cannot hold `db wait --timeout` past its limit.
            let left = timeout
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(100));
            let attempt = self.answer_within(left).await;
            match attempt {
                Ok(()) => return Ok(started.elapsed()),
                Err(err @ MigrateError::Auth { .. }) => return Err(err),
                Err(MigrateError::NoAnswer { target, .. }) if started.elapsed() >= timeout => {
                    return Err(MigrateError::NoAnswer {
                        target,
                        after: started.elapsed(),
                    });
                }
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

impl Target {
    /// Connect and run `SELECT 1`, all within `limit`.
    async fn answer_within(&self, limit: Duration) -> Result<(), MigrateError> {
        let started = Instant::now();
        let client = self
            .connect_within("devenv wait", limit.min(self.startup_timeout))
            .await?;
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, client.simple_query("SELECT 1")).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.classify(e, None)),
            Err(_) => Err(MigrateError::NoAnswer {
                target: self.label.clone(),
                after: limit,
            }),
        }
    }
}

/// A handshake that failed on TLS: the certificate was refused, or TLS was required of a
/// server that has none.
fn is_tls_failure(err: &tokio_postgres::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        let text = e.to_string();
        if text.contains("TLS handshake") || text.contains("server does not support TLS") {
            return true;
        }
        source = e.source();
    }
    false
}

/// Drive a connection until it ends; its errors surface on the client's next query.
async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(err) = connection.await {
        tracing::debug!("postgres connection ended: {err}");
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

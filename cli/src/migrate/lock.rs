//! The migration lock: a session-level advisory lock on a dedicated connection, polled with
//! `pg_try_advisory_lock` so a waiting runner never sits in a lock queue (a blocking
//! `pg_advisory_lock` inside a transaction deadlocks with `CREATE INDEX CONCURRENTLY`, which
//! waits for every open transaction). Waiting is bounded and shown with the holder's pid.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::MigrateError;
use super::connect::{Target, query_err};

/// Held until [`MigrationLock::release`] or until the connection drops.
pub(crate) struct MigrationLock {
    client: Client,
    key: i64,
}

/// The lock key for a history table (advisory locks are per database already).
pub(crate) fn key_for(history_table: &str) -> i64 {
    let digest = Sha256::digest(format!("devenv-migrate:{history_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl MigrationLock {
    /// Take the lock, waiting at most `wait`. `on_wait` is called once with a description of
    /// the holder when the first try fails.
    pub(crate) async fn acquire(
        target: &Target,
        history_table: &str,
        wait: Duration,
        mut on_wait: impl FnMut(&str),
    ) -> Result<Self, MigrateError> {
        let client = target.connect("devenv migrate (lock)").await?;
        let key = key_for(history_table);
        let started = Instant::now();
        let mut told = false;
        let mut delay = Duration::from_millis(50);
        loop {
            let row = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(query_err("taking the migration lock"))?;
            let got: bool = row
                .try_get(0)
                .map_err(query_err("taking the migration lock"))?;
            if got {
                return Ok(Self { client, key });
            }
            if !told {
                told = true;
                on_wait(&holder(&client, key).await);
            }
            if started.elapsed() >= wait {
                return Err(MigrateError::LockWait {
                    waited: humantime::format_duration(Duration::from_secs(
                        started.elapsed().as_secs(),
                    ))
                    .to_string(),
                    holder: holder(&client, key).await,
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(500));
        }
    }

    /// The lock's connection: idle while migrations run, so it can look at `pg_stat_activity`.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) async fn release(self) {
        if let Err(err) = self
            .client
            .query_one("SELECT pg_advisory_unlock($1)", &[&self.key])
            .await
        {
            // Dropping the connection releases it anyway.
            tracing::debug!("releasing the migration lock: {err}");
        }
    }
}

/// ` (held by pid 123, `devenv migrate (lock)` from 10.0.0.5)`, or "" when unknown.
async fn holder(client: &Client, key: i64) -> String {
    let hi = key >> 32;
    let lo = key & 0xffff_ffff;
    let rows = client
        .query(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.classid::bigint = ($1::bigint & 4294967295) AND l.objid::bigint = $2 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[&hi, &lo],
        )
        .await;
    match rows.ok().as_ref().and_then(|r| r.first()) {
        Some(row) => {
            let pid: i32 = row.try_get(0).unwrap_or(0);
            let app: String = row.try_get(1).unwrap_or_default();
            let from: String = row.try_get(2).unwrap_or_default();
            format!(" (held by pid {pid}, `{app}` from {from})")
        }
        None => String::new(),
    }
}

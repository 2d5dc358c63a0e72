//! The history table (`devenv_schema_migrations` by default): one row per applied file with
//! version, name, checksum, applied_at, duration and who applied it. Full history, not a
//! high-water mark. Also recognises other tools' history tables so we can say so.

use tokio_postgres::Client;

use super::MigrateError;
use super::connect::query_err;

/// One applied migration.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Applied {
    pub version: u64,
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
    pub duration_ms: i64,
    pub applied_by: String,
}

/// Columns a devenv history table must have.
const OUR_COLUMNS: [&str; 6] = [
    "version",
    "name",
    "checksum",
    "applied_at",
    "duration_ms",
    "applied_by",
];

/// Other tools' history tables, for "this database was migrated by …".
const FOREIGN: [(&str, &str); 8] = [
    ("alembic_version", "Alembic"),
    ("schema_migrations", "dbmate, golang-migrate or Rails"),
    ("_sqlx_migrations", "sqlx"),
    ("flyway_schema_history", "Flyway"),
    ("goose_db_version", "goose"),
    ("refinery_schema_history", "refinery"),
    ("atlas_schema_revisions", "Atlas"),
    ("django_migrations", "Django"),
];

/// What is in the database now.
#[derive(Debug)]
pub(crate) enum State {
    /// Our table exists (possibly empty).
    Ours(Vec<Applied>),
    /// No history table yet; `foreign` names another tool's table if one is there.
    Missing { foreign: Option<(String, String)> },
}

/// Read the history, checking that the table is ours.
pub(crate) async fn read(client: &Client, table: &str) -> Result<State, MigrateError> {
    let rows = client
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
            &[&table],
        )
        .await
        .map_err(query_err("reading the history table's columns"))?;
    let columns: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if columns.is_empty() {
        let foreign = foreign_table(client).await?;
        return Ok(State::Missing { foreign });
    }
    if !OUR_COLUMNS
        .iter()
        .all(|c| columns.iter().any(|have| have == c))
    {
        return Err(MigrateError::NotOurs {
            table: table.to_string(),
            columns: columns.join(", "),
        });
    }
    let sql = format!(
        "SELECT version, name, checksum, \
         to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
         duration_ms, applied_by FROM {table} ORDER BY version"
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(query_err(format!("reading `{table}`")))?;
    let mut applied = Vec::with_capacity(rows.len());
    for row in rows {
        let version: i64 = row.try_get(0).map_err(query_err("reading a version"))?;
        applied.push(Applied {
            version: u64::try_from(version).unwrap_or(0),
            name: row.try_get(1).map_err(query_err("reading a name"))?,
            checksum: row.try_get(2).map_err(query_err("reading a checksum"))?,
            applied_at: row.try_get(3).map_err(query_err("reading applied_at"))?,
            duration_ms: row.try_get(4).map_err(query_err("reading duration_ms"))?,
            applied_by: row.try_get(5).map_err(query_err("reading applied_by"))?,
        });
    }
    Ok(State::Ours(applied))
}

/// Another tool's history table in the current schema: (table, tool).
async fn foreign_table(client: &Client) -> Result<Option<(String, String)>, MigrateError> {
    let names: Vec<&str> = FOREIGN.iter().map(|(t, _)| *t).collect();
    let rows = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = ANY($1)",
            &[&names],
        )
        .await
        .map_err(query_err("looking for other tools' history tables"))?;
    Ok(rows.first().and_then(|r| {
        let name: String = r.get(0);
        FOREIGN
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(t, tool)| (t.to_string(), tool.to_string()))
    }))
}

/// Create the table if it is not there (called under the advisory lock).
pub(crate) async fn ensure(client: &Client, table: &str) -> Result<(), MigrateError> {
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n\
           version bigint PRIMARY KEY,\n\
           name text NOT NULL,\n\
           checksum text NOT NULL,\n\
           applied_at timestamptz NOT NULL DEFAULT now(),\n\
           duration_ms bigint NOT NULL,\n\
           applied_by text NOT NULL,\n\
           devenv_version text NOT NULL,\n\
           no_transaction boolean NOT NULL DEFAULT false\n\
         )"
    );
    client
        .batch_execute(&sql)
        .await
        .map_err(query_err(format!("creating the history table `{table}`")))
}

/// The SQL that records one applied file (run inside the file's transaction).
pub(crate) fn insert_sql(table: &str) -> String {
    format!(
        "INSERT INTO {table} (version, name, checksum, duration_ms, applied_by, devenv_version, no_transaction) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
}

/// Accept the current checksum of an applied, edited file.
pub(crate) async fn accept_checksum(
    client: &Client,
    table: &str,
    version: u64,
    checksum: &str,
) -> Result<(), MigrateError> {
    let sql = format!("UPDATE {table} SET checksum = $2 WHERE version = $1");
    let version_i = i64::try_from(version).unwrap_or(i64::MAX);
    let n = client
        .execute(&sql, &[&version_i, &checksum])
        .await
        .map_err(query_err(format!("updating the checksum of {version}")))?;
    if n == 0 {
        return Err(MigrateError::UnknownVersion { version });
    }
    Ok(())
}

/// `user@host`, for the `applied_by` column.
pub(crate) fn applied_by() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into a buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let host = if rc == 0 {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown".into()
    };
    format!("{user}@{host}")
}

//! `db reset`'s database work: which databases may be dropped (a local one, never the
//! maintenance database; a remote one only when forced), and dropping and recreating it
//! from the `postgres` database. Asking the user is the command's job.

use super::MigrateError;
use super::connect::{Target, query_err};

/// Refuse to drop a database on another host (unless `force`) or a maintenance database.
pub(crate) fn check_resettable(target: &Target, force: bool) -> Result<(), MigrateError> {
    let database = target.database();
    if !target.is_local() && !force {
        return Err(MigrateError::NotLocal {
            database,
            host: target.hosts().join(","),
        });
    }
    if database == "postgres" || database.starts_with("template") {
        return Err(MigrateError::Refused(format!(
            "refusing to drop the maintenance database `{database}`"
        )));
    }
    Ok(())
}

/// Drop the target database (ending its sessions) and create it empty.
pub(crate) async fn recreate(target: &Target) -> Result<(), MigrateError> {
    let database = target.database();
    let admin = target.with_database("postgres");
    let client = admin.connect("devenv reset").await?;
    let quoted = format!("\"{}\"", database.replace('"', "\"\""));
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await
        .map_err(query_err(format!("dropping `{database}`")))?;
    client
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await
        .map_err(query_err(format!("creating `{database}`")))
}

//! Files on disk against the history table: applied / pending / changed / missing, and
//! which pending files are out of order. [`compare`] and [`summarize`] are pure; [`read`]
//! fetches both sides (the folder and the history table) for `db status` and `doctor`.

use std::path::PathBuf;

use serde::Serialize;

use super::MigrateError;
use super::connect::Target;
use super::files::{self, MigrationFile};
use super::history::{self, Applied, State as HistoryState};

/// The migrations folder against a database's history.
#[derive(Debug)]
pub(crate) struct Status {
    pub rows: Vec<Row>,
    pub summary: Summary,
    /// Another tool's history table (table, tool) when ours does not exist.
    pub foreign: Option<(String, String)>,
}

/// Read the `.sql` files of `dir` and the history table `table` of `target` (connecting as
/// `application_name`), and compare them. No history table counts as nothing applied.
pub(crate) async fn read(
    target: &Target,
    dir: PathBuf,
    table: &str,
    application_name: &str,
) -> Result<Status, MigrateError> {
    let files = tokio::task::spawn_blocking(move || files::discover(&dir))
        .await
        .map_err(|e| MigrateError::Io(std::io::Error::other(e)))??;
    let client = target.connect(application_name).await?;
    let (applied, foreign) = match history::read(&client, table).await? {
        HistoryState::Ours(applied) => (applied, None),
        HistoryState::Missing { foreign } => (Vec::new(), foreign),
    };
    let rows = compare(&files, &applied);
    let summary = summarize(&rows);
    Ok(Status {
        rows,
        summary,
        foreign,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    /// Applied, and the file is unchanged.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but the file's checksum differs from the recorded one.
    Changed,
    /// Applied, but the file is gone.
    Missing,
}

/// One line of `db status`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub version: u64,
    pub name: String,
    /// The file name, when the file exists.
    pub file: Option<String>,
    pub state: State,
    /// Pending and older than the newest applied migration.
    pub out_of_order: bool,
    /// Checksum of the file on disk.
    pub checksum: Option<String>,
    /// Checksum recorded when it was applied.
    pub applied_checksum: Option<String>,
    pub applied_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub applied_by: Option<String>,
}

/// Merge files and history into rows in version order.
pub(crate) fn compare(files: &[MigrationFile], applied: &[Applied]) -> Vec<Row> {
    let newest = applied.iter().map(|a| a.version).max();
    let mut rows = Vec::with_capacity(files.len().max(applied.len()));
    let (mut i, mut j) = (0, 0);
    // Both lists are sorted by version: a merge walk keeps `status` linear for big histories.
    while i < files.len() || j < applied.len() {
        let f = files.get(i);
        let a = applied.get(j);
        match (f, a) {
            (Some(f), Some(a)) if f.version == a.version => {
                let state = if f.checksum == a.checksum {
                    State::Applied
                } else {
                    State::Changed
                };
                rows.push(row(Some(f), Some(a), state, false));
                i += 1;
                j += 1;
            }
            (Some(f), a) if a.is_none_or(|a| f.version < a.version) => {
                let ooo = newest.is_some_and(|n| f.version < n);
                rows.push(row(Some(f), None, State::Pending, ooo));
                i += 1;
            }
            (_, Some(a)) => {
                rows.push(row(None, Some(a), State::Missing, false));
                j += 1;
            }
            _ => break,
        }
    }
    rows
}

fn row(f: Option<&MigrationFile>, a: Option<&Applied>, state: State, out_of_order: bool) -> Row {
    Row {
        version: f.map(|f| f.version).or(a.map(|a| a.version)).unwrap_or(0),
        name: f
            .map(|f| f.name.clone())
            .or(a.map(|a| a.name.clone()))
            .unwrap_or_default(),
        file: f.map(MigrationFile::file_name),
        state,
        out_of_order,
        checksum: f.map(|f| f.checksum.clone()),
        applied_checksum: a.map(|a| a.checksum.clone()),
        applied_at: a.map(|a| a.applied_at.clone()),
        duration_ms: a.map(|a| a.duration_ms),
        applied_by: a.map(|a| a.applied_by.clone()),
    }
}

/// Counts per state.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Summary {
    pub applied: usize,
    pub pending: usize,
    pub changed: usize,
    pub missing: usize,
    pub out_of_order: usize,
}

pub(crate) fn summarize(rows: &[Row]) -> Summary {
    let mut s = Summary::default();
    for r in rows {
        match r.state {
            State::Applied => s.applied += 1,
            State::Pending => s.pending += 1,
            State::Changed => s.changed += 1,
            State::Missing => s.missing += 1,
        }
        if r.out_of_order {
            s.out_of_order += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::files::{Directives, checksum};

    fn file(v: u64, sql: &str) -> MigrationFile {
        MigrationFile {
            version: v,
            name: format!("m{v}"),
            path: format!("{v}_m{v}.sql").into(),
            sql: sql.into(),
            checksum: checksum(sql),
            directives: Directives::default(),
        }
    }
    fn applied(v: u64, sql: &str) -> Applied {
        Applied {
            version: v,
            name: format!("m{v}"),
            checksum: checksum(sql),
            applied_at: "2024-01-01T00:00:00Z".into(),
            duration_ms: 1,
            applied_by: "me@here".into(),
        }
    }

    #[test]
    fn every_state() {
        let files = [file(1, "a"), file(2, "b2"), file(3, "c"), file(5, "e")];
        let history = [applied(1, "a"), applied(2, "b"), applied(4, "d")];
        let rows = compare(&files, &history);
        let states: Vec<(u64, State, bool)> = rows
            .iter()
            .map(|r| (r.version, r.state, r.out_of_order))
            .collect();
        assert_eq!(
            states,
            vec![
                (1, State::Applied, false),
                (2, State::Changed, false),
                (3, State::Pending, true),
                (4, State::Missing, false),
                (5, State::Pending, false),
            ]
        );
        let s = summarize(&rows);
        assert_eq!(
            (s.applied, s.pending, s.changed, s.missing, s.out_of_order),
            (1, 2, 1, 1, 1)
        );
    }
}

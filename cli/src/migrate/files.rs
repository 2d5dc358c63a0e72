//! Migration files on disk: `<version>_<name>.sql`, numeric order, directives, checksums.
//!
//! Owns naming rules (malformed names and duplicate versions are errors naming the files),
//! the checksum (sha256 of the text with CRLF turned into LF, so a Windows checkout is not an
//! edit), and the `-- devenv:` directives read from the file's leading comment lines.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::MigrateError;

/// One migration file, read and checked.
#[derive(Debug, Clone)]
pub(crate) struct MigrationFile {
    pub version: u64,
    /// The part after `<version>_`, without `.sql`.
    pub name: String,
    pub path: PathBuf,
    /// The text as it is on disk (sent verbatim).
    pub sql: String,
    /// `sha256` hex of the LF-normalised text.
    pub checksum: String,
    pub directives: Directives,
}

impl MigrationFile {
    pub(crate) fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// `-- devenv:…` lines at the top of a file (before the first statement).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Directives {
    /// `-- devenv:no-transaction`: run each statement on its own, outside a transaction.
    pub no_transaction: bool,
    /// `-- devenv:allow-out-of-order`: this file may be applied after newer ones.
    pub allow_out_of_order: bool,
    /// `-- devenv:cleanup <reason>`: a contract migration (drops allowed by `db lint`).
    pub cleanup: Option<String>,
}

/// Read the leading `--` comment block for directives.
pub(crate) fn directives(sql: &str) -> Directives {
    let mut d = Directives::default();
    for line in sql.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("--") else {
            break;
        };
        let comment = comment.trim();
        let Some(rest) = comment.strip_prefix("devenv:") else {
            continue;
        };
        let (word, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match word {
            "no-transaction" => d.no_transaction = true,
            "allow-out-of-order" => d.allow_out_of_order = true,
            "cleanup" => d.cleanup = Some(arg.trim().to_string()),
            _ => {}
        }
    }
    d
}

/// sha256 over the text with `\r\n` normalised to `\n`.
pub(crate) fn checksum(sql: &str) -> String {
    let mut hasher = Sha256::new();
    if sql.contains('\r') {
        hasher.update(sql.replace("\r\n", "\n").as_bytes());
    } else {
        hasher.update(sql.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Split `0042_add_users.sql` into (42, "add_users"); None when the name is not of that form.
pub(crate) fn parse_name(file_name: &str) -> Option<(u64, String)> {
    let stem = file_name.strip_suffix(".sql")?;
    let (version, name) = stem.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    // The history table stores versions as bigint: larger ones are not valid names.
    let version: u64 = version.parse().ok()?;
    if i64::try_from(version).is_err() {
        return None;
    }
    Some((version, name.to_string()))
}

/// Why `parse_name` refused a file name, for the message.
fn why_malformed(file_name: &str) -> &'static str {
    let stem = file_name.strip_suffix(".sql").unwrap_or(file_name);
    match stem.split_once('_') {
        None => "no `<version>_` before the name",
        Some(("", _)) => "no version before `_`",
        Some((_, "")) => "no name after the version",
        Some((version, _)) if !version.bytes().all(|b| b.is_ascii_digit()) => {
            "the version is not all digits"
        }
        Some(_) => "the version is larger than 9223372036854775807, PostgreSQL's bigint",
    }
}

/// The `.sql` files of `dir` in version order. Other files (README, Alembic scripts) are ignored.
pub(crate) fn discover(dir: &Path) -> Result<Vec<MigrationFile>, MigrateError> {
    if !dir.is_dir() {
        return Err(MigrateError::MissingDir {
            path: dir.to_path_buf(),
        });
    }
    let mut malformed = Vec::new();
    let mut found = Vec::new();
    let entries = fs_err::read_dir(dir).map_err(MigrateError::Io)?;
    for entry in entries {
        let entry = entry.map_err(MigrateError::Io)?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !file_name.ends_with(".sql") || !entry.path().is_file() {
            continue;
        }
        match parse_name(&file_name) {
            Some((version, name)) => found.push((version, name, entry.path())),
            None => {
                let why = why_malformed(&file_name);
                malformed.push(format!("`{file_name}` ({why})"));
            }
        }
    }
    if !malformed.is_empty() {
        malformed.sort();
        return Err(MigrateError::MalformedNames {
            dir: dir.to_path_buf(),
            names: malformed,
        });
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
    for pair in found.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(MigrateError::DuplicateVersion {
                version: pair[0].0,
                first: pair[0].2.clone(),
                second: pair[1].2.clone(),
            });
        }
    }
    let mut files = Vec::with_capacity(found.len());
    for (version, name, path) in found {
        let sql = fs_err::read_to_string(&path).map_err(MigrateError::Io)?;
        files.push(MigrationFile {
            version,
            name,
            checksum: checksum(&sql),
            directives: directives(&sql),
            path,
            sql,
        });
    }
    Ok(files)
}

/// The next version for `db new`: a UTC timestamp when the folder is empty or uses timestamps
/// (14 digits), else the next number padded to the width the folder already uses.
pub(crate) fn next_version(
    existing: &[(u64, usize)],
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let max = existing.iter().map(|(v, _)| *v).max();
    let uses_timestamps = existing.is_empty() || existing.iter().any(|(_, width)| *width >= 14);
    if uses_timestamps {
        let stamp: u64 = now.format("%Y%m%d%H%M%S").to_string().parse().unwrap_or(0);
        let version = match max {
            Some(m) if m >= stamp => m + 1,
            _ => stamp,
        };
        return version.to_string();
    }
    let width = existing.iter().map(|(_, w)| *w).max().unwrap_or(4);
    let next = max.map_or(1, |m| m + 1);
    format!("{next:0width$}")
}

/// `Add Users!` → `add_users`.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {

    #[test]
    fn versions_beyond_bigint_are_not_valid_names() {
        assert_eq!(
            parse_name("9223372036854775807_max.sql").map(|v| v.0),
            Some(i64::MAX as u64)
        );
        assert_eq!(parse_name("9999999999999999999_a.sql"), None);
    }

    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names() {
        assert_eq!(
            parse_name("0042_add_users.sql"),
            Some((42, "add_users".into()))
        );
        assert_eq!(
            parse_name("20240101120000_x_y.sql"),
            Some((20240101120000, "x_y".into()))
        );
        assert_eq!(parse_name("v1_add.sql"), None);
        assert_eq!(parse_name("0001.sql"), None);
        assert_eq!(parse_name("0001_.sql"), None);
        assert_eq!(parse_name("99999999999999999999999_big.sql"), None);
        assert!(why_malformed("12345678901234567890_x.sql").contains("larger than"));
        assert!(why_malformed("v1_add.sql").contains("not all digits"));
        assert!(why_malformed("0001.sql").contains("no `<version>_`"));
        assert!(why_malformed("0001_.sql").contains("no name"));
    }

    #[test]
    fn crlf_does_not_change_the_checksum() {
        assert_eq!(checksum("a;\r\nb;\r\n"), checksum("a;\nb;\n"));
        assert_ne!(checksum("a;\nb;\n"), checksum("a;\nc;\n"));
    }

    #[test]
    fn directives_come_from_the_leading_comments() {
        let d = directives(
            "-- devenv:no-transaction\n-- devenv:cleanup drop old column\nSELECT 1;\n-- devenv:allow-out-of-order\n",
        );
        assert!(d.no_transaction);
        assert_eq!(d.cleanup.as_deref(), Some("drop old column"));
        assert!(!d.allow_out_of_order);
    }

    #[test]
    fn next_versions() {
        let now = chrono::Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
        assert_eq!(next_version(&[], now), "20240506070809");
        assert_eq!(next_version(&[(1, 4), (7, 4)], now), "0008");
        assert_eq!(next_version(&[(20990101000000, 14)], now), "20990101000001");
        assert_eq!(slug("Add Users!  table"), "add_users_table");
    }
}

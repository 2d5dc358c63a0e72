//! `db lint`: find what breaks the running code or locks a table for long, in SQL files and
//! Alembic scripts, before anything runs.
//!
//! Owns: which files are linted (a folder walk, named files, or the files added since a git
//! ref), ignores (`-- devenv:ignore <rule>[,<rule>] <reason>`, reason required), the cleanup
//! marker (`-- devenv:cleanup <reason>` lets drops and renames through), and the report.
//! The rule table is in [`rules`], the SQL checks in [`checks`], the Alembic reader in
//! [`python`] (with its tokenizer, [`python_lexer`]).

mod checks;
pub(crate) mod python;
mod python_lexer;
pub(crate) mod rules;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub(crate) use rules::{RULES, Severity};

use super::MigrateError;
use super::config::LintConfig;
use super::files;
use super::sqltext;

/// One finding, ready to print.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    /// What was found, e.g. `DROP COLUMN users.email`.
    pub subject: String,
    pub why: &'static str,
    pub safe: &'static str,
}

/// The result of linting some files.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    pub files: usize,
    pub errors: usize,
    pub style: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

/// A parsed `devenv:ignore` comment.
struct Ignore {
    rules: Vec<String>,
    has_reason: bool,
    line: usize,
}

fn parse_ignore(line: usize, comment: &str) -> Option<Ignore> {
    let rest = comment.trim().strip_prefix("devenv:ignore")?;
    let rest = rest.trim();
    let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some(Ignore {
        rules: ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        has_reason: !reason.trim().is_empty(),
        line,
    })
}

fn cleanup_marker(comments: &[(usize, String)]) -> Option<(usize, String)> {
    comments.iter().find_map(|(line, c)| {
        c.trim()
            .strip_prefix("devenv:cleanup")
            .map(|r| (*line, r.trim().to_string()))
    })
}

fn finding(rule_id: &'static str, file: &str, line: usize, subject: String) -> Finding {
    let rule = rules::rule(rule_id).unwrap_or(&RULES[RULES.len() - 1]);
    Finding {
        rule: rule.id,
        severity: rule.severity,
        file: file.to_string(),
        line,
        subject,
        why: rule.why,
        safe: rule.safe,
    }
}

/// Apply ignores, cleanup and disabled rules to raw hits.
fn settle(
    file: &str,
    hits: Vec<checks::Hit>,
    ignores_for: impl Fn(&checks::Hit) -> Vec<Ignore>,
    cleanup: Option<(usize, String)>,
    cfg: &LintConfig,
    out: &mut Vec<Finding>,
) {
    let cleanup_ok = match &cleanup {
        Some((line, reason)) if reason.is_empty() => {
            out.push(finding(
                "cleanup-without-reason",
                file,
                *line,
                "devenv:cleanup".into(),
            ));
            false
        }
        Some(_) => true,
        None => false,
    };
    let mut reported_ignores = std::collections::HashSet::new();
    for hit in hits {
        let Some(rule) = rules::rule(hit.rule) else {
            continue;
        };
        if cfg.disable.iter().any(|d| d == rule.id) || (cleanup_ok && rule.cleanup_ok) {
            continue;
        }
        let mut ignored = false;
        for ig in ignores_for(&hit) {
            if !ig.rules.iter().any(|r| r == rule.id || r == "all") {
                continue;
            }
            if ig.has_reason {
                ignored = true;
            } else if reported_ignores.insert(ig.line) {
                out.push(finding(
                    "ignore-without-reason",
                    file,
                    ig.line,
                    format!("devenv:ignore {}", ig.rules.join(",")),
                ));
            }
        }
        if !ignored {
            out.push(finding(rule.id, file, hit.line, hit.subject));
        }
    }
}

/// Lint the text of one SQL migration.
pub(crate) fn lint_sql(file: &str, text: &str, cfg: &LintConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    let lexed = sqltext::split(text);
    for p in &lexed.problems {
        out.push(finding("unparsed", file, p.line, p.message.clone()));
    }
    let directives = files::directives(text);
    let mut state = checks::FileState {
        no_transaction: directives.no_transaction,
        ..Default::default()
    };
    let mut hits = Vec::new();
    for (i, stmt) in lexed.statements.iter().enumerate() {
        checks::check_statement(stmt, i, &mut state, &mut hits);
    }
    let all_comments: Vec<(usize, String)> = lexed
        .statements
        .iter()
        .flat_map(|s| s.comments.clone())
        .collect();
    let cleanup = cleanup_marker(&leading_comments(text)).or_else(|| cleanup_marker(&all_comments));
    for (line, c) in &all_comments {
        out.extend(unknown_ignored_rules(file, *line, c));
    }
    let statements = &lexed.statements;
    settle(
        file,
        hits,
        |hit| {
            statements
                .get(hit.statement)
                .map(|s| {
                    s.comments
                        .iter()
                        .filter_map(|(l, c)| parse_ignore(*l, c))
                        .collect()
                })
                .unwrap_or_default()
        },
        cleanup,
        cfg,
        &mut out,
    );
    out
}

/// The `--` comments at the top of the file, before the first statement, with their lines.
fn leading_comments(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim().is_empty() || l.trim_start().starts_with("--"))
        .filter_map(|(n, l)| {
            l.trim_start()
                .strip_prefix("--")
                .map(|c| (n + 1, c.trim().to_string()))
        })
        .collect()
}

/// An `unparsed` finding for each rule a `devenv:ignore` comment names that does not exist.
fn unknown_ignored_rules(file: &str, line: usize, comment: &str) -> Vec<Finding> {
    let Some(ig) = parse_ignore(line, comment) else {
        return Vec::new();
    };
    ig.rules
        .iter()
        .filter(|id| *id != "all" && rules::rule(id).is_none())
        .map(|id| {
            let subject = format!("unknown rule `{id}` in devenv:ignore");
            finding("unparsed", file, line, subject)
        })
        .collect()
}

/// Lint an Alembic revision script (only `upgrade()`).
pub(crate) fn lint_python(file: &str, text: &str, cfg: &LintConfig) -> Vec<Finding> {
    let py = python::lint(text);
    let mut out = Vec::new();
    for (line, message) in &py.unreadable {
        out.push(finding("unparsed", file, *line, message.clone()));
    }
    let comments = &py.comments;
    let cleanup = cleanup_marker(comments);
    settle(
        file,
        py.hits,
        |hit| {
            // Ignores on the call's line, or in the comment lines right above it.
            let mut found = Vec::new();
            let mut line = hit.line;
            loop {
                let here: Vec<&(usize, String)> =
                    comments.iter().filter(|(l, _)| *l == line).collect();
                if here.is_empty() && line != hit.line {
                    break;
                }
                found.extend(here.iter().filter_map(|(l, c)| parse_ignore(*l, c)));
                if line == 1 {
                    break;
                }
                line -= 1;
            }
            found
        },
        cleanup,
        cfg,
        &mut out,
    );
    out
}

/// Lint one file by its extension; other files give nothing.
pub(crate) fn lint_file(
    path: &Path,
    shown: &str,
    cfg: &LintConfig,
) -> Result<Vec<Finding>, MigrateError> {
    if let (Some(after), Some(name)) = (cfg.start_after, path.file_name().and_then(|n| n.to_str()))
        && let Some(version) = name.split('_').next().and_then(|v| v.parse::<u64>().ok())
        && version <= after
    {
        return Ok(Vec::new());
    }
    let text = fs_err::read_to_string(path).map_err(MigrateError::Io)?;
    Ok(match path.extension().and_then(|e| e.to_str()) {
        Some("sql") => lint_sql(shown, &text, cfg),
        Some("py") => lint_python(shown, &text, cfg),
        _ => Vec::new(),
    })
}

/// What `db lint` looks at: the files added since `base` (a git ref), else the named
/// `files` (relative to `root`; each must exist), else everything under `dir`.
pub(crate) fn select(
    base: Option<&str>,
    files: &[PathBuf],
    dir: &Path,
    root: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(base) = base {
        return added_since(base, dir, root);
    }
    if files.is_empty() {
        return Ok(collect(dir)?);
    }
    let mut out = Vec::new();
    for f in files {
        let p = root.join(f);
        if !p.is_file() {
            return Err(
                crate::error::Hinted::user(format!("`{}` is not a file", f.display())).into(),
            );
        }
        out.push(p);
    }
    Ok(out)
}

/// The `.sql` files and Alembic scripts (`.py` with `def upgrade`) under `dir`.
pub(crate) fn collect(dir: &Path) -> Result<Vec<PathBuf>, MigrateError> {
    if !dir.is_dir() {
        return Err(MigrateError::MissingDir {
            path: dir.to_path_buf(),
        });
    }
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("sql" | "py")))
        .filter(|p| !p.components().any(|c| c.as_os_str() == "__pycache__"))
        .collect();
    out.sort();
    Ok(out)
}

/// Lint files in parallel; findings sorted by file and line.
pub(crate) fn lint_paths(
    paths: &[PathBuf],
    root: &Path,
    cfg: &LintConfig,
) -> Result<Report, MigrateError> {
    let results: Vec<Result<Vec<Finding>, MigrateError>> = paths
        .par_iter()
        .map(|p| {
            let shown = p.strip_prefix(root).unwrap_or(p).display().to_string();
            lint_file(p, &shown, cfg)
        })
        .collect();
    let mut report = Report {
        files: paths.len(),
        ..Report::default()
    };
    for r in results {
        report.findings.extend(r?);
    }
    report
        .findings
        .sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    for f in &report.findings {
        match f.severity {
            Severity::Error => report.errors += 1,
            Severity::Style => report.style += 1,
            Severity::Warning => report.warnings += 1,
        }
    }
    Ok(report)
}

/// Migration files under `dir` added since `base` (committed, staged, or untracked).
pub(crate) fn added_since(base: &str, dir: &Path, repo: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let top = git(repo, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top.trim());
    let dir_arg = dir.display().to_string();
    let added = git(
        repo,
        &[
            "diff",
            "--name-only",
            // A new file much like a deleted one is still an added file.
            "--no-renames",
            "--diff-filter=A",
            base,
            "--",
            &dir_arg,
        ],
    )?;
    let untracked = git(
        repo,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "--full-name",
            "--",
            &dir_arg,
        ],
    )?;
    let mut out: Vec<PathBuf> = added
        .lines()
        .chain(untracked.lines())
        .map(|l| PathBuf::from(top.join(l).display().to_string()))
        .filter(|p| {
            matches!(p.extension().and_then(|e| e.to_str()), Some("sql" | "py")) && p.is_file()
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// `git -C repo args…`'s stdout.
fn git(repo: &Path, args: &[&str]) -> anyhow::Result<String> {
    // Unquoted paths, so a file named `2_café.sql` comes back as itself.
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.quotePath=false"])
        .args(args)
        .output()
        .map_err(|e| {
            crate::error::Hinted::internal("cannot run `git`")
                .with_hint("is git installed?")
                .because(e)
        })?;
    if !out.status.success() {
        return Err(crate::error::Hinted::user(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .with_hint(
            "is the base a commit, branch or tag in this repository? (`git fetch` it first in CI)",
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(findings: &[Finding]) -> Vec<(&'static str, usize)> {
        findings.iter().map(|f| (f.rule, f.line)).collect()
    }

    #[test]
    fn the_issue_rules_fire_on_sql() {
        let sql = "ALTER TABLE users DROP COLUMN legacy;\n\
            ALTER TABLE users RENAME COLUMN a TO b;\n\
            ALTER TABLE users RENAME TO people;\n\
            ALTER TABLE users ALTER COLUMN id TYPE bigint;\n\
            ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n\
            ALTER TABLE users ADD COLUMN age int NOT NULL;\n\
            CREATE INDEX users_email ON users (email);\n\
            ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);\n\
            ALTER TABLE orders ADD CONSTRAINT ck CHECK (total > 0);\n\
            ALTER TABLE orders ADD CONSTRAINT uq UNIQUE (code);\n\
            DROP TABLE old_things;\n\
            ALTER TABLE users ADD COLUMN nick text NOT NULL DEFAULT '';\n\
            ALTER TABLE orders ADD CONSTRAINT fk2 FOREIGN KEY (x) REFERENCES y (id) NOT VALID;\n\
            CREATE TABLE fresh (id bigint);\nCREATE INDEX fresh_id ON fresh (id);\n";
        let f = lint_sql("m.sql", sql, &LintConfig::default());
        assert_eq!(
            ids(&f),
            vec![
                ("drop-column", 1),
                ("rename-column", 2),
                ("rename-table", 3),
                ("change-column-type", 4),
                ("set-not-null", 5),
                ("add-required-column", 6),
                ("create-index-non-concurrently", 7),
                ("add-foreign-key-not-valid", 8),
                ("add-check-not-valid", 9),
                ("add-unique-constraint", 10),
                ("drop-table", 11),
            ]
        );
    }

    #[test]
    fn constraints_written_inline_on_a_new_column_are_flagged() {
        let sql = "ALTER TABLE users ADD COLUMN org int REFERENCES orgs(id);\n\
            ALTER TABLE users ADD COLUMN e int UNIQUE;\n\
            ALTER TABLE users ADD COLUMN q int CHECK (q > 0);\n\
            ALTER TABLE users ADD COLUMN check_count int DEFAULT 0;\n";
        assert_eq!(
            ids(&lint_sql("m.sql", sql, &LintConfig::default())),
            vec![
                ("add-foreign-key-not-valid", 1),
                ("add-unique-constraint", 2),
                ("add-check-not-valid", 3)
            ]
        );
    }

    #[test]
    fn cleanup_and_ignores_need_reasons() {
        let sql = "-- devenv:cleanup legacy unused since v42\nALTER TABLE users DROP COLUMN legacy;\nCREATE INDEX i ON users (a);\n";
        assert_eq!(
            ids(&lint_sql("m.sql", sql, &LintConfig::default())),
            vec![("create-index-non-concurrently", 3)]
        );
        let sql = "-- devenv:cleanup\nALTER TABLE users DROP COLUMN legacy;\n";
        assert_eq!(
            ids(&lint_sql("m.sql", sql, &LintConfig::default())),
            vec![("cleanup-without-reason", 1), ("drop-column", 2)]
        );
        let sql = "-- devenv:ignore create-index-non-concurrently table has 10 rows\nCREATE INDEX i ON t (a);\n-- devenv:ignore drop-column\nALTER TABLE t DROP COLUMN b;\n";
        assert_eq!(
            ids(&lint_sql("m.sql", sql, &LintConfig::default())),
            vec![("ignore-without-reason", 3), ("drop-column", 4)]
        );
    }

    #[test]
    fn concurrently_and_transactions() {
        let sql = "CREATE INDEX CONCURRENTLY i ON t (a);\n";
        assert_eq!(
            ids(&lint_sql("m.sql", sql, &LintConfig::default())),
            vec![("concurrently-in-transaction", 1)]
        );
        let sql = "-- devenv:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;\n";
        assert!(lint_sql("m.sql", sql, &LintConfig::default()).is_empty());
        let sql = "BEGIN;\nALTER TABLE t ADD COLUMN c text;\nCOMMIT;\n";
        assert_eq!(
            ids(&lint_sql("m.sql", sql, &LintConfig::default())),
            vec![("transaction-in-file", 1), ("transaction-in-file", 3)]
        );
    }

    #[test]
    fn style_notes_and_unparsable_sql() {
        let sql = "CREATE TABLE t (id serial PRIMARY KEY, doc json, at timestamp, name varchar(20));\nSELECT 'unterminated\n";
        let f = lint_sql("m.sql", sql, &LintConfig::default());
        let sev: Vec<(&str, Severity)> = f.iter().map(|f| (f.rule, f.severity)).collect();
        assert_eq!(
            sev,
            vec![
                ("unparsed", Severity::Warning),
                ("prefer-identity", Severity::Style),
                ("prefer-jsonb", Severity::Style),
                ("prefer-timestamptz", Severity::Style),
                ("prefer-text", Severity::Style),
            ]
        );
    }

    #[test]
    fn nothing_panics_on_odd_sql() {
        for sql in [
            "ALTER TABLE",
            "ALTER TABLE t ADD",
            "ALTER TABLE t ADD CONSTRAINT",
            "CREATE INDEX",
            "DROP TABLE",
            "ALTER TABLE t ALTER",
            "CREATE TABLE t (",
            "CREATE TABLE t ()",
            ")))(((",
            "ALTER TABLE ONLY",
            "DROP TABLE IF EXISTS",
            "ALTER TABLE \"T\".\"x\" RENAME",
            "CREATE UNIQUE INDEX ON",
            "$$",
            "ALTER TABLE t VALIDATE",
        ] {
            let _ = lint_sql("m.sql", sql, &LintConfig::default());
        }
    }

    #[test]
    fn every_rule_is_in_the_docs() {
        let docs = include_str!("../../../../docs/db.md");
        for r in RULES {
            assert!(
                docs.contains(&format!("| `{}` |", r.id)),
                "docs/db.md lacks rule {}",
                r.id
            );
        }
    }

    #[test]
    fn every_rule_has_why_and_a_safe_sequence() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(!r.why.is_empty() && !r.safe.is_empty(), "{}", r.id);
        }
    }
}

//! `devenv db lint [FILE...] [--base REF] [--json]`: exit 1 when anything is flagged, 0 when
//! clean (style notes and warnings don't count), 2 when devenv could not lint.

use std::path::PathBuf;

use crate::error::ExitStatus;
use crate::migrate::lint::{self, Severity};
use crate::settings::Settings;
use crate::ui::{Printer, Style};

use super::DbContext;

#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// Files to lint (default: every `.sql` and Alembic script under the migrations folder).
    pub files: Vec<PathBuf>,
    /// Only the migration files added since this git ref (for pull requests).
    #[arg(long, value_name = "GIT_REF", conflicts_with = "files")]
    pub base: Option<String>,
}

pub(super) async fn run(
    args: LintArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let printer = settings.printer.clone();
    let dir = ctx.dir(&settings);
    let root = settings.project_dir.clone();
    let cfg = settings.config.database.lint.clone();
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<lint::Report> {
        let paths = lint::select(args.base.as_deref(), &args.files, &dir, &root)?;
        Ok(lint::lint_paths(&paths, &root, &cfg)?)
    })
    .await?
    // Anything that stops linting is exit 2, so CI can tell it from findings (exit 1).
    .map_err(|e| e.context(crate::error::Hinted::internal("db lint could not run")))?;

    if printer.json() {
        printer.json_value(&report)?;
    } else {
        print(&report, &printer);
    }
    Ok(if report.errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// `file:line: severity[rule] subject` with why and what to do instead, per finding; then
/// the counts.
fn print(report: &lint::Report, printer: &Printer) {
    for f in &report.findings {
        let (word, style) = match f.severity {
            Severity::Error => ("error", Style::RedBold),
            Severity::Style => ("style", Style::Cyan),
            Severity::Warning => ("warning", Style::YellowBold),
        };
        printer.data(format!(
            "{}:{}: {}[{}] {}",
            f.file,
            f.line,
            printer.out_paint(style, word),
            f.rule,
            f.subject
        ));
        printer.data(format!("    why: {}", f.why));
        printer.data(format!("    instead: {}", f.safe));
    }
    printer.info(format!(
        "{} error(s), {} style note(s), {} warning(s) in {} file(s)",
        report.errors, report.style, report.warnings, report.files
    ));
    if report.errors > 0 {
        printer.note("a finding you have checked can be ignored with `-- devenv:ignore <rule> <reason>` above the statement; drops belong in a migration marked `-- devenv:cleanup <reason>`");
    }
}

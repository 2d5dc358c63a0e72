//! `devenv db status [--json]`: files against the history table.

use crate::error::ExitStatus;
use crate::migrate::status::{self, State, Status};
use crate::settings::Settings;
use crate::ui::{Printer, Style};

use super::DbContext;

#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    /// Exit 1 when anything is pending, changed or missing.
    #[arg(long)]
    pub exit_code: bool,
}

pub(super) async fn run(
    args: StatusArgs,
    ctx: &DbContext,
    settings: Settings,
) -> anyhow::Result<ExitStatus> {
    let printer = &settings.printer;
    let table = settings.config.database.history_table()?;
    let target = ctx.resolve(&settings).await?;
    let status = status::read(&target, ctx.dir(&settings), table, "devenv status").await?;
    let summary = &status.summary;
    if printer.json() {
        printer.json_value(&serde_json::json!({
            "database": target.database(),
            "history_table": table,
            "foreign_history": status.foreign.as_ref().map(|(t, tool)| serde_json::json!({"table": t, "tool": tool})),
            "summary": summary,
            "migrations": status.rows,
        }))?;
    } else {
        if let Some((t, tool)) = &status.foreign {
            printer.warn(format!(
                "this database has `{t}` ({tool}) but no devenv history table `{table}`"
            ));
        }
        print_rows(&status, printer);
        printer.info(format!(
            "{} applied, {} pending, {} changed, {} missing ({})",
            summary.applied, summary.pending, summary.changed, summary.missing, target.label
        ));
        if summary.out_of_order > 0 {
            printer.note("pending* = older than the newest applied migration; `db migrate` refuses it unless `--allow-out-of-order`");
        }
        if summary.changed > 0 {
            printer.note("CHANGED files were edited after they were applied; `db migrate --accept-checksum VERSION` accepts an edit");
        }
    }
    let dirty = summary.pending + summary.changed + summary.missing > 0;
    Ok(if args.exit_code && dirty {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// `state    file  applied_at` per migration, the state coloured.
fn print_rows(status: &Status, printer: &Printer) {
    for r in &status.rows {
        let (word, style) = match r.state {
            State::Applied => ("applied", Style::Green),
            State::Pending if r.out_of_order => ("pending*", Style::Yellow),
            State::Pending => ("pending", Style::Yellow),
            State::Changed => ("CHANGED", Style::RedBold),
            State::Missing => ("MISSING", Style::RedBold),
        };
        let file = r
            .file
            .clone()
            .unwrap_or_else(|| format!("{}_{}.sql", r.version, r.name));
        let when = r.applied_at.as_deref().unwrap_or("");
        let padded = format!("{word:<9}");
        printer.data(format!(
            "{} {file}  {when}",
            printer.out_paint(style, &padded)
        ));
    }
}

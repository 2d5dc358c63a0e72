//! `devenv db status [--json]`: files against the history table.

use crate::error::ExitStatus;
use crate::migrate::files;
use crate::migrate::history::{self, State as HistoryState};
use crate::migrate::status::{self, State};
use crate::settings::Settings;
use crate::ui::Style;

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
    let cfg = &settings.config.database;
    let table = cfg.history_table()?;
    let target = ctx.resolve(&settings).await?;
    let dir = ctx.dir(&settings);
    let files = tokio::task::spawn_blocking(move || files::discover(&dir)).await??;
    let client = target.connect("devenv status").await?;
    let (applied, foreign) = match history::read(&client, table).await? {
        HistoryState::Ours(applied) => (applied, None),
        HistoryState::Missing { foreign } => (Vec::new(), foreign),
    };
    let rows = status::compare(&files, &applied);
    let summary = status::summarize(&rows);
    if printer.json() {
        printer.json_value(&serde_json::json!({
            "database": target.database(),
            "history_table": table,
            "foreign_history": foreign.as_ref().map(|(t, tool)| serde_json::json!({"table": t, "tool": tool})),
            "summary": summary,
            "migrations": rows,
        }))?;
    } else {
        if let Some((t, tool)) = &foreign {
            printer.warn(format!(
                "this database has `{t}` ({tool}) but no devenv history table `{table}`"
            ));
        }
        for r in &rows {
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

//! `devenv logs`: every service's output, one colour and prefix per container, multiplexed.

use crate::docker::ContainerInfo;
use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;
use crate::stack::{LogLine, LogOptions};
use crate::ui::{Printer, palette};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv logs                  everything so far
  devenv logs -f web           follow one service
  devenv logs --tail 20 db     the last 20 lines of the database
  devenv logs --since 10m      the last ten minutes
  devenv logs --json           JSON Lines: {type, container, service, stream, line}")]
pub(crate) struct LogsArgs {
    /// Services to show; default: all but those with `attach: false` (as in compose).
    pub services: Vec<String>,
    /// Keep streaming new output (`-f` after `logs` means this, as in compose).
    #[arg(long)]
    pub follow: bool,
    /// Lines from the end of each log (`all` or a number).
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<String>,
    /// Only output since a time: a unix timestamp, RFC 3339, or a duration like `10m`.
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Prefix each line with its timestamp.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Don't prefix lines with the container name.
    #[arg(long)]
    pub no_log_prefix: bool,
}

fn parse_since(s: &str) -> anyhow::Result<i32> {
    let now = chrono::Utc::now().timestamp();
    if let Ok(ts) = s.parse::<i64>() {
        return Ok(ts as i32);
    }
    if let Ok(d) = humantime::parse_duration(s) {
        return Ok((now - d.as_secs() as i64) as i32);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp() as i32);
    }
    Err(Hinted::user(format!("cannot read `--since {s}`"))
        .with_hint("use a duration (`10m`), a unix timestamp, or RFC 3339")
        .into())
}

pub(crate) async fn run(args: LogsArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let (name, project) = crate::stack::project_name_and_model(&settings)?;
    crate::stack::check_services(project.as_ref(), &args.services)?;
    let opts = LogOptions {
        follow: args.follow,
        tail: args.tail,
        since: args.since.as_deref().map(parse_since).transpose()?,
        timestamps: args.timestamps,
    };
    let engine = crate::docker::Engine::connect().await?;
    let mut containers =
        crate::stack::selected_containers(&engine, &name, None, &args.services).await?;
    // Compose leaves `attach: false` services out until they are named.
    if args.services.is_empty()
        && let Some(p) = &project
    {
        containers.retain(|c| {
            p.services
                .get(&c.service)
                .is_none_or(|s| s.attach != Some(false))
        });
    }
    if containers.is_empty() {
        settings
            .printer
            .info(format!("no containers for project `{name}`"));
        return Ok(ExitStatus::Success);
    }
    let mut lines = crate::stack::log_lines(&engine, &containers, &opts);
    let printer = &settings.printer;
    let print = async {
        while let Some(line) = lines.recv().await {
            // `devenv logs -f | head`: once the reader is gone, stop following.
            if printer.stdout_closed() {
                break;
            }
            print_line(printer, &containers, &line, args.no_log_prefix);
        }
    };
    tokio::select! {
        () = print => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    Ok(ExitStatus::Success)
}

/// A JSON Lines record, the bare line, or the line after its container's coloured name.
fn print_line(printer: &Printer, containers: &[ContainerInfo], line: &LogLine, no_prefix: bool) {
    let c = &containers[line.container];
    if printer.json() {
        let _ = printer.json_line(&serde_json::json!({
            "type": "log",
            "container": c.name,
            "service": c.service,
            "stream": if line.stderr { "stderr" } else { "stdout" },
            "line": line.text,
        }));
    } else if no_prefix {
        printer.data(&line.text);
    } else {
        let width = containers.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let prefix = format!("{:<width$} |", c.name);
        printer.data(format_args!(
            "{} {}",
            printer.out_paint(palette(line.container), &prefix),
            line.text
        ));
    }
}

//! `devenv logs`: every service's output, one colour and prefix per container, multiplexed.

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::error::{ExitStatus, Hinted};
use crate::settings::Settings;
use crate::ui::palette;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  devenv logs                  everything so far
  devenv logs -f web           follow one service
  devenv logs --tail 20 db     the last 20 lines of the database
  devenv logs --since 10m      the last ten minutes
  devenv logs --json           JSON Lines: {type, container, service, stream, line}")]
pub(crate) struct LogsArgs {
    /// Services to show; default: all.
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
    let (name, project) = super::project_name_and_model(&settings)?;
    if let Some(p) = &project {
        for s in &args.services {
            p.service(s)?;
        }
    }
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let engine = crate::docker::Engine::connect().await?;
    let containers: Vec<_> = crate::stack::service_containers(&engine, &name)
        .await?
        .into_iter()
        .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
        .collect();
    if containers.is_empty() {
        settings
            .printer
            .info(format!("no containers for project `{name}`"));
        return Ok(ExitStatus::Success);
    }
    let width = containers.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let (tx, mut rx) = mpsc::channel::<(usize, bool, String)>(1024);
    for (i, c) in containers.iter().enumerate() {
        let mut stream = engine.logs(
            &c.name,
            args.follow,
            args.tail.clone(),
            since,
            args.timestamps,
        );
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut partial = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                partial.push_str(&chunk.text);
                while let Some(pos) = partial.find('\n') {
                    let line: String = partial.drain(..=pos).collect();
                    if tx
                        .send((
                            i,
                            chunk.stderr,
                            line.trim_end_matches(['\n', '\r']).to_string(),
                        ))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            if !partial.is_empty() {
                let _ = tx.send((i, false, partial)).await;
            }
        });
    }
    drop(tx);
    let printer = settings.printer.clone();
    let print = async {
        while let Some((i, stderr, line)) = rx.recv().await {
            // `devenv logs -f | head`: once the reader is gone, stop following.
            if printer.stdout_closed() {
                break;
            }
            if printer.json() {
                let c = &containers[i];
                let _ = printer.json_line(&serde_json::json!({
                    "type": "log",
                    "container": c.name,
                    "service": c.service,
                    "stream": if stderr { "stderr" } else { "stdout" },
                    "line": line,
                }));
            } else if args.no_log_prefix {
                printer.data(line);
            } else {
                let prefix = format!("{:<width$} |", containers[i].name);
                printer.data(format_args!(
                    "{} {line}",
                    printer.out_paint(palette(i), &prefix)
                ));
            }
        }
    };
    tokio::select! {
        _ = print => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    Ok(ExitStatus::Success)
}

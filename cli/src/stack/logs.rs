//! `logs`: every container's output split into lines and multiplexed into one channel, in
//! the order lines arrive.

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::docker::{ContainerInfo, Engine, LogStream};

/// Which part of each log to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogOptions {
    /// Keep streaming new output.
    pub follow: bool,
    /// Lines from the end of each log (`all` or a number).
    pub tail: Option<String>,
    /// A unix timestamp.
    pub since: Option<i32>,
    pub timestamps: bool,
}

/// One line of one container's output.
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    /// Index into the containers given to [`log_lines`].
    pub container: usize,
    pub stderr: bool,
    pub text: String,
}

/// One task per container reads its log; the receiver yields their lines as they come, and
/// ends when every log has.
pub(crate) fn log_lines(
    engine: &Engine,
    containers: &[ContainerInfo],
    opts: &LogOptions,
) -> mpsc::Receiver<LogLine> {
    let (tx, rx) = mpsc::channel::<LogLine>(1024);
    for (i, c) in containers.iter().enumerate() {
        let stream = engine.logs(
            &c.name,
            opts.follow,
            opts.tail.clone(),
            opts.since,
            opts.timestamps,
        );
        tokio::spawn(forward_lines(i, stream, tx.clone()));
    }
    rx
}

/// Split a log's chunks into lines (a line may span chunks); a last line without a newline
/// is sent at the end.
async fn forward_lines(container: usize, mut stream: LogStream, tx: mpsc::Sender<LogLine>) {
    let mut partial = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        partial.push_str(&chunk.text);
        while let Some(pos) = partial.find('\n') {
            let line: String = partial.drain(..=pos).collect();
            let line = LogLine {
                container,
                stderr: chunk.stderr,
                text: line.trim_end_matches(['\n', '\r']).to_string(),
            };
            if tx.send(line).await.is_err() {
                return;
            }
        }
    }
    if !partial.is_empty() {
        let _ = tx
            .send(LogLine {
                container,
                stderr: false,
                text: partial,
            })
            .await;
    }
}

//! Everything the user sees goes through here: one [`Printer`] decides what prints from
//! `-q`, `-v`, `--json`, `--no-progress`, `--color`, `NO_COLOR`, `CI` and whether the streams
//! are terminals. stdout carries data only; status, progress and errors go to stderr.

mod style;

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) use style::{Paint, Style, palette};

use crate::args::{ColorChoice, GlobalArgs};
use crate::env_vars;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

#[derive(Debug)]
struct Inner {
    verbosity: Verbosity,
    json: bool,
    color_stderr: bool,
    color_stdout: bool,
    progress: bool,
    stdout: Mutex<StdoutState>,
}

/// What writing data to stdout has met so far.
#[derive(Debug, Default)]
enum StdoutState {
    #[default]
    Open,
    /// The reader went away (`devenv ps --json | head -1`): not an error; stop writing.
    Closed,
    /// Any other write error: reported once the command ends, with exit 2.
    Failed(std::io::Error),
}

/// Cheap to clone; share it with tasks.
#[derive(Debug, Clone)]
pub(crate) struct Printer(Arc<Inner>);

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

impl Printer {
    pub(crate) fn from_args(args: &GlobalArgs) -> Self {
        let verbosity = if args.quiet {
            Verbosity::Quiet
        } else if args.verbose > 0 {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let colour = |tty: bool| match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !env_set(env_vars::NO_COLOR),
        };
        let stderr_tty = std::io::stderr().is_terminal();
        let progress = !args.no_progress
            && !args.json
            && verbosity != Verbosity::Quiet
            && stderr_tty
            && !env_set(env_vars::CI);
        Self(Arc::new(Inner {
            verbosity,
            json: args.json,
            color_stderr: colour(stderr_tty),
            color_stdout: colour(std::io::stdout().is_terminal()),
            progress,
            stdout: Mutex::new(StdoutState::Open),
        }))
    }

    pub(crate) fn json(&self) -> bool {
        self.0.json
    }
    pub(crate) fn progress_enabled(&self) -> bool {
        self.0.progress
    }

    /// Paint text for stderr.
    pub(crate) fn err_paint<'a>(&self, style: Style, text: &'a str) -> Paint<'a> {
        Paint::new(style, text, self.0.color_stderr)
    }
    /// Paint text for stdout.
    pub(crate) fn out_paint<'a>(&self, style: Style, text: &'a str) -> Paint<'a> {
        Paint::new(style, text, self.0.color_stdout)
    }

    /// A cargo-style status line on stderr: `    Creating network shop_default`.
    pub(crate) fn status(&self, verb: &str, message: impl Display) {
        if self.0.verbosity == Verbosity::Quiet {
            return;
        }
        let verb = format!("{verb:>12}");
        self.eprintln(format_args!(
            "{} {message}",
            self.err_paint(Style::GreenBold, &verb)
        ));
    }

    /// A plain line for people on stderr (suppressed by `-q`).
    pub(crate) fn info(&self, message: impl Display) {
        if self.0.verbosity != Verbosity::Quiet {
            self.eprintln(format_args!("{message}"));
        }
    }

    /// Extra detail shown with `-v`.
    pub(crate) fn detail(&self, message: impl Display) {
        if self.0.verbosity == Verbosity::Verbose {
            self.eprintln(format_args!("{message}"));
        }
    }

    pub(crate) fn warn(&self, message: impl Display) {
        self.eprintln(format_args!(
            "{}: {message}",
            self.err_paint(Style::YellowBold, "warning")
        ));
    }

    pub(crate) fn note(&self, message: impl Display) {
        if self.0.verbosity != Verbosity::Quiet {
            self.eprintln(format_args!(
                "{}: {message}",
                self.err_paint(Style::CyanBold, "note")
            ));
        }
    }

    /// Print an error once: the message, each cause, then any hints.
    pub(crate) fn error(&self, err: &anyhow::Error) {
        let mut out = format!("{}: {err}\n", self.err_paint(Style::RedBold, "error"));
        for cause in err.chain().skip(1) {
            let text = cause.to_string();
            // Some errors repeat their source in their own message; print each text once.
            if !out.contains(&text) {
                out.push_str(&format!("  Caused by: {text}\n"));
            }
        }
        for hint in crate::error::hints_of(err) {
            out.push_str(&format!(
                "\n{}: {hint}\n",
                self.err_paint(Style::CyanBold, "hint")
            ));
        }
        self.eprint(format_args!("{out}"));
    }

    /// One line of data on stdout. A closed pipe ends the data quietly (as ripgrep does);
    /// any other write error is kept for [`Printer::stdout_error`].
    pub(crate) fn data(&self, line: impl Display) {
        let Ok(mut state) = self.0.stdout.lock() else {
            return;
        };
        if !matches!(*state, StdoutState::Open) {
            return;
        }
        let mut out = std::io::stdout().lock();
        if let Err(err) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            *state = if err.kind() == std::io::ErrorKind::BrokenPipe {
                StdoutState::Closed
            } else {
                StdoutState::Failed(err)
            };
        }
    }

    /// True once the reader of stdout has gone away; long streams (`logs -f`) may stop.
    pub(crate) fn stdout_closed(&self) -> bool {
        self.0
            .stdout
            .lock()
            .is_ok_and(|s| matches!(*s, StdoutState::Closed))
    }

    /// The error that writing to stdout met, other than a closed pipe (taken once).
    pub(crate) fn stdout_error(&self) -> Option<std::io::Error> {
        let mut state = self.0.stdout.lock().ok()?;
        match std::mem::take(&mut *state) {
            StdoutState::Failed(err) => Some(err),
            other => {
                *state = other;
                None
            }
        }
    }

    /// A JSON value on stdout, pretty-printed (one document).
    pub(crate) fn json_value(&self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.data(text);
        Ok(())
    }

    /// A JSON Lines record on stdout (for streams).
    pub(crate) fn json_line(&self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        let text = serde_json::to_string(value)?;
        self.data(text);
        Ok(())
    }

    /// A group of progress bars; hidden (draws nothing) when progress is off.
    pub(crate) fn multi_progress(&self) -> MultiProgress {
        if self.0.progress {
            MultiProgress::with_draw_target(ProgressDrawTarget::stderr())
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        }
    }

    /// A byte-counting bar (`len` 0 = unknown); hidden when progress is off.
    pub(crate) fn bytes_bar(&self, len: u64, message: impl Into<String>) -> ProgressBar {
        let bar = if self.0.progress {
            ProgressBar::new(len)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(bytes_style());
        bar.set_message(message.into());
        bar
    }

    /// A spinner with a message; hidden when progress is off.
    pub(crate) fn spinner(&self, message: impl Into<String>) -> ProgressBar {
        let bar = if self.0.progress {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed:.dim}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        if self.0.progress {
            bar.enable_steady_tick(std::time::Duration::from_millis(100));
        }
        bar
    }

    fn eprintln(&self, args: std::fmt::Arguments<'_>) {
        let _ = writeln!(std::io::stderr().lock(), "{args}");
    }
    fn eprint(&self, args: std::fmt::Arguments<'_>) {
        let _ = write!(std::io::stderr().lock(), "{args}");
    }
}

/// The style for byte-counting bars (downloads, pulls, build contexts).
pub(crate) fn bytes_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{msg:24!} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// Diagnostics (`tracing`) on stderr, behind `-v` / `DEVENV_LOG`. Never the user interface.
pub(crate) fn init_tracing(args: &GlobalArgs) {
    let filter = match std::env::var(env_vars::DEVENV_LOG) {
        Ok(f) if !f.is_empty() => f,
        _ if args.verbose >= 2 => "devenv=debug".to_string(),
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

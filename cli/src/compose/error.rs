//! `ComposeError`: everything that can be wrong with a compose project, each with where.

use std::fmt;
use std::path::PathBuf;

use crate::error::{Diagnose, Kind};

/// Where in which file (line and column 1-based, when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub file: PathBuf,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

fn at(location: &Option<Location>) -> String {
    match location {
        Some(l) => format!("{l}: "),
        None => String::new(),
    }
}

/// Errors from loading a compose project. All are the user's to fix.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComposeError {
    /// No compose file in the project folder or above it.
    #[error("no compose file found in `{}` or any parent folder", dir.display())]
    NotFound { dir: PathBuf },
    /// A file named by `-f` or `COMPOSE_FILE` (or `--env-file`, `env_file:`) is missing or unreadable.
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file that is not UTF-8 text; line and column of the first bad byte.
    #[error("`{}` is not UTF-8 text: a byte at line {line}, column {column} is not valid UTF-8", path.display())]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// Malformed YAML; `snippet` is the offending line with a caret under the column.
    #[error("{location}: {message}{snippet}")]
    Syntax {
        location: Location,
        message: String,
        snippet: String,
    },
    /// A key compose does not know (or that is misspelled).
    #[error("{}unknown key `{key}` in {context}", at(location))]
    UnknownKey {
        location: Option<Location>,
        key: String,
        context: String,
        suggestion: Option<String>,
    },
    /// A value of the wrong type or shape.
    #[error("{}{message}", at(location))]
    Invalid {
        location: Option<Location>,
        message: String,
    },
    /// `${VAR:?message}` with VAR unset (or empty), or a malformed `${...}`.
    #[error("{}{message}", at(location))]
    Interpolation {
        location: Option<Location>,
        message: String,
    },
    /// A service name that is not in the project.
    #[error("no such service `{name}`")]
    UnknownService {
        name: String,
        suggestion: Option<String>,
        /// Defined, but only under a profile that is not enabled.
        profiles: Vec<String>,
    },
    /// A `depends_on` cycle, listed in order with the first service repeated at the end.
    #[error("dependency cycle: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
}

impl Diagnose for ComposeError {
    /// The user's to fix, but for a file that exists and cannot be read (permissions, an IO
    /// failure): devenv could not do the work.
    fn kind(&self) -> Kind {
        match self {
            ComposeError::Read { source, .. }
                if !matches!(
                    source.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory
                ) =>
            {
                Kind::Internal
            }
            _ => Kind::User,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ComposeError::NotFound { .. } => Some(
                "create compose.yaml, run devenv in the project folder (or pass -C DIR), or name files with -f"
                    .into(),
            ),
            ComposeError::Read { path, source } => Some(match source.kind() {
                std::io::ErrorKind::NotFound => {
                    "check the path given with -f, COMPOSE_FILE, --env-file or env_file:".into()
                }
                std::io::ErrorKind::IsADirectory => {
                    format!("`{}` is a folder; name the file inside it", path.display())
                }
                std::io::ErrorKind::PermissionDenied => format!(
                    "devenv needs to read it: check its permissions (`ls -l {}`)",
                    path.display()
                ),
                _ => return None,
            }),
            ComposeError::NotUtf8 { .. } => {
                Some("save the file as UTF-8 (compose files are UTF-8 text)".into())
            }
            ComposeError::UnknownKey { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`? (see docs/compose.md for supported keys)"),
                None => "see docs/compose.md for the keys devenv supports".into(),
            }),
            ComposeError::Interpolation { message, .. } if message.starts_with("required") => {
                Some("set the variable in the environment or in `.env` beside compose.yaml".into())
            }
            ComposeError::Interpolation { .. } => {
                Some("write `$$` for a literal `$`; variables are `$VAR` or `${VAR}`".into())
            }
            ComposeError::Syntax { snippet, .. } if snippet.contains('\u{2192}') => {
                Some("YAML does not allow tabs for indentation; indent with spaces".into())
            }
            ComposeError::UnknownService {
                suggestion,
                profiles,
                ..
            } => {
                if !profiles.is_empty() {
                    Some(format!(
                        "it is only enabled with --profile {} (or COMPOSE_PROFILES)",
                        profiles.join(" / --profile ")
                    ))
                } else {
                    suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
                }
            }
            ComposeError::Cycle { .. } => {
                Some("remove one of the `depends_on` entries in the cycle".into())
            }
            ComposeError::Syntax { .. } | ComposeError::Invalid { .. } => None,
        }
    }
}

impl ComposeError {
    pub(crate) fn invalid(location: Option<Location>, message: impl Into<String>) -> Self {
        ComposeError::Invalid {
            location,
            message: message.into(),
        }
    }
}

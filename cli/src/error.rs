//! Exit codes and the one place errors are classified.
//!
//! Exit codes: 0 ok, 1 the user's input was wrong or a check failed, 2 devenv could not do
//! the work (engine unreachable, IO failure, a bug); a wrapped process's code passes through.
//!
//! Domain errors implement [`Diagnose`] to say whether they are the user's to fix and what
//! hint to print; `exit_code_for` and the printer walk the `anyhow` chain to find them.

use std::process::ExitCode;

/// What a command returns when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success,
    /// A check failed (drift found, lint findings, a failing doctor check): exit 1.
    Failure,
    /// devenv could not do the work (a check could not run, the engine failed): exit 2.
    Error,
    /// A wrapped process's own exit code (`exec`, `db shell`, command migrations).
    External(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
            ExitStatus::External(code) => ExitCode::from(code),
        }
    }
}

/// Whose fault an error is, which picks the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Bad input or a failed check: exit 1.
    User,
    /// devenv could not do the work: exit 2.
    Internal,
}

/// Implemented by every domain error that meets the outside world.
pub(crate) trait Diagnose {
    /// Whose fault this is.
    fn kind(&self) -> Kind {
        Kind::Internal
    }
    /// What to try, when the fix is knowable.
    fn hint(&self) -> Option<String> {
        None
    }
}

/// An ad-hoc error with a kind and a hint, for places that have no enum of their own.
/// Use as the error itself: `.map_err(|e| Hinted::internal("…").with_hint("…").because(e))?`
/// (then the cause is printed as `Caused by:`), or as `anyhow` context.
#[derive(Debug)]
pub(crate) struct Hinted {
    pub message: String,
    pub hint: Option<String>,
    pub kind: Kind,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Hinted {
    pub(crate) fn user(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            kind: Kind::User,
            source: None,
        }
    }
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            kind: Kind::Internal,
            source: None,
        }
    }
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Record the underlying error, printed as `Caused by:`.
    pub(crate) fn because(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Diagnose for Hinted {
    fn kind(&self) -> Kind {
        self.kind
    }
    fn hint(&self) -> Option<String> {
        self.hint.clone()
    }
}

/// Declares the crate's error types that implement [`Diagnose`] and generates `diagnose`,
/// which finds them in an `anyhow` chain. A type listed here must implement `Diagnose` (or
/// this does not compile), and the test `every_error_type_is_classified` fails when a
/// `thiserror` type of the crate is missing from the list, so none is silently "internal".
macro_rules! domain_errors {
    ($($ty:path),* $(,)?) => {
        /// The names of the types `diagnose` knows, for the test.
        #[cfg(test)]
        const DOMAIN_ERRORS: &[&str] = &[$(stringify!($ty)),*];

        /// The [`Diagnose`] view of one error in a chain, if its type is one we know.
        fn diagnose<'a>(
            err: &'a (dyn std::error::Error + 'static),
        ) -> Option<&'a dyn Diagnose> {
            $(
                if let Some(e) = err.downcast_ref::<$ty>() {
                    return Some(e);
                }
            )*
            None
        }
    };
}

domain_errors!(
    Hinted,
    crate::compose::ComposeError,
    crate::docker::DockerError,
    crate::assets::VendorError,
    crate::migrate::MigrateError,
);

/// The first classification found walking the chain from the outside in; internal otherwise.
pub(crate) fn kind_of(err: &anyhow::Error) -> Kind {
    if let Some(h) = err.downcast_ref::<Hinted>() {
        return h.kind;
    }
    err.chain()
        .find_map(diagnose)
        .map_or(Kind::Internal, Diagnose::kind)
}

/// Every hint in the chain, outermost first, without repeats.
pub(crate) fn hints_of(err: &anyhow::Error) -> Vec<String> {
    let mut hints: Vec<String> = Vec::new();
    // `anyhow` context values are not in `chain()` as themselves; look at the outermost one.
    if let Some(hint) = err.downcast_ref::<Hinted>().and_then(|h| h.hint.clone()) {
        hints.push(hint);
    }
    for hint in err.chain().filter_map(diagnose).filter_map(Diagnose::hint) {
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    hints
}

/// The exit code for an error that ended a command.
pub(crate) fn exit_code_for(err: &anyhow::Error) -> ExitStatus {
    match kind_of(err) {
        Kind::User => ExitStatus::Failure,
        Kind::Internal => ExitStatus::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_exit_1_and_others_exit_2() {
        let user = anyhow::Error::new(Hinted::user("bad key")).context("loading compose.yaml");
        assert_eq!(exit_code_for(&user), ExitStatus::Failure);
        let io = anyhow::anyhow!("disk on fire");
        assert_eq!(exit_code_for(&io), ExitStatus::Error);
    }

    /// Every error type the crate derives with `thiserror` is in `domain_errors!`, so a new
    /// one cannot be classified "internal" by omission.
    #[test]
    fn every_error_type_is_classified() {
        let derive = regex::Regex::new(
            r"#\[derive\([^)]*\b(?:thiserror::)?Error\b[^)]*\)\]\s*(?:#\[[^\]]*\]\s*)*pub(?:\([^)]*\))?\s+(?:enum|struct)\s+(\w+)",
        )
        .expect("regex");
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        for entry in walkdir::WalkDir::new(&src) {
            let entry = entry.expect("walk src");
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).expect("read source");
            for cap in derive.captures_iter(&text) {
                let name = &cap[1];
                let listed = DOMAIN_ERRORS
                    .iter()
                    .any(|t| t.rsplit("::").next().map(str::trim) == Some(name));
                if !listed {
                    missing.push(format!("{name} ({})", entry.path().display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "error types not in `domain_errors!` (implement `Diagnose` and list them): {missing:?}"
        );
    }

    #[test]
    fn hints_are_collected_once_outermost_first() {
        let inner = Hinted::internal("no engine").with_hint("is the Docker daemon running?");
        let err = anyhow::Error::new(inner)
            .context(Hinted::internal("failed to list containers").with_hint("try `docker info`"));
        assert_eq!(
            hints_of(&err),
            vec!["try `docker info`", "is the Docker daemon running?"]
        );
    }
}

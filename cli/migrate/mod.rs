//! PostgreSQL migrations: plan, apply under an advisory lock, history, lint.

use crate::error::{Diagnose, Kind};

/// Errors from this module (to be filled in).
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Invalid(String),
}

impl Diagnose for MigrateError {
    fn kind(&self) -> Kind {
        Kind::User
    }
}

/// The `database:` section of devenv.yaml.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DbConfig {}

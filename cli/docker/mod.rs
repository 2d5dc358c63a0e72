//! The only code that touches bollard: one facade over the Docker Engine API.

use crate::error::{Diagnose, Kind};

/// Errors from this module (to be filled in).
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("{0}")]
    Invalid(String),
}

impl Diagnose for DockerError {
    fn kind(&self) -> Kind {
        Kind::Internal
    }
}

//! The compose model: discover, parse, interpolate, merge, validate. Pure: no engine calls.

use crate::error::{Diagnose, Kind};

/// Errors from this module (to be filled in).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{0}")]
    Invalid(String),
}

impl Diagnose for ComposeError {
    fn kind(&self) -> Kind {
        Kind::User
    }
}

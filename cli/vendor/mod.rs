//! Vendored JS/CSS assets: fetch, mirrors, scan. Format and hashing live in the vendor-manifest crate.

use crate::error::{Diagnose, Kind};

/// Errors from this module (to be filled in).
#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    #[error("{0}")]
    Invalid(String),
}

impl Diagnose for VendorError {
    fn kind(&self) -> Kind {
        Kind::User
    }
}

/// The `vendor:` section of devenv.yaml.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct VendorConfig {}

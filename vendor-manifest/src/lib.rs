//! devenv's vendored-asset format: the manifest people edit (`vendor.yaml`), the lock the tool
//! writes (`vendor.lock`), hashing (sha256 hex and SRI), path safety and offline verification.
//!
//! This crate owns the *format* and the *checks*. It never touches the network and has no
//! CLI: fetching, mirrors, progress and the `devenv vendor` commands live in the `devenv`
//! crate (`cli/src/assets/`), which uses this one.
//!
//! - [`manifest`]: `vendor.yaml`, its entries and their digests.
//! - [`lock`]: `vendor.lock` (JSON, stable key order, no timestamps).
//! - [`hash`]: streaming sha256/sha384/sha512, SRI strings, expected-hash checks.
//! - [`source`]: versioned CDN URLs (jsDelivr, unpkg, cdnjs) as package + version + path.
//! - [`paths`]: destination checks (`..`, absolute paths, symlinks out of the project).
//! - [`verify`]: the disk against the lock, and the lock against the manifest, in parallel.

pub mod hash;
pub mod lock;
pub mod manifest;
pub mod paths;
pub mod source;
pub mod verify;

pub use hash::{Digests, Expected, HashError};
pub use lock::{Lock, LockError, LockedAsset};
pub use manifest::{Entry, Manifest, ManifestError};
pub use paths::PathError;
pub use source::PackageRef;
pub use verify::{FileCheck, FileStatus, ManifestStatus};

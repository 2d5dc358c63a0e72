//! The manifest and lock on disk: loading, atomic writes (temp file in the same folder,
//! fsync, rename, fsync the folder), and the busy lock that keeps two `devenv vendor`
//! commands from writing at once.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use vendor_manifest::hash::sha256_hex;
use vendor_manifest::verify::manifest_status;
use vendor_manifest::{Lock, Manifest};

use super::VendorError;
use super::config::Options;

/// The manifest as read: parsed, plus the sha256 of its bytes.
pub(crate) struct LoadedManifest {
    pub manifest: Manifest,
    pub sha256: String,
}

/// `Ok(None)` when the file does not exist.
pub(crate) fn load_manifest(opts: &Options) -> anyhow::Result<Option<LoadedManifest>> {
    let path = &opts.manifest_path;
    let bytes = match fs_err::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| VendorError::Invalid(format!("{} is not UTF-8 text", path.display())))?;
    let manifest = Manifest::parse(&text, &shown(opts, path)).map_err(VendorError::Manifest)?;
    Ok(Some(LoadedManifest {
        manifest,
        sha256: sha256_hex(text.as_bytes()),
    }))
}

/// The manifest's bytes and their sha256, without parsing (`Ok(None)` when absent).
pub(crate) fn manifest_bytes(opts: &Options) -> anyhow::Result<Option<(Vec<u8>, String)>> {
    match fs_err::read(&opts.manifest_path) {
        Ok(b) => {
            let sha = sha256_hex(&b);
            Ok(Some((b, sha)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The manifest, or an error saying how to create one.
pub(crate) fn require_manifest(opts: &Options) -> anyhow::Result<LoadedManifest> {
    load_manifest(opts)?.ok_or_else(|| {
        VendorError::NoManifest {
            path: shown(opts, &opts.manifest_path).display().to_string(),
        }
        .into()
    })
}

/// `Ok(None)` when the file does not exist.
pub(crate) fn load_lock(opts: &Options) -> anyhow::Result<Option<Lock>> {
    let path = &opts.lock_path;
    let text = match fs_err::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(
        Lock::parse(&text, &shown(opts, path)).map_err(VendorError::Lock)?,
    ))
}

/// A path relative to the project folder, for messages.
pub(crate) fn shown(opts: &Options, path: &Path) -> PathBuf {
    path.strip_prefix(&opts.project_dir)
        .unwrap_or(path)
        .to_path_buf()
}

/// Write a file atomically: temp file beside it, fsync, rename, fsync the folder.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.devenv-tmp-"))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    readable(tmp.as_file());
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    sync_dir(dir);
    Ok(())
}

/// Temp files are created 0600; vendored files, manifest and lock are ordinary repository
/// files, so make them 0644 like any file a user would create.
pub(crate) fn readable(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// fsync a folder so a rename in it survives a crash (best effort; not all systems allow it).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Write the manifest and then the lock (last). The lock's `manifest_sha256` is set only when
/// every manifest entry is locked, so a lock written by `add` never hides other edits.
pub(crate) fn save(
    opts: &Options,
    manifest: &Manifest,
    lock: &mut Lock,
    write_manifest: bool,
) -> anyhow::Result<()> {
    let text = manifest.to_yaml();
    let written_text = if write_manifest {
        write_atomic(&opts.manifest_path, text.as_bytes())?;
        text
    } else {
        fs_err::read_to_string(&opts.manifest_path)?
    };
    let sha = sha256_hex(written_text.as_bytes());
    lock.manifest_sha256 = String::new();
    lock.manifest_sha256 = if manifest_status(manifest, &sha, lock).is_current() {
        sha
    } else {
        String::new()
    };
    write_atomic(&opts.lock_path, lock.to_json().as_bytes())
}

/// Held while a vendor command may write; released (and the file removed) on drop.
#[derive(Debug)]
pub(crate) struct BusyLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl BusyLock {
    pub(crate) fn path_for(opts: &Options) -> PathBuf {
        opts.lock_path
            .parent()
            .unwrap_or(&opts.project_dir)
            .join(".devenv-vendor.busy")
    }

    /// Take the lock without waiting: a second command fails at once with [`VendorError::Busy`].
    pub(crate) fn acquire(opts: &Options) -> anyhow::Result<Self> {
        let path = Self::path_for(opts);
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir)?;
        }
        // Loop: the holder removes the file on release, so the file we locked may already be
        // unlinked; then try again on the new one.
        for _ in 0..20 {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            if !try_lock(&file)? {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .map(|pid| format!(" (pid {pid})"))
                    .unwrap_or_default();
                return Err(VendorError::Busy {
                    path: shown(opts, &path).display().to_string(),
                    holder,
                }
                .into());
            }
            if same_file(&file, &path) {
                let _ = file.set_len(0);
                let _ = (&file).write_all(std::process::id().to_string().as_bytes());
                return Ok(Self { path, _file: file });
            }
        }
        anyhow::bail!("could not take the lock {}", path.display())
    }
}

impl Drop for BusyLock {
    fn drop(&mut self) {
        // Unlink while still holding the lock; closing the file then releases it.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> anyhow::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a valid, open descriptor owned by `file`.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(anyhow::Error::new(err).context("cannot lock the vendor busy file"))
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> anyhow::Result<bool> {
    Ok(true)
}

#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

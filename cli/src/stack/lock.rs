//! One `up`/`down` at a time per project: an advisory file lock that names its holder.

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::ui::Printer;

/// Held for the life of the value; the kernel releases it if the process dies.
#[derive(Debug)]
pub(crate) struct ProjectLock {
    file: std::fs::File,
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        // Forget the holder's name so a later waiter never reads a stale one.
        let _ = self.file.set_len(0);
    }
}

fn lock_dir() -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    base.join("devenv-locks")
}

fn try_flock(file: &std::fs::File, block: bool) -> bool {
    let flags = libc::LOCK_EX | if block { 0 } else { libc::LOCK_NB };
    // SAFETY: flock on a descriptor we own.
    unsafe { libc::flock(file.as_raw_fd(), flags) == 0 }
}

impl ProjectLock {
    /// Take the project's lock, waiting (and saying who holds it) when another run has it.
    pub(crate) async fn acquire(
        project: &str,
        verb: &str,
        printer: &Printer,
    ) -> anyhow::Result<Self> {
        let dir = lock_dir();
        fs_err::create_dir_all(&dir)?;
        let path = dir.join(format!("{project}.lock"));
        let mut file = fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?
            .into_parts()
            .0;
        if !try_flock(&file, false) {
            // The holder writes its name right after taking the lock; give it a moment.
            let mut holder = String::new();
            for _ in 0..25 {
                holder.clear();
                let _ = file.rewind();
                let _ = file.read_to_string(&mut holder);
                if !holder.trim().is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let holder = holder.trim();
            printer.status(
                "Waiting",
                format!(
                    "for another devenv run on project `{project}` to finish ({})",
                    if holder.is_empty() {
                        "holder unknown".to_string()
                    } else {
                        holder.to_string()
                    }
                ),
            );
            file = tokio::task::spawn_blocking(move || {
                try_flock(&file, true);
                file
            })
            .await?;
        }
        file.set_len(0)?;
        file.rewind()?;
        let _ = write!(file, "`devenv {verb}`, pid {}", std::process::id());
        let _ = file.flush();
        Ok(Self { file })
    }
}

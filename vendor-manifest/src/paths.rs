//! Destination safety. A destination is a relative path with `/` separators that must stay
//! inside the project: no absolute paths or drive letters, no `..`, no control characters,
//! and no symlink on the way that leads out of the project (checked against the disk).

use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    #[error("destination is empty")]
    Empty,
    #[error("destination `{0}` is absolute; give a path relative to the project folder")]
    Absolute(String),
    #[error("destination `{0}` leaves the project folder (`..`)")]
    ParentDir(String),
    #[error("destination `{0}` contains a backslash or a control character")]
    BadChar(String),
    #[error("destination `{0}` names a folder, not a file")]
    NotAFile(String),
    #[error(
        "destination `{dest}` goes through the symlink `{link}`, which points outside the project"
    )]
    SymlinkEscape { dest: String, link: String },
    #[error("destination `{dest}` is a symlink; vendored files must be regular files")]
    IsSymlink { dest: String },
}

/// Lexical checks that need no disk.
pub fn check_relative(dest: &str) -> Result<(), PathError> {
    if dest.is_empty() {
        return Err(PathError::Empty);
    }
    if dest.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(PathError::BadChar(dest.to_string()));
    }
    let bytes = dest.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if dest.starts_with('/') || drive {
        return Err(PathError::Absolute(dest.to_string()));
    }
    if dest.ends_with('/') {
        return Err(PathError::NotAFile(dest.to_string()));
    }
    for part in dest.split('/') {
        if part == ".." {
            return Err(PathError::ParentDir(dest.to_string()));
        }
        if part.is_empty() || part == "." {
            return Err(PathError::NotAFile(dest.to_string()));
        }
    }
    Ok(())
}

/// The absolute path of `dest` under `root`, after checking every existing component on
/// disk: a symlinked folder must resolve inside `root`, and the file itself may not be a
/// symlink. `root` should be canonical.
pub fn resolve_inside(root: &Path, dest: &str) -> Result<PathBuf, PathError> {
    check_relative(dest)?;
    let target = root.join(dest);
    let mut walked = root.to_path_buf();
    let parts: Vec<Component<'_>> = Path::new(dest).components().collect();
    for (i, part) in parts.iter().enumerate() {
        walked.push(part);
        let Ok(meta) = walked.symlink_metadata() else {
            break; // Nothing further exists yet: it will be created as plain folders.
        };
        if !meta.file_type().is_symlink() {
            continue;
        }
        if i + 1 == parts.len() {
            return Err(PathError::IsSymlink {
                dest: dest.to_string(),
            });
        }
        // Canonicalised only here: the common case (no symlinks) costs one lstat per part.
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let inside = walked
            .canonicalize()
            .is_ok_and(|real| real.starts_with(&canonical_root));
        if !inside {
            return Err(PathError::SymlinkEscape {
                dest: dest.to_string(),
                link: walked
                    .strip_prefix(root)
                    .unwrap_or(&walked)
                    .display()
                    .to_string(),
            });
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_rules() {
        assert!(check_relative("static/vendor/htmx.min.js").is_ok());
        assert_eq!(
            check_relative("../x.js"),
            Err(PathError::ParentDir("../x.js".into()))
        );
        assert!(matches!(
            check_relative("a/../../x.js"),
            Err(PathError::ParentDir(_))
        ));
        assert!(matches!(
            check_relative("/etc/x"),
            Err(PathError::Absolute(_))
        ));
        assert!(matches!(
            check_relative("C:/x"),
            Err(PathError::Absolute(_))
        ));
        assert!(matches!(check_relative("a\\b"), Err(PathError::BadChar(_))));
        assert!(matches!(
            check_relative("a//b"),
            Err(PathError::NotAFile(_))
        ));
        assert!(matches!(check_relative("a/"), Err(PathError::NotAFile(_))));
        assert_eq!(check_relative(""), Err(PathError::Empty));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let root_path = root.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(outside.path(), root_path.join("out")).unwrap();
        std::fs::create_dir(root_path.join("real")).unwrap();
        std::os::unix::fs::symlink(root_path.join("real"), root_path.join("inside")).unwrap();
        assert!(matches!(
            resolve_inside(&root_path, "out/x.js"),
            Err(PathError::SymlinkEscape { .. })
        ));
        assert!(resolve_inside(&root_path, "inside/x.js").is_ok());
        assert!(resolve_inside(&root_path, "new/dir/x.js").is_ok());
        std::os::unix::fs::symlink("/etc/passwd", root_path.join("real/f.js")).unwrap();
        assert!(matches!(
            resolve_inside(&root_path, "real/f.js"),
            Err(PathError::IsSymlink { .. })
        ));
    }
}

//! Reading the project's text files (compose files, `.env` and env files, `extends` files):
//! UTF-8 or a clear error with the line and column of the first bad byte; a folder or a
//! missing file says which.

use std::path::Path;

use super::error::ComposeError;

/// The file's text, or an error that names the path and what is wrong with it.
pub(super) fn read(path: &Path) -> Result<String, ComposeError> {
    let read_err = |source| ComposeError::Read {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(read_err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a folder, not a file",
        )));
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let bad = err.utf8_error().valid_up_to();
        let (line, column) = line_and_column(&bytes[..bad]);
        ComposeError::NotUtf8 {
            path: path.to_path_buf(),
            line,
            column,
        }
    })
}

/// 1-based line and column (in characters) just past `before`, which is valid UTF-8.
pub(super) fn line_and_column(before: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(before);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_and_folders_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, b"services:\n  web:\n    image: \"\xff\"\n").unwrap();
        match read(&file) {
            Err(ComposeError::NotUtf8 { line, column, .. }) => assert_eq!((line, column), (3, 13)),
            other => panic!("{other:?}"),
        }
        match read(dir.path()) {
            Err(ComposeError::Read { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::IsADirectory);
            }
            other => panic!("{other:?}"),
        }
    }
}

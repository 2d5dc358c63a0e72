//! The build context sent to the engine: the context folder as a tar, honouring
//! `.dockerignore` as docker does.

use std::path::Path;

/// The build context as an uncompressed tar, honouring `.dockerignore` (the Dockerfile and
/// `.dockerignore` themselves are always sent, as docker does).
pub(super) fn context_tar(context: &Path, dockerfile: &str) -> std::io::Result<Vec<u8>> {
    let ignore = dockerignore(context)?;
    let dockerfile = Path::new(dockerfile.trim_start_matches("./"));
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let walker = walkdir::WalkDir::new(context)
        .follow_links(false)
        .sort_by_file_name();
    let mut it = walker.into_iter();
    while let Some(entry) = it.next() {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = match entry.path().strip_prefix(context) {
            Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
            _ => continue,
        };
        let is_dir = entry.file_type().is_dir();
        let keep = rel == dockerfile || rel == Path::new(".dockerignore");
        if !keep && ignore.matched_path_or_any_parents(&rel, is_dir).is_ignore() {
            // An excluded folder may still hold a re-included file (`!`) or the Dockerfile,
            // which is always sent; only skip the walk below it when neither can be there.
            if is_dir && ignore.num_whitelists() == 0 && !dockerfile.starts_with(&rel) {
                it.skip_current_dir();
            }
            continue;
        }
        builder.append_path_with_name(entry.path(), &rel)?;
    }
    builder.into_inner()
}

fn dockerignore(context: &Path) -> std::io::Result<ignore::gitignore::Gitignore> {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(context);
    let path = context.join(".dockerignore");
    if let Ok(text) = fs_err::read_to_string(&path) {
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // .dockerignore patterns are anchored at the context root; gitignore's are not
            // unless they start with `/`.
            let (neg, pat) = match line.strip_prefix('!') {
                Some(p) => ("!", p.trim()),
                None => ("", line),
            };
            let pat = pat.trim_start_matches("./").trim_start_matches('/');
            let anchored = if pat.starts_with("**") {
                pat.to_string()
            } else {
                format!("/{pat}")
            };
            builder
                .add_line(None, &format!("{neg}{anchored}"))
                .map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
        }
    }
    builder.build().map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_is_anchored_and_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(
            d.join(".dockerignore"),
            "secret.txt\nnode_modules\nDockerfile\n*.log\n!keep.log\n",
        )
        .unwrap();
        std::fs::write(d.join("secret.txt"), "x").unwrap();
        std::fs::write(d.join("a.log"), "x").unwrap();
        std::fs::write(d.join("keep.log"), "x").unwrap();
        std::fs::create_dir_all(d.join("node_modules/x")).unwrap();
        std::fs::write(d.join("node_modules/x/i.js"), "x").unwrap();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/secret.txt"), "x").unwrap();
        let tar = context_tar(d, "Dockerfile").unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "keep.log",
                "sub",
                "sub/secret.txt"
            ]
        );
    }

    #[test]
    fn a_dockerfile_in_an_ignored_folder_is_still_sent() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("docker")).unwrap();
        std::fs::write(d.join("docker/Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(d.join("docker/other"), "x").unwrap();
        std::fs::write(d.join(".dockerignore"), "docker\n").unwrap();
        let tar = context_tar(d, "./docker/Dockerfile").unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert!(
            names.contains(&"docker/Dockerfile".to_string()),
            "{names:?}"
        );
        assert!(!names.contains(&"docker/other".to_string()), "{names:?}");
    }
}

//! `devenv init`'s templates: embedded in the binary (no network), rendered by replacing
//! `__PROJECT_NAME__`, written without overwriting anything unless forced.

use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use crate::error::Hinted;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../templates");

/// The template `init` uses when none is named.
pub(crate) const DEFAULT_TEMPLATE: &str = "flask-postgres";

/// Names of the embedded templates.
pub(crate) fn template_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = TEMPLATES
        .dirs()
        .filter_map(|d| d.path().file_name().and_then(|n| n.to_str()))
        .collect();
    names.sort();
    names
}

#[derive(Debug, Clone)]
pub(crate) struct InitOptions {
    pub dir: PathBuf,
    pub template: String,
    /// Project name; default: the folder's name, normalised like compose.
    pub name: Option<String>,
    pub force: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct InitReport {
    pub dir: PathBuf,
    pub template: String,
    pub name: String,
    pub files: Vec<PathBuf>,
}

/// A compose-safe project name from a folder name: lowercase `[a-z0-9_-]`, starting with a
/// letter or digit.
pub(crate) fn normalise_name(raw: &str) -> String {
    let s: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let s = s.trim_start_matches(['-', '_']).to_string();
    if s.is_empty() { "app".to_string() } else { s }
}

fn files<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => files(d, out),
            DirEntry::File(f) => out.push(f),
        }
    }
}

/// Write the template into `opts.dir`.
pub(crate) fn init(opts: &InitOptions) -> anyhow::Result<InitReport> {
    let known = template_names().contains(&opts.template.as_str());
    let Some(template) = TEMPLATES.get_dir(&opts.template).filter(|_| known) else {
        let names = template_names();
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let hint = match names
            .iter()
            .find(|n| strsim::jaro_winkler(n, &opts.template) > 0.8)
        {
            Some(best) => format!("did you mean `{best}`? templates: {list}"),
            None => format!("templates: {list}"),
        };
        return Err(
            Hinted::user(format!("there is no template named `{}`", opts.template))
                .with_hint(hint)
                .into(),
        );
    };
    let dir = &opts.dir;
    let folder_name = std::fs::canonicalize(dir)
        .ok()
        .or_else(|| Some(dir.clone()))
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".into());
    let name = normalise_name(opts.name.as_deref().unwrap_or(&folder_name));

    let mut all = Vec::new();
    files(template, &mut all);
    let rel = |f: &include_dir::File<'_>| -> PathBuf {
        f.path()
            .strip_prefix(template.path())
            .map_or_else(|_| f.path().to_path_buf(), Path::to_path_buf)
    };
    if !opts.force {
        let conflicts: Vec<String> = all
            .iter()
            .map(|f| rel(f))
            .filter(|r| dir.join(r).exists())
            .map(|r| r.display().to_string())
            .collect();
        if !conflicts.is_empty() {
            return Err(Hinted::user(format!(
                "`{}` already has files the template would overwrite:\n{}",
                dir.display(),
                conflicts
                    .iter()
                    .map(|c| format!("  {c}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
            .with_hint("pick an empty folder, or pass `--force` to overwrite them")
            .into());
        }
    }
    let mut written = Vec::new();
    for f in all {
        let r = rel(f);
        let path = dir.join(&r);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(|e| unwritable(dir, e))?;
        }
        let contents: Vec<u8> = match f.contents_utf8() {
            Some(text) => text.replace("__PROJECT_NAME__", &name).into_bytes(),
            None => f.contents().to_vec(),
        };
        fs_err::write(&path, contents).map_err(|e| unwritable(dir, e))?;
        written.push(r);
    }
    Ok(InitReport {
        dir: dir.clone(),
        template: opts.template.clone(),
        name,
        files: written,
    })
}

fn unwritable(dir: &Path, err: std::io::Error) -> anyhow::Error {
    Hinted::user(format!(
        "cannot write the template into `{}`",
        dir.display()
    ))
    .with_hint("check the folder's permissions, or pick another folder")
    .because(err)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_is_embedded() {
        assert!(template_names().contains(&DEFAULT_TEMPLATE));
    }

    #[test]
    fn names_are_normalised_like_compose() {
        assert_eq!(normalise_name("My Shop!"), "myshop");
        assert_eq!(normalise_name("_x-1"), "x-1");
        assert_eq!(normalise_name("!!!"), "app");
    }
}

//! Secrets and configs (the model's `FileObject`s) that are not files (`environment:` secrets,
//! `content:` configs): written under a per-project state folder so they can be bind-mounted
//! like file-based ones.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::compose::Project;
use crate::error::Hinted;

/// Where a project's generated secret and config files live.
fn state_dir(project: &str) -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    base.join("devenv-state").join(project)
}

/// A copy of the project whose `environment:`/`content:` secrets and configs point at files,
/// or `None` when it has none.
pub(super) fn materialize(project: &Project) -> anyhow::Result<Option<Project>> {
    let needs = |o: &crate::compose::FileObject| {
        o.file.is_none() && (o.environment.is_some() || o.content.is_some())
    };
    if !project
        .secrets
        .values()
        .chain(project.configs.values())
        .any(needs)
    {
        return Ok(None);
    }
    let mut out = project.clone();
    for (kind, objects) in [("secrets", &mut out.secrets), ("configs", &mut out.configs)] {
        for (name, obj) in objects.iter_mut() {
            if !needs(obj) {
                continue;
            }
            let value = match (&obj.content, &obj.environment) {
                (Some(content), _) => content.clone(),
                (None, Some(var)) => std::env::var(var).map_err(|_| {
                    Hinted::user(format!("{kind} `{name}` comes from the environment variable `{var}`, which is not set"))
                        .with_hint(format!("set `{var}` (or put it in `.env`), or give `{name}` a `file:`"))
                })?,
                (None, None) => continue,
            };
            let dir = state_dir(&project.name).join(kind);
            fs_err::create_dir_all(&dir)?;
            let path = dir.join(name);
            let tmp = dir.join(format!(".{name}.tmp"));
            {
                let mut f = fs_err::File::create(&tmp)?;
                f.write_all(value.as_bytes())?;
                f.sync_all()?;
            }
            // Readable by the container's user, whoever that is; these are development stand-ins.
            fs_err::set_permissions(&tmp, std::fs::Permissions::from_mode(0o444))?;
            fs_err::rename(&tmp, &path)?;
            obj.file = Some(path);
        }
    }
    Ok(Some(out))
}

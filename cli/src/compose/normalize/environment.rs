//! A service's `environment` and `env_file`: the entries as written (what compose's
//! `config --hash` hashes) and the merged result containers get (the files' contents first,
//! `environment` wins, a bare `KEY` takes the variable's value or stays unset).

use indexmap::IndexMap;
use serde_yaml_ng::Value;

use super::{Ctx, Result};
use crate::compose::dotenv;
use crate::compose::model::{EnvFileRef, Service};

type Vars = IndexMap<String, Option<String>>;

/// What one service declared, resolved once every key is read.
#[derive(Default)]
pub(super) struct Environment {
    /// Each `env_file:` entry, with its contents when it exists.
    pub files: Vec<(EnvFileRef, Option<Vars>)>,
    pub environment: Vars,
}

impl Environment {
    /// Fill in the service's `environment`, `declared_environment` and `env_file`.
    pub(super) fn resolve_into(self, ctx: &Ctx<'_>, s: &mut Service) {
        // Bare keys take the project's variables; unset ones stay `None` (compose's null).
        let mut declared = self.environment;
        for (key, value) in &mut declared {
            if value.is_none() {
                *value = ctx.env.get(key).cloned();
            }
        }
        let mut merged: Vars = IndexMap::new();
        for (_, contents) in &self.files {
            merged.extend(
                contents
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        for (key, value) in &mut merged {
            if value.is_none() {
                *value = ctx.env.get(key).cloned();
            }
        }
        merged.extend(declared.iter().map(|(k, v)| (k.clone(), v.clone())));
        s.environment = merged;
        s.declared_environment = declared;
        s.env_file = self.files.into_iter().map(|(r, _)| r).collect();
    }
}

/// `env_file:` — a path, a list, or `{path, required, format}` entries. A missing required
/// file is an error; a missing optional one is kept (compose hashes it) without contents.
pub(super) fn env_file(c: &mut Ctx<'_>, v: &Value) -> Result<Vec<(EnvFileRef, Option<Vars>)>> {
    let items: Vec<Value> = match v {
        Value::Sequence(seq) => seq.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let entry = c.at(&format!("[{i}]"), |c| entry(c, item))?;
        if !entry.path.is_file() {
            if entry.required {
                return Err(crate::compose::ComposeError::Read {
                    path: entry.path,
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("env_file of {} not found", c.context()),
                    ),
                });
            }
            out.push((entry, None));
            continue;
        }
        let contents = dotenv::read(&entry.path, c.env)?;
        out.push((entry, Some(contents)));
    }
    Ok(out)
}

fn entry(c: &mut Ctx<'_>, item: &Value) -> Result<EnvFileRef> {
    let Value::Mapping(_) = item else {
        let path = c.string(item)?;
        return Ok(EnvFileRef {
            path: c.host_path(&path),
            required: true,
            format: None,
        });
    };
    let (mut path, mut required, mut format) = (None, true, None);
    for (key, val) in c.entries(item)? {
        c.at(&key, |c| {
            match key.as_str() {
                "path" => path = Some(c.string(val)?),
                "required" => required = c.bool(val)?,
                "format" => format = c.opt_string(val)?,
                _ => return Err(c.unknown_key_here(&["path", "required", "format"])),
            }
            Ok(())
        })?;
    }
    let path = path.ok_or_else(|| c.err("an `env_file` entry needs `path`"))?;
    Ok(EnvFileRef {
        path: c.host_path(&path),
        required,
        format,
    })
}

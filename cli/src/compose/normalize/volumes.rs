//! Service `volumes:`: short syntax (`SOURCE:TARGET[:MODE]`, `TARGET`) and long syntax, into
//! [`ServiceVolume`]s. Bind sources become absolute paths; named volumes keep their short name.

use serde_yaml_ng::Value;

use super::{Ctx, Result, scalar};
use crate::compose::model::{BindOptions, ServiceVolume, TmpfsOptions, VolumeOptions};

const VOLUME_KEYS: &[&str] = &[
    "type",
    "source",
    "target",
    "read_only",
    "consistency",
    "bind",
    "volume",
    "tmpfs",
];

/// Split a short-syntax volume into (source, target, mode); no path resolution.
pub(crate) fn parse_short_volume(
    spec: &str,
) -> std::result::Result<(Option<String>, String, Option<String>), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bad = || format!("invalid volume `{spec}`: expected [SOURCE:]TARGET[:MODE]");
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => return Err(bad()),
    };
    if target.is_empty() || source.is_some_and(str::is_empty) {
        return Err(bad());
    }
    if !target.starts_with('/') {
        return Err(format!(
            "invalid volume `{spec}`: the container path `{target}` must be absolute"
        ));
    }
    Ok((
        source.map(str::to_string),
        target.to_string(),
        mode.map(str::to_string),
    ))
}

/// Whether a short-syntax source is a host path (else a named volume).
fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

impl Ctx<'_> {
    pub(crate) fn service_volumes(&mut self, v: &Value) -> Result<Vec<ServiceVolume>> {
        let Value::Sequence(seq) = v else {
            if matches!(v, Value::Null) {
                return Ok(Vec::new());
            }
            return Err(self.expected("a list", v));
        };
        let mut out: Vec<ServiceVolume> = Vec::new();
        for item in seq {
            let vol = match item {
                Value::Mapping(_) => self.long_volume(item)?,
                other => {
                    let spec =
                        scalar(other).ok_or_else(|| self.expected("a list of volumes", v))?;
                    self.short_volume(&spec)?
                }
            };
            // Later entries for the same target replace earlier ones (compose's merge rule).
            if let Some(pos) = out.iter().position(|o| o.target == vol.target) {
                out[pos] = vol;
            } else {
                out.push(vol);
            }
        }
        Ok(out)
    }

    fn short_volume(&mut self, spec: &str) -> Result<ServiceVolume> {
        let (source, target, mode) = parse_short_volume(spec).map_err(|e| self.err(e))?;
        let mut vol = ServiceVolume {
            kind: ServiceVolume::VOLUME.into(),
            target,
            ..ServiceVolume::default()
        };
        match source {
            Some(s) if is_path(&s) => {
                vol.kind = ServiceVolume::BIND.into();
                vol.source = Some(self.host_path(&s).to_string_lossy().into_owned());
                vol.bind = Some(BindOptions {
                    create_host_path: true,
                    ..BindOptions::default()
                });
            }
            Some(s) => {
                check_volume_name(&s).map_err(|e| self.err(e))?;
                vol.source = Some(s);
            }
            None => {}
        }
        for opt in mode.iter().flat_map(|m| m.split(',')) {
            match opt {
                "ro" => vol.read_only = true,
                "rw" => vol.read_only = false,
                "z" | "Z" => {
                    vol.bind.get_or_insert_with(BindOptions::default).selinux = Some(opt.into());
                }
                "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                    vol.bind
                        .get_or_insert_with(BindOptions::default)
                        .propagation = Some(opt.into());
                }
                "nocopy" => vol.volume.get_or_insert_with(VolumeOptions::default).nocopy = true,
                "consistent" | "cached" | "delegated" => vol.consistency = Some(opt.into()),
                other => {
                    return Err(self.err(format!(
                        "invalid volume mode `{other}` in `{spec}` (expected ro, rw, z, Z, nocopy, or a propagation mode)"
                    )));
                }
            }
        }
        if vol.kind == ServiceVolume::VOLUME && vol.bind.is_some() {
            return Err(self.err(format!(
                "`{spec}`: bind options (z, Z, propagation) only apply to host paths"
            )));
        }
        Ok(vol)
    }

    fn long_volume(&mut self, v: &Value) -> Result<ServiceVolume> {
        let mut vol = ServiceVolume::default();
        let mut kind = None;
        for (key, val) in self.entries(v)? {
            self.at(&key, |c| {
                match key.as_str() {
                    "type" => kind = Some(volume_type(c, val)?),
                    "source" => vol.source = c.opt_string(val)?.filter(|s| !s.is_empty()),
                    "target" => vol.target = c.string(val)?,
                    "read_only" => vol.read_only = c.bool(val)?,
                    "consistency" => vol.consistency = c.opt_string(val)?,
                    "bind" => vol.bind = Some(bind_options(c, val)?),
                    "volume" => vol.volume = Some(volume_options(c, val)?),
                    "tmpfs" => vol.tmpfs = Some(tmpfs_options(c, val)?),
                    _ => return Err(c.unknown_key_here(VOLUME_KEYS)),
                }
                Ok(())
            })?;
        }
        let kind = kind.ok_or_else(|| {
            self.err("a volume in long syntax needs `type` (volume, bind or tmpfs)")
        })?;
        if vol.target.is_empty() {
            return Err(self.err("a volume in long syntax needs `target`"));
        }
        match kind.as_str() {
            "bind" => {
                let src = vol
                    .source
                    .as_deref()
                    .ok_or_else(|| self.err("a bind mount needs `source`"))?;
                vol.source = Some(self.host_path(src).to_string_lossy().into_owned());
            }
            "volume" => {
                if let Some(s) = &vol.source {
                    check_volume_name(s).map_err(|e| self.err(e))?;
                }
            }
            _ => {}
        }
        vol.kind = kind;
        Ok(vol)
    }

    /// A file mode: a string in octal (`"0440"`, `"0o440"`), or a YAML number whose digits
    /// are read as octal when they can be (`0440` parses as 440 in YAML 1.2).
    pub(crate) fn file_mode(&self, v: &Value) -> Result<u32> {
        let text = self.string(v)?;
        let digits = text.trim_start_matches("0o").trim_start_matches("0O");
        let parsed = if matches!(v, Value::Number(_)) && digits.chars().any(|c| c > '7') {
            digits.parse::<u32>().ok()
        } else {
            u32::from_str_radix(digits, 8).ok()
        };
        parsed
            .filter(|m| *m <= 0o7777)
            .ok_or_else(|| self.err(format!("`{text}` is not a file mode (e.g. 0440)")))
    }
}

/// A long-syntax `type:`.
fn volume_type(c: &Ctx<'_>, val: &Value) -> Result<String> {
    let t = c.string(val)?;
    if !matches!(
        t.as_str(),
        "volume" | "bind" | "tmpfs" | "npipe" | "cluster" | "image"
    ) {
        return Err(c.err(format!("volume type `{t}` must be volume, bind or tmpfs")));
    }
    Ok(t)
}

fn bind_options(c: &mut Ctx<'_>, val: &Value) -> Result<BindOptions> {
    let mut b = BindOptions::default();
    for (k, x) in c.entries(val)? {
        c.at(&k, |c| {
            match k.as_str() {
                "propagation" => b.propagation = c.opt_string(x)?,
                "create_host_path" => b.create_host_path = c.bool(x)?,
                "selinux" => b.selinux = c.opt_string(x)?,
                _ => {
                    return Err(c.unknown_key_here(&[
                        "propagation",
                        "create_host_path",
                        "selinux",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    Ok(b)
}

fn volume_options(c: &mut Ctx<'_>, val: &Value) -> Result<VolumeOptions> {
    let mut o = VolumeOptions::default();
    for (k, x) in c.entries(val)? {
        c.at(&k, |c| {
            match k.as_str() {
                "nocopy" => o.nocopy = c.bool(x)?,
                "subpath" => o.subpath = c.opt_string(x)?,
                _ => return Err(c.unknown_key_here(&["nocopy", "subpath"])),
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn tmpfs_options(c: &mut Ctx<'_>, val: &Value) -> Result<TmpfsOptions> {
    let mut o = TmpfsOptions::default();
    for (k, x) in c.entries(val)? {
        c.at(&k, |c| {
            match k.as_str() {
                "size" => o.size = Some(c.bytes(x)?),
                "mode" => o.mode = Some(c.file_mode(x)?),
                _ => return Err(c.unknown_key_here(&["size", "mode"])),
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn check_volume_name(name: &str) -> std::result::Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid volume name (use letters, digits, `_.-`; start host paths with `./` or `/`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_split() {
        assert_eq!(
            parse_short_volume("/data").unwrap(),
            (None, "/data".into(), None)
        );
        assert_eq!(
            parse_short_volume("db:/var/lib/db:ro").unwrap(),
            (Some("db".into()), "/var/lib/db".into(), Some("ro".into()))
        );
        assert!(parse_short_volume("a:b:c:d").is_err());
        assert!(parse_short_volume("data:relative").is_err());
        assert!(parse_short_volume(":/x").is_err());
        assert!(parse_short_volume("").is_err());
    }

    #[test]
    fn names() {
        assert!(check_volume_name("db-data_1.x").is_ok());
        assert!(check_volume_name("bad name").is_err());
        assert!(check_volume_name("-x").is_err());
    }
}

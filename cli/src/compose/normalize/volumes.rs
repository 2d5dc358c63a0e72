//! Service `volumes:`: short syntax (`SOURCE:TARGET[:MODE]`, `TARGET`) and long syntax, into
//! [`ServiceVolume`]s. Bind sources become absolute paths; named volumes keep their short name.

use serde_yaml_ng::Value;

use super::{Ctx, Result, clean_container_path, scalar};
use crate::compose::model::{BindOptions, ServiceVolume, TmpfsOptions, VolumeOptions};
use crate::compose::volume_spec;

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

/// The container path of a short-syntax volume, as compose keys volumes when merging.
pub(crate) fn short_volume_target(spec: &str) -> Option<String> {
    volume_spec::parse(spec)
        .ok()
        .map(|v| clean_container_path(&v.target))
}

impl Ctx<'_> {
    pub(crate) fn service_volumes(&mut self, v: &Value) -> Result<Vec<ServiceVolume>> {
        let Value::Sequence(seq) = v else {
            if matches!(v, Value::Null) {
                return Ok(Vec::new());
            }
            return Err(self.expected("a list", v));
        };
        let volumes = self.each_item(seq, |c, item| match item {
            Value::Mapping(_) => c.long_volume(item),
            other => {
                let spec = scalar(other).ok_or_else(|| c.expected("a volume", other))?;
                c.short_volume(&spec)
            }
        })?;
        let mut out: Vec<ServiceVolume> = Vec::new();
        for vol in volumes {
            // Later entries for the same target replace earlier ones (compose's merge rule).
            if let Some(pos) = out.iter().position(|o| o.target == vol.target) {
                out[pos] = vol;
            } else {
                out.push(vol);
            }
        }
        Ok(out)
    }

    /// Short syntax, split as compose splits it; the container path cleaned as compose
    /// cleans it. Mode options compose ignores are noted.
    fn short_volume(&mut self, spec: &str) -> Result<ServiceVolume> {
        let parsed = volume_spec::parse(spec)
            .map_err(|e| self.err(format!("invalid volume `{spec}`: {e}")))?;
        let mut vol = ServiceVolume {
            kind: ServiceVolume::VOLUME.into(),
            target: clean_container_path(&parsed.target),
            read_only: parsed.read_only,
            ..ServiceVolume::default()
        };
        if parsed.bind {
            vol.kind = ServiceVolume::BIND.into();
            vol.source = Some(
                self.host_path(&parsed.source)
                    .to_string_lossy()
                    .into_owned(),
            );
        } else if !parsed.source.is_empty() {
            check_volume_name(&parsed.source).map_err(|e| self.err(e))?;
            vol.source = Some(parsed.source.clone());
        }
        if parsed.bind || parsed.selinux.is_some() || parsed.propagation.is_some() {
            vol.bind = Some(BindOptions {
                // Short-syntax binds create a missing host folder, as compose's do.
                create_host_path: parsed.bind,
                selinux: parsed.selinux,
                propagation: parsed.propagation,
            });
        }
        if parsed.volume_section {
            vol.volume = Some(VolumeOptions {
                nocopy: parsed.nocopy,
                ..VolumeOptions::default()
            });
        }
        if !parsed.ignored.is_empty() {
            let what = self.context();
            self.note(format!(
                "{what}: volume option `{}` in `{spec}` means nothing to the engine and was ignored (as compose ignores it)",
                parsed.ignored.join(",")
            ));
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
                    "target" => vol.target = clean_container_path(&c.string(val)?),
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
    fn merge_key_is_the_cleaned_target() {
        assert_eq!(
            short_volume_target("db:/var/lib/db/:ro").as_deref(),
            Some("/var/lib/db")
        );
        assert_eq!(short_volume_target("/data").as_deref(), Some("/data"));
        assert_eq!(short_volume_target(""), None);
    }

    #[test]
    fn names() {
        assert!(check_volume_name("db-data_1.x").is_ok());
        assert!(check_volume_name("bad name").is_err());
        assert!(check_volume_name("-x").is_err());
    }
}

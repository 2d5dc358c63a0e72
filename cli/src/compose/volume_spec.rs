//! A short-syntax volume (`SOURCE:TARGET[:MODE]`, `TARGET`) parsed exactly as compose parses
//! it (compose-go's `format.ParseVolume`): a one-letter first part is a Windows drive
//! (`C:\data:/data`), unknown mode options are ignored, `z`/`Z` and the propagation modes
//! are bind options whatever the source, and a source that is not a path is a named volume.
//! No path resolution here: the normalizer makes bind sources absolute.

/// One short-syntax volume, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VolumeSpec {
    /// Empty for an anonymous volume.
    pub source: String,
    /// As written (the normalizer cleans it).
    pub target: String,
    /// A host path (`.`, `/`, `~`, `\\`, or a Windows drive): a bind mount.
    pub bind: bool,
    pub read_only: bool,
    /// `z` or `Z`.
    pub selinux: Option<String>,
    pub propagation: Option<String>,
    pub nocopy: bool,
    /// Whether compose writes a `volume: {}` section for it (every named or anonymous volume
    /// except the shortest specs, and a bind with `nocopy`).
    pub volume_section: bool,
    /// Mode options compose ignores (`cached`, `delegated`, typos).
    pub ignored: Vec<String>,
}

const PROPAGATIONS: &[&str] = &[
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];

/// Split a short-syntax volume; the error says why compose would refuse it.
pub(crate) fn parse(spec: &str) -> Result<VolumeSpec, String> {
    let mut v = VolumeSpec::default();
    match spec.chars().count() {
        0 => return Err("an empty volume".into()),
        // compose-go takes these as a bare target, without the options section.
        1 | 2 => {
            v.target = spec.to_string();
            return Ok(v);
        }
        _ => {}
    }
    let mut buffer: Vec<char> = Vec::new();
    let mut targeted = false;
    for c in spec.chars().map(Some).chain([None]) {
        match c {
            Some(':') if buffer.len() == 1 && buffer[0].is_alphabetic() => buffer.push(':'),
            Some(':') | None => {
                let section: String = buffer.drain(..).collect();
                if section.is_empty() {
                    return Err(format!("`{spec}` has an empty section between colons"));
                }
                if v.source.is_empty() && c.is_none() && !targeted {
                    v.target = section;
                } else if v.source.is_empty() && !targeted {
                    v.source = section;
                } else if !targeted {
                    v.target = section;
                    targeted = true;
                } else if c.is_some() {
                    return Err(format!("`{spec}` has too many colons"));
                } else {
                    options(&mut v, &section);
                }
            }
            Some(other) => buffer.push(other),
        }
    }
    v.bind = is_file_path(&v.source);
    if !v.bind {
        v.volume_section = true;
    }
    Ok(v)
}

fn options(v: &mut VolumeSpec, section: &str) {
    for option in section.split(',') {
        match option {
            "ro" => v.read_only = true,
            "rw" => v.read_only = false,
            "nocopy" => {
                v.nocopy = true;
                v.volume_section = true;
            }
            "z" | "Z" => v.selinux = Some(option.to_string()),
            p if PROPAGATIONS.contains(&p) => v.propagation = Some(p.to_string()),
            other => v.ignored.push(other.to_string()),
        }
    }
}

/// compose-go's `isFilePath`: `.`, `/`, `~`, a `\\` pipe, or a Windows drive.
fn is_file_path(source: &str) -> bool {
    let mut chars = source.chars();
    match chars.next() {
        None => false,
        Some('.' | '/' | '~') => true,
        Some(first) => {
            source.starts_with(r"\\") || (first.is_alphabetic() && chars.next() == Some(':'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> VolumeSpec {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_as_compose_does() {
        // Each case is what `docker compose config` (2.26.1) prints for it.
        let v = p("data:/x:nocopy,ro");
        assert_eq!((v.source.as_str(), v.target.as_str()), ("data", "/x"));
        assert!(v.read_only && v.nocopy && v.volume_section && !v.bind);
        let v = p("./a:/b:cached");
        assert!(v.bind && !v.volume_section);
        assert_eq!(v.ignored, ["cached"]);
        let v = p("./a:/b:nocopy");
        assert!(v.bind && v.volume_section && v.nocopy);
        assert!(!p("/x").volume_section, "two characters: a bare target");
        let v = p("/data");
        assert_eq!((v.source.as_str(), v.target.as_str()), ("", "/data"));
        assert!(v.volume_section);
        let v = p("data:relative");
        assert_eq!(v.target, "relative");
        let v = p("x:/y:ro,z");
        assert_eq!((v.source.as_str(), v.target.as_str()), ("x:/y", "ro,z"));
        assert!(v.bind);
        let v = p(r"C:\x:/y");
        assert_eq!((v.source.as_str(), v.target.as_str()), (r"C:\x", "/y"));
        let v = p("data:/d:Z");
        assert_eq!(v.selinux.as_deref(), Some("Z"));
        assert!(!v.bind);
        assert!(parse("ab:/b:ro:x").is_err(), "too many colons");
        assert!(parse(":/x").is_err());
        assert!(parse("").is_err());
    }
}

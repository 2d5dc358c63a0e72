//! `extends:` — a service starts from another service's definition (in the same file, or in
//! `file:`), then its own keys are merged on top with the usual merge rules.

use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

use super::error::{ComposeError, Location};
use super::interpolate::{Env, interpolate_value};
use super::merge::merge_service;
use super::normalize::{Source, absolute, key_string, scalar};
use super::yaml::{self, find_line};

const MAX_DEPTH: usize = 16;

/// Resolve every `extends` in `doc` (one file, already interpolated).
pub(super) fn resolve_extends(
    doc: &mut Value,
    source: &Source,
    env: &Env,
    working_dir: &Path,
    missing: &mut Vec<String>,
) -> Result<(), ComposeError> {
    let Some(Value::Mapping(services)) = doc.get("services") else {
        return Ok(());
    };
    let names: Vec<Value> = services
        .iter()
        .filter(|(_, s)| s.get("extends").is_some())
        .map(|(k, _)| k.clone())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let original = services.clone();
    let mut resolver = Resolver {
        env,
        working_dir,
        missing,
    };
    for name in names {
        let resolved = resolver.resolve(&original, &name, source, 0)?;
        if let Some(Value::Mapping(services)) = doc.get_mut("services") {
            services.insert(name, resolved);
        }
    }
    Ok(())
}

/// What resolving needs besides the service at hand; `missing` collects unset variables
/// of the files `extends` reads.
struct Resolver<'a> {
    env: &'a Env,
    working_dir: &'a Path,
    missing: &'a mut Vec<String>,
}

impl Resolver<'_> {
    /// Service `name` of `services` (from `source`) with its `extends` chain applied.
    fn resolve(
        &mut self,
        services: &Mapping,
        name: &Value,
        source: &Source,
        depth: usize,
    ) -> Result<Value, ComposeError> {
        let service_name = key_string(name);
        let err = |message: String| ComposeError::Invalid {
            location: Some(Location {
                file: source.path.clone(),
                line: find_line(&source.text, &["services", &service_name, "extends"]),
                column: None,
            }),
            message,
        };
        if depth > MAX_DEPTH {
            return Err(err(format!(
                "`extends` of service `{service_name}` nests too deeply (a cycle?)"
            )));
        }
        let Some(mut service) = services.get(name).cloned() else {
            return Err(err(format!(
                "`extends` names undefined service `{service_name}`"
            )));
        };
        let Value::Mapping(map) = &mut service else {
            return Ok(service);
        };
        let Some(ext) = map.remove("extends") else {
            return Ok(service);
        };
        let (base_name, file) = parse_extends(&ext).map_err(err)?;
        let base_key = Value::from(base_name);
        let mut result = match file {
            None => self.resolve(services, &base_key, source, depth + 1)?,
            Some(file) => {
                let (other_source, other_services) = self
                    .read_other(source, &file)?
                    .ok_or_else(|| err(format!("`extends` file `{file}` has no `services:`")))?;
                self.resolve(&other_services, &base_key, &other_source, depth + 1)?
            }
        };
        merge_service(&mut result, service);
        Ok(result)
    }

    /// The `services:` of another file named by `extends: {file}` (relative to the file that
    /// names it), parsed and interpolated; `None` when it has none.
    fn read_other(
        &mut self,
        source: &Source,
        file: &str,
    ) -> Result<Option<(Source, Mapping)>, ComposeError> {
        let dir = source.path.parent().unwrap_or(self.working_dir);
        let path = absolute(dir, file, self.env);
        let text = super::text::read(&path)?;
        let mut other = yaml::parse(&text, &path)?;
        super::load::strip_extensions(&mut other);
        interpolate_value(&mut other, self.env, self.missing, &mut Vec::new()).map_err(|e| {
            ComposeError::Interpolation {
                location: Some(Location {
                    file: path.clone(),
                    line: None,
                    column: None,
                }),
                message: e.to_string(),
            }
        })?;
        let Some(Value::Mapping(services)) = other.get("services") else {
            return Ok(None);
        };
        Ok(Some((Source { path, text }, services.clone())))
    }
}

/// `extends: NAME` or `extends: {service: NAME, file: PATH}` → (service, file).
fn parse_extends(ext: &Value) -> Result<(String, Option<String>), String> {
    let (base_name, file) = match ext {
        Value::Mapping(m) => {
            for k in m.keys() {
                let k = key_string(k);
                if k != "service" && k != "file" {
                    return Err(format!(
                        "unknown key `{k}` in `extends` (expected service, file)"
                    ));
                }
            }
            (
                m.get("service").and_then(scalar),
                m.get("file").and_then(scalar),
            )
        }
        other => (scalar(other), None),
    };
    let base_name = base_name.ok_or_else(|| "`extends` needs `service: NAME`".to_string())?;
    Ok((base_name, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_same_file_and_cycles() {
        let text = "services:\n  base: {image: a, environment: {A: '1'}, ports: ['80']}\n  web: {extends: base, environment: {B: '2'}}\n  deep: {extends: {service: web}, image: b}\n  loop1: {extends: loop2}\n  loop2: {extends: loop1}\n";
        let source = Source {
            path: "c.yaml".into(),
            text: text.into(),
        };
        let mut doc: Value = serde_yaml_ng::from_str(text).unwrap();
        // Cycles are an error naming the file.
        let err = resolve_extends(
            &mut doc,
            &source,
            &Env::new(),
            Path::new("/"),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("c.yaml"), "{err}");
        // Without the loop, inheritance works through two levels.
        let text = &text[..text.find("  loop1").unwrap()];
        let mut doc: Value = serde_yaml_ng::from_str(text).unwrap();
        resolve_extends(
            &mut doc,
            &source,
            &Env::new(),
            Path::new("/"),
            &mut Vec::new(),
        )
        .unwrap();
        let web = &doc["services"]["web"];
        assert_eq!(web["image"], Value::from("a"));
        assert_eq!(web["environment"]["A"], Value::from("1"));
        assert_eq!(web["environment"]["B"], Value::from("2"));
        let deep = &doc["services"]["deep"];
        assert_eq!(deep["image"], Value::from("b"));
        assert_eq!(deep["ports"][0], Value::from("80"));
        assert!(deep.get("extends").is_none());
    }
}

//! Making a parsed file's relative host paths absolute before it is merged into another
//! (compose-go's `ResolveRelativePaths`): an `include`d file's paths resolve against its own
//! project directory, not the including one's. The paths: build contexts, `env_file`, bind
//! mount sources (short and long syntax), `develop.watch` paths, secret and config files.
//! A path written absolute stays as written; a relative one is joined and cleaned; `~` is
//! the home folder. Remote build contexts (`https://…`, `git@…`) are left alone.

use std::path::Path;

use serde_yaml_ng::Value;

use super::interpolate::Env;
use super::normalize::absolute;
use super::volume_spec;

/// Resolve every relative host path in a compose document against `base`.
pub(super) fn resolve_relative_paths(doc: &mut Value, base: &Path, env: &Env) {
    let resolve = |p: &str| resolve(p, base, env);
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        for (_, service) in services.iter_mut() {
            resolve_service(service, &resolve);
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(Value::Mapping(objects)) = doc.get_mut(kind) {
            for (_, object) in objects.iter_mut() {
                if let Some(file) = object.get_mut("file") {
                    map_string(file, &resolve);
                }
            }
        }
    }
}

fn resolve_service(service: &mut Value, resolve: &dyn Fn(&str) -> String) {
    let Value::Mapping(s) = service else {
        return;
    };
    match s.get_mut("build") {
        Some(Value::Mapping(build)) => {
            if let Some(context) = build.get_mut("context") {
                map_string(context, &|c| resolve_context(c, resolve));
            }
        }
        Some(context) => map_string(context, &|c| resolve_context(c, resolve)),
        None => {}
    }
    if let Some(env_file) = s.get_mut("env_file") {
        match env_file {
            Value::Sequence(items) => {
                for item in items {
                    env_file_entry(item, resolve);
                }
            }
            other => env_file_entry(other, resolve),
        }
    }
    if let Some(Value::Sequence(volumes)) = s.get_mut("volumes") {
        for volume in volumes {
            resolve_volume(volume, resolve);
        }
    }
    if let Some(Value::Sequence(watch)) = s.get_mut("develop").and_then(|d| d.get_mut("watch")) {
        for rule in watch {
            if let Some(path) = rule.get_mut("path") {
                map_string(path, resolve);
            }
        }
    }
}

fn env_file_entry(item: &mut Value, resolve: &dyn Fn(&str) -> String) {
    match item {
        Value::Mapping(m) => {
            if let Some(path) = m.get_mut("path") {
                map_string(path, resolve);
            }
        }
        other => map_string(other, resolve),
    }
}

fn resolve_volume(volume: &mut Value, resolve: &dyn Fn(&str) -> String) {
    match volume {
        Value::Mapping(m) => {
            if m.get("type").and_then(Value::as_str) == Some("bind")
                && let Some(source) = m.get_mut("source")
            {
                map_string(source, resolve);
            }
        }
        Value::String(spec) => {
            let Ok(parsed) = volume_spec::parse(spec) else {
                return;
            };
            if parsed.bind && !parsed.source.is_empty() {
                let rest = spec[parsed.source.len()..].to_string();
                *spec = format!("{}{rest}", resolve(&parsed.source));
            }
        }
        _ => {}
    }
}

fn resolve_context(context: &str, resolve: &dyn Fn(&str) -> String) -> String {
    if context.contains("://") || context.starts_with("git@") {
        context.to_string()
    } else {
        resolve(context)
    }
}

fn map_string(value: &mut Value, f: &dyn Fn(&str) -> String) {
    if let Value::String(s) = value {
        *s = f(s);
    }
}

/// Absolute as written, else joined to `base` and cleaned (`~` expanded).
fn resolve(path: &str, base: &Path, env: &Env) -> String {
    if path.starts_with('/') || is_windows_absolute(path) {
        return path.to_string();
    }
    absolute(base, path, env).to_string_lossy().into_owned()
}

/// `C:\…` or `C:/…`: kept as written, as compose keeps it.
pub(super) fn is_windows_absolute(path: &str) -> bool {
    let mut chars = path.chars();
    matches!(
        (chars.next(), chars.next(), chars.next()),
        (Some(d), Some(':'), Some('\\' | '/')) if d.is_ascii_alphabetic()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_against_the_base() {
        let mut doc: Value = serde_yaml_ng::from_str(
            r"
services:
  db:
    build: ./db
    env_file: [a.env, {path: ./b.env, required: false}]
    volumes:
      - ./data:/data:ro
      - named:/n
      - /abs/:/abs
      - type: bind
        source: ../up
        target: /up
  web:
    build: {context: 'https://example.com/repo.git'}
secrets:
  s: {file: ./s.txt}
",
        )
        .unwrap();
        resolve_relative_paths(&mut doc, Path::new("/p/inc"), &Env::new());
        let db = &doc["services"]["db"];
        assert_eq!(db["build"], Value::from("/p/inc/db"));
        assert_eq!(db["env_file"][0], Value::from("/p/inc/a.env"));
        assert_eq!(db["env_file"][1]["path"], Value::from("/p/inc/b.env"));
        assert_eq!(db["volumes"][0], Value::from("/p/inc/data:/data:ro"));
        assert_eq!(db["volumes"][1], Value::from("named:/n"));
        assert_eq!(db["volumes"][2], Value::from("/abs/:/abs"));
        assert_eq!(db["volumes"][3]["source"], Value::from("/p/up"));
        assert_eq!(
            doc["services"]["web"]["build"]["context"],
            Value::from("https://example.com/repo.git")
        );
        assert_eq!(doc["secrets"]["s"]["file"], Value::from("/p/inc/s.txt"));
    }
}

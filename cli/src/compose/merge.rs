//! Merging compose files in order, with compose's rules: mappings merge key by key;
//! `command`, `entrypoint`, `image` and other scalars are replaced; `environment`, `labels`,
//! `build.args`, `depends_on`, `networks` … merge by key; `ports`, `expose`, `dns`, … are
//! appended without duplicates; `volumes` merge by container path, `secrets`/`configs` by
//! source. The `!reset` tag removes a value, `!override` replaces instead of merging.

use serde_yaml_ng::{Mapping, Value};

use super::normalize::{key_string, scalar, short_volume_target};

/// Merge `over` into `base` (both whole documents).
pub(super) fn merge_documents(base: &mut Value, over: Value) {
    let Value::Mapping(over) = over else {
        return;
    };
    if !matches!(base, Value::Mapping(_)) {
        *base = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(base_map) = base else {
        return;
    };
    for (k, v) in over {
        if let Some(v) = reset_or(base_map, &k, v) {
            let key = key_string(&k);
            match (key.as_str(), base_map.get_mut(&k)) {
                ("services", Some(Value::Mapping(services))) => {
                    let Value::Mapping(over_services) = v else {
                        base_map.insert(k, v);
                        continue;
                    };
                    for (name, sv) in over_services {
                        if let Some(sv) = reset_or(services, &name, sv) {
                            match services.get_mut(&name) {
                                Some(existing) => merge_service(existing, sv),
                                None => {
                                    services.insert(name, sv);
                                }
                            }
                        }
                    }
                }
                (_, Some(existing)) => deep_merge(existing, v),
                (_, None) => {
                    base_map.insert(k, v);
                }
            }
        }
    }
}

/// Handle `!reset` (remove, return None) and `!override` (replace, return None); otherwise
/// hand the value back for merging.
fn reset_or(map: &mut Mapping, key: &Value, v: Value) -> Option<Value> {
    match v {
        Value::Tagged(t) if t.tag == "reset" => {
            map.remove(key);
            None
        }
        Value::Tagged(t) if t.tag == "override" => {
            map.insert(key.clone(), t.value);
            None
        }
        other => Some(other),
    }
}

/// Merge two service definitions.
pub(super) fn merge_service(base: &mut Value, over: Value) {
    let Value::Mapping(over) = over else {
        *base = over;
        return;
    };
    if !matches!(base, Value::Mapping(_)) {
        *base = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(base_map) = base else {
        return;
    };
    for (k, v) in over {
        let Some(v) = reset_or(base_map, &k, v) else {
            continue;
        };
        let key = key_string(&k);
        let Some(existing) = base_map.get_mut(&k) else {
            base_map.insert(k, v);
            continue;
        };
        merge_service_key(&key, existing, v);
    }
}

/// Merge one key of a service by compose's rule for it: mappings by key, some lists by
/// target or source, other lists appended without duplicates, `command` and friends replaced.
fn merge_service_key(key: &str, existing: &mut Value, mut v: Value) {
    match key {
        "environment" | "labels" | "annotations" | "sysctls" | "depends_on" | "networks"
        | "ulimits" => {
            to_map(existing);
            to_map(&mut v);
            merge_by_key(existing, v);
        }
        "build" => merge_build(existing, v),
        "volumes" => merge_list_by(existing, v, volume_target),
        "secrets" | "configs" => merge_list_by(existing, v, file_ref_source),
        "ports" | "expose" | "dns" | "dns_search" | "dns_opt" | "cap_add" | "cap_drop"
        | "security_opt" | "devices" | "tmpfs" | "profiles" | "links" | "external_links"
        | "group_add" | "volumes_from" | "extra_hosts" | "env_file" => {
            append_unique(existing, v);
        }
        "logging" => {
            let same_driver =
                existing.get("driver") == v.get("driver") || v.get("driver").is_none();
            if same_driver {
                deep_merge(existing, v);
            } else {
                *existing = v;
            }
        }
        "command" | "entrypoint" | "image" => *existing = v,
        _ => deep_merge(existing, v),
    }
}

/// `build` (a context string or a mapping): `args` and `labels` merge by key, the rest deeply.
fn merge_build(existing: &mut Value, mut v: Value) {
    to_build_map(existing);
    to_build_map(&mut v);
    let (Value::Mapping(b), Value::Mapping(o)) = (existing, v) else {
        return;
    };
    for (bk, bv) in o {
        let Some(mut bv) = reset_or(b, &bk, bv) else {
            continue;
        };
        let is_map = matches!(key_string(&bk).as_str(), "args" | "labels");
        if is_map {
            to_map(&mut bv);
        }
        match (key_string(&bk).as_str(), b.get_mut(&bk)) {
            ("args" | "labels", Some(e)) => {
                to_map(e);
                merge_by_key(e, bv);
            }
            (_, Some(e)) => deep_merge(e, bv),
            (_, None) => {
                b.insert(bk, bv);
            }
        }
    }
}

/// Mappings merge recursively; anything else is replaced.
pub(super) fn deep_merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                let Some(v) = reset_or(b, &k, v) else {
                    continue;
                };
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// Map entries replace (or deep-merge into) same-key entries.
fn merge_by_key(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                let Some(v) = reset_or(b, &k, v) else {
                    continue;
                };
                match b.get_mut(&k) {
                    Some(existing) if v.is_mapping() && existing.is_mapping() => {
                        deep_merge(existing, v);
                    }
                    Some(existing) => *existing = v,
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// `["A=1", "B"]` → `{A: "1", B: null}`; `[a, b]` (networks, depends_on) → `{a: null, b: null}`.
fn to_map(v: &mut Value) {
    if let Value::Sequence(seq) = v {
        let mut m = Mapping::new();
        for item in seq.iter() {
            match scalar(item) {
                Some(text) => match text.split_once('=') {
                    Some((k, val)) => m.insert(Value::from(k), Value::from(val)),
                    None => m.insert(Value::from(text), Value::Null),
                },
                None => continue,
            };
        }
        *v = Value::Mapping(m);
    }
}

fn to_build_map(v: &mut Value) {
    if let Some(ctx) = scalar(v) {
        let mut m = Mapping::new();
        m.insert(Value::from("context"), Value::from(ctx));
        *v = Value::Mapping(m);
    }
}

fn append_unique(base: &mut Value, over: Value) {
    let over_items = match over {
        Value::Sequence(seq) => seq,
        Value::Null => Vec::new(),
        single => vec![single],
    };
    let items = match base {
        Value::Sequence(seq) => seq,
        other => {
            let single = std::mem::take(other);
            *other = Value::Sequence(if single.is_null() {
                vec![]
            } else {
                vec![single]
            });
            match other {
                Value::Sequence(seq) => seq,
                _ => return,
            }
        }
    };
    for item in over_items {
        if !items.contains(&item) {
            items.push(item);
        }
    }
}

/// Lists whose items replace earlier items with the same identity.
fn merge_list_by(base: &mut Value, over: Value, id: fn(&Value) -> Option<String>) {
    let (Value::Sequence(items), Value::Sequence(over_items)) = (&mut *base, &over) else {
        *base = over;
        return;
    };
    for item in over_items {
        let key = id(item);
        match key
            .as_ref()
            .and_then(|k| items.iter().position(|e| id(e).as_ref() == Some(k)))
        {
            Some(pos) => items[pos] = item.clone(),
            None => items.push(item.clone()),
        }
    }
}

fn volume_target(v: &Value) -> Option<String> {
    match v {
        Value::Mapping(m) => m.get("target").and_then(scalar),
        other => scalar(other).and_then(|s| short_volume_target(&s)),
    }
}

fn file_ref_source(v: &Value) -> Option<String> {
    match v {
        Value::Mapping(m) => m.get("source").and_then(scalar),
        other => scalar(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap()
    }

    fn merged(a: &str, b: &str) -> Value {
        let mut base = y(a);
        merge_documents(&mut base, y(b));
        base
    }

    #[test]
    fn scalars_replace_and_maps_merge() {
        let m = merged(
            "services: {web: {image: a, command: [x, y], environment: [A=1, B=2], labels: {l: 1}}}",
            "services: {web: {image: b, command: z, environment: {B: '3', C: '4'}}, db: {image: pg}}",
        );
        let web = &m["services"]["web"];
        assert_eq!(web["image"], y("b"));
        assert_eq!(web["command"], y("z"));
        assert_eq!(web["environment"], y("{A: '1', B: '3', C: '4'}"));
        assert_eq!(web["labels"], y("{l: 1}"));
        assert_eq!(m["services"]["db"]["image"], y("pg"));
    }

    #[test]
    fn lists_append_unique_and_volumes_by_target() {
        let m = merged(
            "services: {web: {ports: ['80:80'], dns: 1.1.1.1, volumes: ['./a:/app', 'data:/data']}}",
            "services: {web: {ports: ['80:80', '443:443'], dns: [8.8.8.8], volumes: ['./b:/app', {type: tmpfs, target: /tmp}]}}",
        );
        let web = &m["services"]["web"];
        assert_eq!(web["ports"], y("['80:80', '443:443']"));
        assert_eq!(web["dns"], y("[1.1.1.1, 8.8.8.8]"));
        assert_eq!(
            web["volumes"],
            y("['./b:/app', 'data:/data', {type: tmpfs, target: /tmp}]")
        );
    }

    #[test]
    fn depends_on_and_build_merge() {
        let m = merged(
            "services: {web: {depends_on: [db], build: ., networks: [front]}}",
            "services: {web: {depends_on: {cache: {condition: service_healthy}}, build: {dockerfile: Dev.Dockerfile, args: [X=1]}, networks: {back: {aliases: [w]}}}}",
        );
        let web = &m["services"]["web"];
        assert_eq!(
            web["depends_on"],
            y("{db: null, cache: {condition: service_healthy}}")
        );
        assert_eq!(
            web["build"],
            y("{context: ., dockerfile: Dev.Dockerfile, args: {X: '1'}}")
        );
        assert_eq!(web["networks"], y("{front: null, back: {aliases: [w]}}"));
    }

    #[test]
    fn reset_and_override_tags() {
        let m = merged(
            "services: {web: {ports: ['80:80'], environment: {A: '1'}}}",
            "services: {web: {ports: !reset [], environment: !override {B: '2'}}}",
        );
        let web = &m["services"]["web"];
        assert!(web.get("ports").is_none());
        assert_eq!(web["environment"], y("{B: '2'}"));
    }

    #[test]
    fn top_level_sections_merge() {
        let m = merged(
            "name: a\nvolumes: {data: {}}\nnetworks: {front: {driver: bridge}}",
            "name: b\nvolumes: {logs: {}}\nnetworks: {front: {internal: true}}",
        );
        assert_eq!(m["name"], y("b"));
        assert_eq!(m["volumes"], y("{data: {}, logs: {}}"));
        assert_eq!(
            m["networks"]["front"],
            y("{driver: bridge, internal: true}")
        );
    }
}

//! The resolved model spelled exactly as Docker Compose v2 spells it: compose-go's JSON of a
//! project and of each service (its field order, its `omitempty` rules, sizes as strings,
//! 32-bit floats, `host=ip`, `null` for a network joined without options). `devenv config
//! --json` prints it, and [`config_hash`] is compose's `com.docker.compose.config-hash`: the
//! sha256 of a service's compact JSON with `build`, `pull_policy`, `scale` and
//! `deploy.replicas` cleared (compose's `ServiceHash`), so a container either tool made is
//! up to date for the other.
//!
//! The field order is compose-go's `types.ServiceConfig` as Compose 2.26.1 was built by
//! Debian (compose-go 2.4.8); docs/compose.md says which versions this matches. Fields
//! devenv does not model are never written, so a service using them hashes differently
//! (docs/compose.md lists them).

use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::duration;
use super::model::{
    BuildConfig, Deploy, DeviceRequest, FileObject, Healthcheck, Network, Port, Project, Resource,
    Service, ServiceFileRef, ServiceNetwork, ServiceVolume, UpdateConfig, Volume,
};

/// Which `environment` a service carries: compose's `up` and `config` merge the `env_file`
/// contents in and drop `env_file`; `config --hash` skips that step
/// (`WithoutEnvironmentResolution`), so it hashes `environment:` as written plus `env_file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Env {
    Resolved,
    Declared,
}

/// Compose's config hash of a service: what `docker compose config --hash` prints with
/// [`Env::Declared`], and what `docker compose up` writes on a container with
/// [`Env::Resolved`].
pub(crate) fn config_hash(service: &Service, env: Env) -> String {
    let mut hashed = service.clone();
    hashed.build = None;
    hashed.pull_policy = None;
    hashed.scale = None;
    if let Some(d) = &mut hashed.deploy {
        d.replicas = None;
    }
    let text = go_compact(&service_value(&hashed, env));
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `docker compose config --format json` of the whole project.
pub(crate) fn project_value(project: &Project) -> Value {
    // Go marshals the top level as a map: keys sorted.
    let mut top = Obj::default();
    top.map_of("configs", &project.configs, |c| file_object(c, false));
    top.put("name", Value::from(project.name.clone()));
    top.map_of("networks", &project.networks, network);
    top.map_of("secrets", &project.secrets, |s| file_object(s, true));
    let mut services = Obj::default();
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    for name in names {
        services.put(name, service_value(&project.services[name], Env::Resolved));
    }
    top.put("services", services.into());
    top.map_of("volumes", &project.volumes, volume);
    top.into()
}

/// Compact JSON as Go's `encoding/json` writes it: serde_json's compact form, plus Go's
/// escapes for `<`, `>`, `&`, U+2028 and U+2029 (only ever inside strings, so a plain
/// replace is safe).
pub(crate) fn go_compact(value: &Value) -> String {
    go_escape(&value.to_string())
}

fn go_escape(text: &str) -> String {
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON object built in Go's field order, leaving out what Go's `omitempty` leaves out.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl From<Obj> for Value {
    fn from(o: Obj) -> Value {
        Value::Object(o.0)
    }
}

impl Obj {
    fn put(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_string(), value);
    }

    fn str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.put(key, Value::from(v));
        }
    }

    fn list(&mut self, key: &str, items: &[String]) {
        if !items.is_empty() {
            self.put(key, Value::from(items.to_vec()));
        }
    }

    fn flag(&mut self, key: &str, value: bool) {
        if value {
            self.put(key, Value::Bool(true));
        }
    }

    fn int(&mut self, key: &str, value: Option<i64>) {
        if let Some(v) = value.filter(|v| *v != 0) {
            self.put(key, Value::from(v));
        }
    }

    fn uint(&mut self, key: &str, value: Option<u64>) {
        if let Some(v) = value.filter(|v| *v != 0) {
            self.put(key, Value::from(v));
        }
    }

    /// compose-go's `UnitBytes`: a string of bytes.
    fn bytes(&mut self, key: &str, value: Option<i64>) {
        if let Some(v) = value.filter(|v| *v != 0) {
            self.put(key, Value::from(v.to_string()));
        }
    }

    fn float(&mut self, key: &str, value: Option<f32>) {
        if let Some(v) = value.filter(|v| *v != 0.0) {
            self.put(key, go_f32(v));
        }
    }

    fn duration(&mut self, key: &str, value: Option<std::time::Duration>) {
        if let Some(d) = value {
            self.put(key, Value::from(duration::format(d)));
        }
    }

    /// A Go `map[string]string`: keys sorted, left out when empty.
    fn strings(&mut self, key: &str, map: &IndexMap<String, String>) {
        if !map.is_empty() {
            self.put(
                key,
                sorted(map.iter().map(|(k, v)| (k, Value::from(v.as_str())))),
            );
        }
    }

    /// A Go map of structs: keys sorted, left out when empty.
    fn map_of<T>(&mut self, key: &str, map: &IndexMap<String, T>, f: impl Fn(&T) -> Value) {
        if !map.is_empty() {
            self.put(key, sorted(map.iter().map(|(k, v)| (k, f(v)))));
        }
    }
}

fn sorted<'a>(entries: impl Iterator<Item = (&'a String, Value)>) -> Value {
    let mut entries: Vec<(&String, Value)> = entries.collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut map = Map::new();
    for (k, v) in entries {
        map.insert(k.clone(), v);
    }
    Value::Object(map)
}

/// A Go `float32` as `encoding/json` writes it: the shortest text that reads back as the same
/// 32-bit float (`0.5`, `1.5`, `2`).
fn go_f32(f: f32) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a whole number well inside i64"
        )]
        return Value::from(f as i64);
    }
    format!("{f}")
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// One service, in `types.ServiceConfig`'s field order.
pub(crate) fn service_value(s: &Service, env: Env) -> Value {
    let mut o = Obj::default();
    // compose-go's field order runs through these in turn.
    profiles_to_devices(&mut o, s);
    dns_to_ipc(&mut o, s, env);
    labels_to_runtime(&mut o, s);
    scale_to_working_dir(&mut o, s);
    o.into()
}

/// `profiles` … `devices`.
fn profiles_to_devices(o: &mut Obj, s: &Service) {
    o.list("profiles", &s.profiles);
    o.strings("annotations", &s.annotations);
    if let Some(a) = s.attach {
        o.put("attach", Value::Bool(a));
    }
    if let Some(b) = &s.build {
        o.put("build", build(b));
    }
    o.list("cap_add", &s.cap_add);
    o.list("cap_drop", &s.cap_drop);
    #[expect(
        clippy::cast_possible_truncation,
        reason = "compose keeps cpus as a 32-bit float"
    )]
    o.float("cpus", s.cpus.map(|c| c as f32));
    o.int("cpu_shares", s.cpu_shares);
    // `command` and `entrypoint` are never left out: `null` means the image's.
    o.put(
        "command",
        s.command.clone().map_or(Value::Null, Value::from),
    );
    if !s.configs.is_empty() {
        o.put(
            "configs",
            s.configs.iter().map(|r| file_ref(r, None)).collect(),
        );
    }
    o.str("container_name", s.container_name.as_deref());
    o.map_of("depends_on", &s.depends_on, |d| {
        let mut x = Obj::default();
        x.str("condition", Some(d.condition.as_str()));
        x.flag("restart", d.restart);
        x.put("required", Value::Bool(d.required));
        x.into()
    });
    if let Some(d) = &s.deploy {
        o.put("deploy", deploy(d));
    }
    o.list("device_cgroup_rules", &s.device_cgroup_rules);
    if !s.devices.is_empty() {
        o.put("devices", s.devices.iter().map(|d| device(d)).collect());
    }
}

/// `dns` … `ipc`, with the environment `env` says.
fn dns_to_ipc(o: &mut Obj, s: &Service, env: Env) {
    o.list("dns", &s.dns);
    o.list("dns_opt", &s.dns_opt);
    o.list("dns_search", &s.dns_search);
    o.str("domainname", s.domainname.as_deref());
    o.put(
        "entrypoint",
        s.entrypoint.clone().map_or(Value::Null, Value::from),
    );
    let environment = match env {
        Env::Resolved => &s.environment,
        Env::Declared => &s.declared_environment,
    };
    if !environment.is_empty() {
        o.put(
            "environment",
            sorted(
                environment
                    .iter()
                    .map(|(k, v)| (k, v.clone().map_or(Value::Null, Value::from))),
            ),
        );
    }
    // Resolving the environment also drops `env_file` (its contents are in `environment`).
    if env == Env::Declared && !s.env_file.is_empty() {
        o.put("env_file", s.env_file.iter().map(env_file).collect());
    }
    o.list("expose", &s.expose);
    o.list("extra_hosts", &hosts(&s.extra_hosts));
    o.list("group_add", &s.group_add);
    o.str("hostname", s.hostname.as_deref());
    if let Some(h) = &s.healthcheck {
        o.put("healthcheck", healthcheck(h));
    }
    o.str("image", s.image.as_deref());
    if let Some(i) = s.init {
        o.put("init", Value::Bool(i));
    }
    o.str("ipc", s.ipc.as_deref());
}

/// `labels` … `runtime`.
fn labels_to_runtime(o: &mut Obj, s: &Service) {
    o.strings("labels", &s.labels);
    o.list("links", &s.links);
    if let Some(l) = &s.logging {
        let mut x = Obj::default();
        x.str("driver", l.driver.as_deref());
        x.strings("options", &l.options);
        o.put("logging", x.into());
    }
    o.bytes("mem_limit", s.mem_limit.map(to_i64));
    o.bytes("mem_reservation", s.mem_reservation.map(to_i64));
    o.bytes("memswap_limit", s.memswap_limit);
    o.str("mac_address", s.mac_address.as_deref());
    o.str("network_mode", s.network_mode.as_deref());
    o.map_of("networks", &s.networks, service_network);
    o.str("pid", s.pid.as_deref());
    o.int("pids_limit", s.pids_limit);
    o.str("platform", s.platform.as_deref());
    if !s.ports.is_empty() {
        o.put("ports", s.ports.iter().map(port).collect());
    }
    o.flag("privileged", s.privileged);
    o.str("pull_policy", s.pull_policy.as_deref());
    o.flag("read_only", s.read_only);
    o.str("restart", s.restart.as_deref());
    o.str("runtime", s.runtime.as_deref());
}

/// `scale` … `working_dir`.
fn scale_to_working_dir(o: &mut Obj, s: &Service) {
    if let Some(n) = s.scale {
        o.put("scale", Value::from(n));
    }
    if !s.secrets.is_empty() {
        o.put(
            "secrets",
            s.secrets
                .iter()
                .map(|r| file_ref(r, Some("/run/secrets/")))
                .collect(),
        );
    }
    o.list("security_opt", &s.security_opt);
    o.bytes("shm_size", s.shm_size.map(to_i64));
    o.flag("stdin_open", s.stdin_open);
    o.duration("stop_grace_period", s.stop_grace_period);
    o.str("stop_signal", s.stop_signal.as_deref());
    o.strings("sysctls", &s.sysctls);
    o.list("tmpfs", &s.tmpfs);
    o.flag("tty", s.tty);
    o.map_of("ulimits", &s.ulimits, |u| {
        if u.single {
            return Value::from(u.soft);
        }
        let mut x = Obj::default();
        x.int("soft", Some(u.soft));
        x.int("hard", Some(u.hard));
        x.into()
    });
    o.str("user", s.user.as_deref());
    o.str("userns_mode", s.userns_mode.as_deref());
    if !s.volumes.is_empty() {
        o.put("volumes", s.volumes.iter().map(service_volume).collect());
    }
    o.list("volumes_from", &s.volumes_from);
    o.str("working_dir", s.working_dir.as_deref());
}

fn build(b: &BuildConfig) -> Value {
    let mut o = Obj::default();
    o.str("context", Some(&path_text(&b.context)));
    o.str("dockerfile", Some(&b.dockerfile));
    o.strings("args", &b.args);
    o.strings("labels", &b.labels);
    o.list("cache_from", &b.cache_from);
    o.flag("no_cache", b.no_cache);
    o.flag("pull", b.pull);
    o.list("extra_hosts", &hosts(&b.extra_hosts));
    o.str("network", b.network.as_deref());
    o.str("target", b.target.as_deref());
    o.bytes("shm_size", b.shm_size.map(to_i64));
    o.into()
}

/// compose-go's `HostsList`: `host=ip`, sorted.
fn hosts(entries: &[String]) -> Vec<String> {
    let mut out: Vec<String> = entries
        .iter()
        .map(|e| match e.split_once(':') {
            Some((host, ip)) => format!("{host}={ip}"),
            None => e.clone(),
        })
        .collect();
    out.sort();
    out
}

fn file_ref(r: &ServiceFileRef, default_dir: Option<&str>) -> Value {
    let mut o = Obj::default();
    o.str("source", Some(&r.source));
    // Secrets get a default target (compose's `defaultSecretMount`); configs do not.
    let target = match (&r.target, default_dir) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(dir)) => Some(format!("{dir}{}", r.source)),
        (None, None) => None,
    };
    o.str("target", target.as_deref());
    o.str("uid", r.uid.as_deref());
    o.str("gid", r.gid.as_deref());
    if let Some(m) = r.mode {
        o.put("mode", Value::from(m));
    }
    o.into()
}

fn deploy(d: &Deploy) -> Value {
    let mut o = Obj::default();
    o.str("mode", d.mode.as_deref());
    if let Some(r) = d.replicas {
        o.put("replicas", Value::from(r));
    }
    o.strings("labels", &d.labels);
    if let Some(u) = &d.update_config {
        o.put("update_config", update_config(u));
    }
    if let Some(u) = &d.rollback_config {
        o.put("rollback_config", update_config(u));
    }
    // `resources` and `placement` are structs in compose-go: never left out.
    let mut resources = Obj::default();
    if let Some(l) = &d.resources.limits {
        resources.put("limits", resource(l));
    }
    if let Some(r) = &d.resources.reservations {
        resources.put("reservations", resource(r));
    }
    o.put("resources", resources.into());
    if let Some(r) = &d.restart_policy {
        let mut x = Obj::default();
        x.str("condition", r.condition.as_deref());
        x.duration("delay", r.delay);
        if let Some(n) = r.max_attempts {
            x.put("max_attempts", Value::from(n));
        }
        x.duration("window", r.window);
        o.put("restart_policy", x.into());
    }
    let mut placement = Obj::default();
    placement.list("constraints", &d.placement.constraints);
    if !d.placement.preferences.is_empty() {
        placement.put(
            "preferences",
            d.placement
                .preferences
                .iter()
                .map(|p| {
                    let mut x = Obj::default();
                    x.str("spread", Some(p));
                    Value::from(x)
                })
                .collect(),
        );
    }
    placement.uint("max_replicas_per_node", d.placement.max_replicas_per_node);
    o.put("placement", placement.into());
    o.str("endpoint_mode", d.endpoint_mode.as_deref());
    o.into()
}

fn update_config(u: &UpdateConfig) -> Value {
    let mut o = Obj::default();
    if let Some(p) = u.parallelism {
        o.put("parallelism", Value::from(p));
    }
    // Plain `Duration` fields in compose-go: zero is left out.
    o.duration("delay", u.delay.filter(|d| !d.is_zero()));
    o.str("failure_action", u.failure_action.as_deref());
    o.duration("monitor", u.monitor.filter(|d| !d.is_zero()));
    o.float("max_failure_ratio", u.max_failure_ratio);
    o.str("order", u.order.as_deref());
    o.into()
}

fn resource(r: &Resource) -> Value {
    let mut o = Obj::default();
    o.float("cpus", r.cpus);
    o.bytes("memory", r.memory.map(to_i64));
    o.int("pids", r.pids);
    if !r.devices.is_empty() {
        o.put("devices", r.devices.iter().map(device_request).collect());
    }
    o.into()
}

fn device_request(d: &DeviceRequest) -> Value {
    let mut o = Obj::default();
    o.list("capabilities", &d.capabilities);
    o.str("driver", d.driver.as_deref());
    o.int("count", d.count);
    o.list("device_ids", &d.device_ids);
    o.strings("options", &d.options);
    o.into()
}

/// `host[:container[:perms]]` → compose-go's `DeviceMapping`.
fn device(spec: &str) -> Value {
    let mut parts = spec.splitn(3, ':');
    let mut o = Obj::default();
    let source = parts.next().unwrap_or_default();
    o.str("source", Some(source));
    o.str("target", Some(parts.next().unwrap_or(source)));
    o.str("permissions", parts.next());
    o.into()
}

fn env_file(e: &super::model::EnvFileRef) -> Value {
    let path = path_text(&e.path);
    // compose-go writes a required env file as its bare path.
    if e.required {
        return Value::from(path);
    }
    let mut o = Obj::default();
    o.str("path", Some(&path));
    o.put("required", Value::Bool(false));
    o.str("format", e.format.as_deref());
    o.into()
}

fn healthcheck(h: &Healthcheck) -> Value {
    let mut o = Obj::default();
    o.list("test", &h.test);
    o.duration("timeout", h.timeout);
    o.duration("interval", h.interval);
    if let Some(r) = h.retries {
        o.put("retries", Value::from(r));
    }
    o.duration("start_period", h.start_period);
    o.duration("start_interval", h.start_interval);
    o.flag("disable", h.disable);
    o.into()
}

fn service_network(n: &ServiceNetwork) -> Value {
    let empty = n.aliases.is_empty()
        && n.ipv4_address.is_none()
        && n.ipv6_address.is_none()
        && n.link_local_ips.is_empty()
        && n.mac_address.is_none()
        && n.priority.is_none();
    if empty && !n.explicit {
        return Value::Null;
    }
    let mut o = Obj::default();
    o.int("priority", n.priority);
    o.list("aliases", &n.aliases);
    o.str("ipv4_address", n.ipv4_address.as_deref());
    o.str("ipv6_address", n.ipv6_address.as_deref());
    o.list("link_local_ips", &n.link_local_ips);
    o.str("mac_address", n.mac_address.as_deref());
    o.into()
}

fn port(p: &Port) -> Value {
    let mut o = Obj::default();
    o.str("name", p.name.as_deref());
    o.str("mode", p.mode.as_deref());
    o.str("host_ip", p.host_ip.as_deref());
    o.uint("target", Some(u64::from(p.target)));
    o.str("published", p.published.as_deref());
    o.str("protocol", Some(&p.protocol));
    o.str("app_protocol", p.app_protocol.as_deref());
    o.into()
}

fn service_volume(v: &ServiceVolume) -> Value {
    let mut o = Obj::default();
    o.str("type", Some(&v.kind));
    o.str("source", v.source.as_deref());
    o.str("target", Some(&v.target));
    o.flag("read_only", v.read_only);
    o.str("consistency", v.consistency.as_deref());
    if let Some(b) = &v.bind {
        let mut x = Obj::default();
        x.str("selinux", b.selinux.as_deref());
        x.str("propagation", b.propagation.as_deref());
        x.flag("create_host_path", b.create_host_path);
        o.put("bind", x.into());
    }
    if let Some(vo) = &v.volume {
        let mut x = Obj::default();
        x.flag("nocopy", vo.nocopy);
        x.str("subpath", vo.subpath.as_deref());
        o.put("volume", x.into());
    }
    if let Some(t) = &v.tmpfs {
        let mut x = Obj::default();
        x.bytes("size", t.size.map(to_i64));
        if let Some(m) = t.mode.filter(|m| *m != 0) {
            x.put("mode", Value::from(m));
        }
        o.put("tmpfs", x.into());
    }
    o.into()
}

fn network(n: &Network) -> Value {
    let mut o = Obj::default();
    o.str("name", Some(&n.name));
    o.str("driver", n.driver.as_deref());
    o.strings("driver_opts", &n.driver_opts);
    // `ipam` is a struct in compose-go: never left out.
    let mut ipam = Obj::default();
    if let Some(i) = &n.ipam {
        ipam.str("driver", i.driver.as_deref());
        if !i.config.is_empty() {
            ipam.put(
                "config",
                i.config
                    .iter()
                    .map(|c| {
                        let mut x = Obj::default();
                        x.str("subnet", c.subnet.as_deref());
                        x.str("gateway", c.gateway.as_deref());
                        x.str("ip_range", c.ip_range.as_deref());
                        x.strings("aux_addresses", &c.aux_addresses);
                        Value::from(x)
                    })
                    .collect(),
            );
        }
    }
    o.put("ipam", ipam.into());
    o.flag("external", n.external);
    o.flag("internal", n.internal);
    o.flag("attachable", n.attachable);
    o.strings("labels", &n.labels);
    if let Some(v6) = n.enable_ipv6 {
        o.put("enable_ipv6", Value::Bool(v6));
    }
    o.into()
}

fn volume(v: &Volume) -> Value {
    let mut o = Obj::default();
    o.str("name", Some(&v.name));
    o.str("driver", v.driver.as_deref());
    o.strings("driver_opts", &v.driver_opts);
    o.flag("external", v.external);
    o.strings("labels", &v.labels);
    o.into()
}

/// A top-level secret (`secret` true: its inline content is never printed) or config (its
/// content is printed unless it came from `environment`).
fn file_object(f: &FileObject, secret: bool) -> Value {
    let mut o = Obj::default();
    o.str("name", f.name.as_deref());
    o.str("file", f.file.as_deref().map(path_text).as_deref());
    o.str("environment", f.environment.as_deref());
    if !secret && f.environment.is_none() {
        o.str("content", f.content.as_deref());
    }
    o.flag("external", f.external);
    o.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_a_float32() {
        assert_eq!(go_f32(0.5).to_string(), "0.5");
        assert_eq!(go_f32(2.0).to_string(), "2");
        assert_eq!(go_f32(0.1).to_string(), "0.1");
        assert_eq!(go_f32(1.3).to_string(), "1.3");
    }

    #[test]
    fn html_characters_are_escaped_as_go_escapes_them() {
        let v = Value::from("a<b>&c");
        assert_eq!(go_compact(&v), r#""a\u003cb\u003e\u0026c""#);
    }

    #[test]
    fn the_hash_is_compose_s_for_a_minimal_service() {
        // `services: {db: {image: postgres}}`: compose 2.26 prints
        // `db e34dfcae…` for this service with `profiles: [x]`.
        let mut s = Service {
            image: Some("postgres".into()),
            profiles: vec!["x".into()],
            ..Service::default()
        };
        s.networks
            .insert("default".into(), ServiceNetwork::default());
        assert_eq!(
            go_compact(&service_value(&s, Env::Declared)),
            r#"{"profiles":["x"],"command":null,"entrypoint":null,"image":"postgres","networks":{"default":null}}"#
        );
        assert_eq!(
            config_hash(&s, Env::Declared),
            "e34dfcae38f223b926ed4ef42de9ff6e6820e446f03b0391f69a6b98f00be633"
        );
    }
}

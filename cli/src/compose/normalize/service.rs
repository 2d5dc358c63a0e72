//! One service: every supported key normalized, Swarm-only and unsupported-but-known keys
//! noted, unknown keys rejected.

use indexmap::IndexMap;
use serde_yaml_ng::Value;

use super::environment::Environment;
use super::{Ctx, Result, scalar};
use crate::compose::model::{
    BuildConfig, Condition, DependsOn, Healthcheck, Logging, Service, ServiceFileRef,
    ServiceNetwork, Ulimit,
};

/// Service keys devenv supports.
pub(super) const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "volumes_from",
    "tmpfs",
    "networks",
    "network_mode",
    "depends_on",
    "links",
    "healthcheck",
    "restart",
    "labels",
    "annotations",
    "working_dir",
    "user",
    "hostname",
    "domainname",
    "container_name",
    "stop_signal",
    "stop_grace_period",
    "init",
    "cap_add",
    "cap_drop",
    "extra_hosts",
    "secrets",
    "configs",
    "platform",
    "stdin_open",
    "tty",
    "sysctls",
    "ulimits",
    "runtime",
    "profiles",
    "pull_policy",
    "privileged",
    "read_only",
    "shm_size",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "cpus",
    "cpu_shares",
    "pids_limit",
    "dns",
    "dns_search",
    "dns_opt",
    "devices",
    "security_opt",
    "group_add",
    "ipc",
    "pid",
    "userns_mode",
    "mac_address",
    "logging",
    "extends",
    "deploy",
    "scale",
    "attach",
    "device_cgroup_rules",
];

/// Service keys compose knows that devenv accepts but does not apply (each gets a note).
pub(super) const SERVICE_IGNORED: &[&str] = &[
    "develop",
    "blkio_config",
    "cgroup",
    "cgroup_parent",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_runtime",
    "cpu_rt_period",
    "cpuset",
    "credential_spec",
    "external_links",
    "gpus",
    "isolation",
    "label_file",
    "mem_swappiness",
    "oom_kill_disable",
    "oom_score_adj",
    "storage_opt",
    "uts",
    "use_api_socket",
    "post_start",
    "pre_stop",
    "models",
    "provider",
];

const BUILD_KEYS: &[&str] = &[
    "context",
    "dockerfile",
    "args",
    "target",
    "labels",
    "cache_from",
    "network",
    "extra_hosts",
    "shm_size",
    "no_cache",
    "pull",
];
const BUILD_IGNORED: &[&str] = &[
    "ssh",
    "secrets",
    "platforms",
    "tags",
    "cache_to",
    "isolation",
    "privileged",
    "additional_contexts",
    "dockerfile_inline",
    "entitlements",
    "ulimits",
];
const HEALTH_KEYS: &[&str] = &[
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "start_interval",
    "disable",
];
const NETWORK_KEYS: &[&str] = &[
    "aliases",
    "ipv4_address",
    "ipv6_address",
    "link_local_ips",
    "mac_address",
    "priority",
    "gw_priority",
    "driver_opts",
    "interface_name",
];

/// Normalize one service definition.
pub(crate) fn service(ctx: &mut Ctx<'_>, name: &str, v: &Value) -> Result<Service> {
    let mut s = Service::default();
    let mut env = Environment::default();
    if !matches!(v, Value::Mapping(_) | Value::Null) {
        return Err(ctx.expected("a mapping of service options", v));
    }
    for (key, val) in ctx.entries(v)? {
        ctx.at(&key, |c| service_key(c, name, &mut s, &mut env, &key, val))?;
    }
    env.resolve_into(ctx, &mut s);
    super::consistency::implicit_dependencies(&mut s);
    super::consistency::check(ctx, name, &mut s)?;
    if s.network_mode.is_some() && !s.networks.is_empty() {
        return Err(ctx.at("network_mode", |c| {
            Ok(c.err(format!(
                "service `{name}` sets both `network_mode` and `networks`; use one"
            )))
        })?);
    }
    Ok(s)
}

/// One key of service `name`: normalized into `s` (or `env`), noted when ignored, rejected
/// when unknown.
fn service_key(
    c: &mut Ctx<'_>,
    name: &str,
    s: &mut Service,
    env: &mut Environment,
    key: &str,
    val: &Value,
) -> Result<()> {
    match key {
        "environment" => env.environment = c.opt_map(val)?,
        "env_file" => env.files = super::environment::env_file(c, val)?,
        "extends" => {
            // Resolved before normalization; reaching here means it was left in.
            return Err(c.err("`extends` could not be resolved"));
        }
        _ if container_key(c, s, key, val)?
            || network_key(c, s, key, val)?
            || storage_key(c, s, key, val)?
            || limits_key(c, s, key, val)? => {}
        k if SERVICE_IGNORED.contains(&k) => {
            s.ignored_keys.push(k.to_string());
            c.note(format!(
                "service `{name}`: `{k}` is not supported by devenv and was ignored"
            ));
        }
        _ => {
            let mut known = SERVICE_KEYS.to_vec();
            known.extend_from_slice(SERVICE_IGNORED);
            return Err(c.unknown_key_here(&known));
        }
    }
    Ok(())
}

/// What the container runs and how: image, command, identity, lifecycle, health, labels,
/// start order;
/// `Ok(false)` when `key` is not one of them.
fn container_key(c: &mut Ctx<'_>, s: &mut Service, key: &str, val: &Value) -> Result<bool> {
    match key {
        "image" => s.image = c.opt_string(val)?,
        "build" => s.build = Some(build(c, val)?),
        "command" => s.command = c.command(val)?,
        "entrypoint" => s.entrypoint = c.command(val)?,
        "working_dir" => s.working_dir = c.opt_string(val)?,
        "user" => s.user = c.opt_string(val)?,
        "hostname" => s.hostname = c.opt_string(val)?,
        "domainname" => s.domainname = c.opt_string(val)?,
        "container_name" => s.container_name = c.opt_string(val)?,
        "stop_signal" => s.stop_signal = c.opt_string(val)?,
        "stop_grace_period" => s.stop_grace_period = Some(c.duration(val)?),
        "init" => s.init = Some(c.bool(val)?),
        "platform" => s.platform = c.opt_string(val)?,
        "stdin_open" => s.stdin_open = c.bool(val)?,
        "tty" => s.tty = c.bool(val)?,
        "runtime" => s.runtime = c.opt_string(val)?,
        "profiles" => s.profiles = c.strings(val, false)?,
        "pull_policy" => s.pull_policy = pull_policy(c, val)?,
        "restart" => s.restart = restart(c, val)?,
        "healthcheck" => s.healthcheck = Some(healthcheck(c, val)?),
        "labels" => s.labels = c.string_map(val)?,
        "annotations" => s.annotations = c.string_map(val)?,
        "logging" => s.logging = Some(logging(c, val)?),
        "depends_on" => s.depends_on = depends_on(c, val)?,
        "attach" => s.attach = Some(c.bool(val)?),
        "scale" => s.scale = Some(c.replicas(val)?),
        "deploy" => s.deploy = Some(super::deploy::deploy(c, val)?),
        _ => return Ok(false),
    }
    Ok(true)
}

/// Ports and networking: published and exposed ports, networks, links, DNS, hosts;
/// `Ok(false)` when `key` is not one of them.
fn network_key(c: &mut Ctx<'_>, s: &mut Service, key: &str, val: &Value) -> Result<bool> {
    match key {
        "ports" => s.ports = c.ports(val)?,
        "expose" => s.expose = c.expose(val)?,
        "networks" => s.networks = networks(c, val)?,
        "network_mode" => s.network_mode = c.opt_string(val)?,
        "links" => s.links = c.strings(val, false)?,
        "extra_hosts" => s.extra_hosts = extra_hosts(c, val)?,
        "dns" => s.dns = c.strings(val, true)?,
        "dns_search" => s.dns_search = c.strings(val, true)?,
        "dns_opt" => s.dns_opt = c.strings(val, false)?,
        "mac_address" => s.mac_address = c.opt_string(val)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Storage and files: volumes, tmpfs, secrets, configs, devices;
/// `Ok(false)` when `key` is not one of them.
fn storage_key(c: &mut Ctx<'_>, s: &mut Service, key: &str, val: &Value) -> Result<bool> {
    match key {
        "volumes" => s.volumes = c.service_volumes(val)?,
        "volumes_from" => s.volumes_from = c.strings(val, false)?,
        "tmpfs" => s.tmpfs = c.strings(val, true)?,
        "secrets" => s.secrets = file_refs(c, val)?,
        "configs" => s.configs = file_refs(c, val)?,
        "devices" => s.devices = devices(c, val)?,
        "device_cgroup_rules" => s.device_cgroup_rules = c.strings(val, false)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Resource limits and privileges: memory, CPU, pids, capabilities, namespaces;
/// `Ok(false)` when `key` is not one of them.
fn limits_key(c: &mut Ctx<'_>, s: &mut Service, key: &str, val: &Value) -> Result<bool> {
    match key {
        "privileged" => s.privileged = c.bool(val)?,
        "read_only" => s.read_only = c.bool(val)?,
        "cap_add" => s.cap_add = c.strings(val, false)?,
        "cap_drop" => s.cap_drop = c.strings(val, false)?,
        "sysctls" => s.sysctls = c.string_map(val)?,
        "ulimits" => s.ulimits = ulimits(c, val)?,
        "shm_size" => s.shm_size = Some(c.bytes(val)?),
        "mem_limit" => s.mem_limit = Some(c.bytes(val)?),
        "mem_reservation" => s.mem_reservation = Some(c.bytes(val)?),
        "memswap_limit" => {
            s.memswap_limit = Some(match c.int(val) {
                Ok(n) => n,
                Err(_) => i64::try_from(c.bytes(val)?).unwrap_or(i64::MAX),
            });
        }
        "cpus" => s.cpus = Some(c.float(val)?),
        "cpu_shares" => s.cpu_shares = Some(c.int(val)?),
        "pids_limit" => s.pids_limit = Some(c.int(val)?),
        "security_opt" => s.security_opt = c.strings(val, false)?,
        "group_add" => s.group_add = c.strings(val, false)?,
        "ipc" => s.ipc = c.opt_string(val)?,
        "pid" => s.pid = c.opt_string(val)?,
        "userns_mode" => s.userns_mode = c.opt_string(val)?,
        _ => return Ok(false),
    }
    Ok(true)
}
fn build(c: &mut Ctx<'_>, v: &Value) -> Result<BuildConfig> {
    let mut b = BuildConfig {
        dockerfile: "Dockerfile".into(),
        ..BuildConfig::default()
    };
    let mut context = ".".to_string();
    match v {
        Value::Mapping(_) => {
            for (key, val) in c.entries(v)? {
                c.at(&key, |c| {
                    match key.as_str() {
                        "context" => context = c.string(val)?,
                        "dockerfile" => b.dockerfile = c.string(val)?,
                        "args" => {
                            for (k, value) in c.opt_map(val)? {
                                if let Some(value) = value.or_else(|| c.env.get(&k).cloned()) {
                                    b.args.insert(k, value);
                                }
                            }
                        }
                        "target" => b.target = c.opt_string(val)?,
                        "labels" => b.labels = c.string_map(val)?,
                        "cache_from" => b.cache_from = c.strings(val, false)?,
                        "network" => b.network = c.opt_string(val)?,
                        "extra_hosts" => b.extra_hosts = extra_hosts(c, val)?,
                        "shm_size" => b.shm_size = Some(c.bytes(val)?),
                        "no_cache" => b.no_cache = c.bool(val)?,
                        "pull" => b.pull = c.bool(val)?,
                        k if BUILD_IGNORED.contains(&k) => {
                            let what = c.context();
                            c.note(format!(
                                "{what}: `build.{k}` is not supported by devenv and was ignored"
                            ));
                        }
                        _ => {
                            let mut known = BUILD_KEYS.to_vec();
                            known.extend_from_slice(BUILD_IGNORED);
                            return Err(c.unknown_key_here(&known));
                        }
                    }
                    Ok(())
                })?;
            }
        }
        other => context = c.string(other)?,
    }
    b.context = if context.contains("://") || context.starts_with("git@") {
        std::path::PathBuf::from(context)
    } else {
        c.host_path(&context)
    };
    Ok(b)
}

fn networks(c: &mut Ctx<'_>, v: &Value) -> Result<IndexMap<String, ServiceNetwork>> {
    let mut out = IndexMap::new();
    if let Value::Sequence(_) = v {
        for name in c.strings(v, false)? {
            out.insert(name, ServiceNetwork::default());
        }
        return Ok(out);
    }
    for (name, val) in c.entries(v)? {
        let net = c.at(&name, |c| {
            let mut n = ServiceNetwork {
                explicit: matches!(val, Value::Mapping(_)),
                ..ServiceNetwork::default()
            };
            for (key, x) in c.entries(val)? {
                c.at(&key, |c| {
                    match key.as_str() {
                        "aliases" => n.aliases = c.strings(x, false)?,
                        "ipv4_address" => n.ipv4_address = c.opt_string(x)?,
                        "ipv6_address" => n.ipv6_address = c.opt_string(x)?,
                        "link_local_ips" => n.link_local_ips = c.strings(x, false)?,
                        "mac_address" => n.mac_address = c.opt_string(x)?,
                        "priority" => n.priority = Some(c.int(x)?),
                        "gw_priority" | "driver_opts" | "interface_name" => {
                            let what = c.context();
                            c.note(format!(
                                "{what}: `{key}` is not supported by devenv and was ignored"
                            ));
                        }
                        _ => return Err(c.unknown_key_here(NETWORK_KEYS)),
                    }
                    Ok(())
                })?;
            }
            Ok(n)
        })?;
        out.insert(name, net);
    }
    Ok(out)
}

fn depends_on(c: &mut Ctx<'_>, v: &Value) -> Result<IndexMap<String, DependsOn>> {
    let mut out = IndexMap::new();
    if let Value::Sequence(_) = v {
        for name in c.strings(v, false)? {
            out.insert(name, DependsOn::default());
        }
        return Ok(out);
    }
    for (name, val) in c.entries(v)? {
        let dep = c.at(&name, |c| {
            let mut d = DependsOn::default();
            for (key, x) in c.entries(val)? {
                c.at(&key, |c| {
                    match key.as_str() {
                        "condition" => {
                            d.condition = match c.string(x)?.as_str() {
                                "service_started" => Condition::ServiceStarted,
                                "service_healthy" => Condition::ServiceHealthy,
                                "service_completed_successfully" => {
                                    Condition::ServiceCompletedSuccessfully
                                }
                                other => {
                                    return Err(c.err(format!(
                                        "condition `{other}` must be service_started, service_healthy or service_completed_successfully"
                                    )));
                                }
                            }
                        }
                        "restart" => d.restart = c.bool(x)?,
                        "required" => d.required = c.bool(x)?,
                        _ => return Err(c.unknown_key_here(&["condition", "restart", "required"])),
                    }
                    Ok(())
                })?;
            }
            Ok(d)
        })?;
        out.insert(name, dep);
    }
    Ok(out)
}

fn healthcheck(c: &mut Ctx<'_>, v: &Value) -> Result<Healthcheck> {
    let mut h = Healthcheck::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "test" => {
                    h.test = match val {
                        Value::Null => Vec::new(),
                        Value::Sequence(_) => {
                            let items = c.strings(val, false)?;
                            match items.first().map(String::as_str) {
                                Some("NONE" | "CMD" | "CMD-SHELL") => items,
                                _ => {
                                    return Err(c.err(
                                        "a healthcheck `test` list must start with CMD, CMD-SHELL or NONE",
                                    ));
                                }
                            }
                        }
                        other => vec!["CMD-SHELL".to_string(), c.string(other)?],
                    }
                }
                "interval" => h.interval = Some(c.duration(val)?),
                "timeout" => h.timeout = Some(c.duration(val)?),
                "start_period" => h.start_period = Some(c.duration(val)?),
                "start_interval" => h.start_interval = Some(c.duration(val)?),
                "retries" => h.retries = Some(c.uint(val)?),
                "disable" => h.disable = c.bool(val)?,
                _ => return Err(c.unknown_key_here(HEALTH_KEYS)),
            }
            Ok(())
        })?;
    }
    // `disable: true` and `test: [NONE]` both turn the check off; each is kept as written,
    // as compose keeps them (they hash differently).
    Ok(h)
}

fn restart(c: &Ctx<'_>, v: &Value) -> Result<Option<String>> {
    let Some(r) = c.opt_string(v)? else {
        return Ok(None);
    };
    let ok = match r.split_once(':') {
        Some(("on-failure", n)) => n.parse::<u32>().is_ok(),
        None => matches!(
            r.as_str(),
            "no" | "always" | "on-failure" | "unless-stopped"
        ),
        _ => false,
    };
    if !ok {
        return Err(c.err(format!(
            "restart policy `{r}` must be no, always, on-failure[:N] or unless-stopped"
        )));
    }
    Ok(Some(r))
}

fn pull_policy(c: &Ctx<'_>, v: &Value) -> Result<Option<String>> {
    let Some(p) = c.opt_string(v)? else {
        return Ok(None);
    };
    match p.as_str() {
        "always" | "never" | "missing" | "build" => Ok(Some(p)),
        "if_not_present" => Ok(Some("missing".into())),
        _ => Err(c.err(format!(
            "pull_policy `{p}` must be always, never, missing or build"
        ))),
    }
}

fn extra_hosts(c: &Ctx<'_>, v: &Value) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match v {
        Value::Mapping(m) => {
            for (k, val) in m {
                let host = super::key_string(k);
                for ip in c.strings(val, true)? {
                    out.push(format!("{host}:{}", unbracket(&ip)));
                }
            }
        }
        _ => {
            for entry in c.strings(v, false)? {
                let (host, ip) = match (entry.split_once('='), entry.split_once(':')) {
                    (Some(eq), _) => eq,
                    (None, Some(colon)) => colon,
                    (None, None) => {
                        return Err(c.err(format!("extra host `{entry}` must be `host:ip`")));
                    }
                };
                // `host:ip1,ip2` is one entry per address, as in compose.
                for ip in ip.split(',') {
                    out.push(format!("{host}:{}", unbracket(ip)));
                }
            }
        }
    }
    Ok(out)
}

/// `[::1]` → `::1` (compose drops the brackets of an IPv6 address).
fn unbracket(ip: &str) -> &str {
    ip.strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(ip)
}

fn file_refs(c: &mut Ctx<'_>, v: &Value) -> Result<Vec<ServiceFileRef>> {
    let Value::Sequence(seq) = v else {
        if matches!(v, Value::Null) {
            return Ok(Vec::new());
        }
        return Err(c.expected("a list", v));
    };
    c.each_item(seq, file_ref)
}

/// A secret or config name, or `{source, target, uid, gid, mode}`.
fn file_ref(c: &mut Ctx<'_>, item: &Value) -> Result<ServiceFileRef> {
    if let Some(source) = scalar(item) {
        return Ok(ServiceFileRef {
            source,
            ..ServiceFileRef::default()
        });
    }
    let mut r = ServiceFileRef::default();
    for (key, val) in c.entries(item)? {
        c.at(&key, |c| {
            match key.as_str() {
                "source" => r.source = c.string(val)?,
                "target" => r.target = c.opt_string(val)?,
                "uid" => r.uid = c.opt_string(val)?,
                "gid" => r.gid = c.opt_string(val)?,
                "mode" => r.mode = Some(c.file_mode(val)?),
                _ => {
                    return Err(c.unknown_key_here(&["source", "target", "uid", "gid", "mode"]));
                }
            }
            Ok(())
        })?;
    }
    if r.source.is_empty() {
        return Err(c.err("each entry needs `source`"));
    }
    Ok(r)
}

fn ulimits(c: &mut Ctx<'_>, v: &Value) -> Result<IndexMap<String, Ulimit>> {
    let mut out = IndexMap::new();
    for (name, val) in c.entries(v)? {
        let limit = c.at(&name, |c| match val {
            Value::Mapping(_) => {
                let (mut soft, mut hard) = (None, None);
                for (key, x) in c.entries(val)? {
                    c.at(&key, |c| {
                        match key.as_str() {
                            "soft" => soft = Some(c.int(x)?),
                            "hard" => hard = Some(c.int(x)?),
                            _ => return Err(c.unknown_key_here(&["soft", "hard"])),
                        }
                        Ok(())
                    })?;
                }
                match (soft, hard) {
                    (Some(soft), Some(hard)) => Ok(Ulimit {
                        soft,
                        hard,
                        single: false,
                    }),
                    _ => Err(c.err("a ulimit needs both `soft` and `hard`")),
                }
            }
            other => {
                let n = c.int(other)?;
                Ok(Ulimit {
                    soft: n,
                    hard: n,
                    single: true,
                })
            }
        })?;
        out.insert(name, limit);
    }
    Ok(out)
}

fn devices(c: &mut Ctx<'_>, v: &Value) -> Result<Vec<String>> {
    let Value::Sequence(seq) = v else {
        return c.strings(v, false);
    };
    c.each_item(seq, device)
}

/// `HOST[:CONTAINER[:PERMISSIONS]]` (permissions `rwm`, as in compose) or the long form, as
/// `HOST:CONTAINER[:PERMISSIONS]`.
fn device(c: &mut Ctx<'_>, item: &Value) -> Result<String> {
    if let Some(s) = scalar(item) {
        let parts: Vec<&str> = s.split(':').collect();
        let (source, target, perms) = match parts.as_slice() {
            [h] => (*h, *h, "rwm"),
            [h, t] => (*h, *t, "rwm"),
            [h, t, p] => (*h, *t, *p),
            _ => {
                return Err(c.err(format!(
                    "confusing device mapping `{s}`: use the long syntax"
                )));
            }
        };
        let target = if target.is_empty() { source } else { target };
        return Ok(format!("{source}:{target}:{perms}"));
    }
    let (mut source, mut target, mut perms) = (String::new(), None, None);
    for (key, val) in c.entries(item)? {
        c.at(&key, |c| {
            match key.as_str() {
                "source" => source = c.string(val)?,
                "target" => target = c.opt_string(val)?,
                "permissions" => perms = c.opt_string(val)?,
                _ => return Err(c.unknown_key_here(&["source", "target", "permissions"])),
            }
            Ok(())
        })?;
    }
    let target = target.unwrap_or_else(|| source.clone());
    Ok(match perms {
        Some(p) => format!("{source}:{target}:{p}"),
        None => format!("{source}:{target}"),
    })
}

fn logging(c: &mut Ctx<'_>, v: &Value) -> Result<Logging> {
    let mut l = Logging::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "driver" => l.driver = c.opt_string(val)?,
                "options" => l.options = c.string_map(val)?,
                _ => return Err(c.unknown_key_here(&["driver", "options"])),
            }
            Ok(())
        })?;
    }
    Ok(l)
}

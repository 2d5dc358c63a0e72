//! One compose document (a file, or several merged): its top-level keys (`name`, `services`,
//! `version` noted as obsolete, anything else rejected) and the project-wide objects it
//! declares: networks (with IPAM), volumes, secrets and configs.

use indexmap::IndexMap;
use serde_yaml_ng::Value;

use super::{Ctx, Result, service};
use crate::compose::model::{FileObject, Ipam, IpamPool, Network, Service, Volume};

pub(super) const TOP_KEYS: &[&str] = &[
    "name", "services", "networks", "volumes", "secrets", "configs", "version",
];

/// One document (a file, or several merged), normalized but not yet cross-checked.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub name: Option<String>,
    /// False when the document has no `services` key at all.
    pub has_services: bool,
    pub services: IndexMap<String, Service>,
    pub networks: IndexMap<String, Network>,
    pub volumes: IndexMap<String, Volume>,
    pub secrets: IndexMap<String, FileObject>,
    pub configs: IndexMap<String, FileObject>,
}

/// Normalize a whole document. `project` prefixes network and volume names.
pub(crate) fn document(ctx: &mut Ctx<'_>, v: &Value, project: &str) -> Result<Document> {
    let mut doc = Document::default();
    if !matches!(v, Value::Mapping(_) | Value::Null) {
        return Err(ctx.err(format!(
            "a compose file must be a mapping with `services:` at the top, not {}",
            match v {
                Value::Sequence(_) => "a list",
                _ => "a single value",
            }
        )));
    }
    for (key, val) in ctx.entries(v)? {
        ctx.at(&key, |c| {
            match key.as_str() {
                "name" => doc.name = c.opt_string(val)?,
                "version" => {
                    c.note("the top-level `version` is obsolete and was ignored".to_string());
                }
                "services" => {
                    doc.has_services = true;
                    for (name, sv) in c.entries(val)? {
                        let s = c.at(&name, |c| service(c, &name, sv))?;
                        doc.services.insert(name, s);
                    }
                }
                "networks" => {
                    for (name, nv) in c.entries(val)? {
                        let n = c.at(&name, |c| network(c, &name, nv, project))?;
                        doc.networks.insert(name, n);
                    }
                }
                "volumes" => {
                    for (name, vv) in c.entries(val)? {
                        let vol = c.at(&name, |c| volume(c, &name, vv, project))?;
                        doc.volumes.insert(name, vol);
                    }
                }
                "secrets" | "configs" => {
                    for (name, fv) in c.entries(val)? {
                        let f = c.at(&name, |c| file_object(c, &name, fv, &key, project))?;
                        if key == "secrets" {
                            doc.secrets.insert(name, f);
                        } else {
                            doc.configs.insert(name, f);
                        }
                    }
                }
                "include" => {
                    // Imported before normalization; reaching here means it was left in.
                    return Err(c.err("`include` could not be resolved"));
                }
                _ => return Err(c.unknown_key_here(TOP_KEYS)),
            }
            Ok(())
        })?;
    }
    Ok(doc)
}

/// `external: true`, or the legacy `external: {name: x}` (returns the name).
fn external(c: &mut Ctx<'_>, v: &Value) -> Result<(bool, Option<String>)> {
    match v {
        Value::Mapping(_) => {
            let mut name = None;
            for (key, x) in c.entries(v)? {
                c.at(&key, |c| {
                    match key.as_str() {
                        "name" => name = c.opt_string(x)?,
                        _ => return Err(c.unknown_key_here(&["name"])),
                    }
                    Ok(())
                })?;
            }
            Ok((true, name))
        }
        other => Ok((c.bool(other)?, None)),
    }
}

fn network(c: &mut Ctx<'_>, key: &str, v: &Value, project: &str) -> Result<Network> {
    let mut n = Network::default();
    let mut explicit_name = None;
    for (k, x) in c.entries(v)? {
        c.at(&k, |c| {
            match k.as_str() {
                "name" => explicit_name = c.opt_string(x)?,
                "driver" => n.driver = c.opt_string(x)?,
                "driver_opts" => n.driver_opts = c.string_map(x)?,
                "external" => {
                    let (ext, name) = external(c, x)?;
                    n.external = ext;
                    if name.is_some() {
                        explicit_name = name;
                    }
                }
                "labels" => n.labels = c.string_map(x)?,
                "ipam" => n.ipam = Some(ipam(c, x)?),
                "internal" => n.internal = c.bool(x)?,
                "attachable" => n.attachable = c.bool(x)?,
                "enable_ipv6" => n.enable_ipv6 = Some(c.bool(x)?),
                "enable_ipv4" => {
                    let what = c.context();
                    c.note(format!("{what}: not supported by devenv and was ignored"));
                }
                _ => {
                    return Err(c.unknown_key_here(&[
                        "name",
                        "driver",
                        "driver_opts",
                        "external",
                        "labels",
                        "ipam",
                        "internal",
                        "attachable",
                        "enable_ipv6",
                        "enable_ipv4",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    n.name = engine_name(key, explicit_name, n.external, project);
    Ok(n)
}

fn engine_name(key: &str, explicit: Option<String>, external: bool, project: &str) -> String {
    match explicit {
        Some(name) => name,
        None if external => key.to_string(),
        None => format!("{project}_{key}"),
    }
}

fn ipam(c: &mut Ctx<'_>, v: &Value) -> Result<Ipam> {
    let mut i = Ipam::default();
    for (k, x) in c.entries(v)? {
        c.at(&k, |c| {
            match k.as_str() {
                "driver" => i.driver = c.opt_string(x)?,
                "options" => i.options = c.string_map(x)?,
                "config" => {
                    let Value::Sequence(seq) = x else {
                        return Err(c.expected("a list", x));
                    };
                    for item in seq {
                        let mut pool = IpamPool::default();
                        for (pk, px) in c.entries(item)? {
                            c.at(&pk, |c| {
                                match pk.as_str() {
                                    "subnet" => pool.subnet = c.opt_string(px)?,
                                    "ip_range" => pool.ip_range = c.opt_string(px)?,
                                    "gateway" => pool.gateway = c.opt_string(px)?,
                                    "aux_addresses" => pool.aux_addresses = c.string_map(px)?,
                                    _ => {
                                        return Err(c.unknown_key_here(&[
                                            "subnet",
                                            "ip_range",
                                            "gateway",
                                            "aux_addresses",
                                        ]));
                                    }
                                }
                                Ok(())
                            })?;
                        }
                        i.config.push(pool);
                    }
                }
                _ => return Err(c.unknown_key_here(&["driver", "config", "options"])),
            }
            Ok(())
        })?;
    }
    Ok(i)
}

fn volume(c: &mut Ctx<'_>, key: &str, v: &Value, project: &str) -> Result<Volume> {
    let mut vol = Volume::default();
    let mut explicit_name = None;
    for (k, x) in c.entries(v)? {
        c.at(&k, |c| {
            match k.as_str() {
                "name" => explicit_name = c.opt_string(x)?,
                "driver" => vol.driver = c.opt_string(x)?,
                "driver_opts" => vol.driver_opts = c.string_map(x)?,
                "external" => {
                    let (ext, name) = external(c, x)?;
                    vol.external = ext;
                    if name.is_some() {
                        explicit_name = name;
                    }
                }
                "labels" => vol.labels = c.string_map(x)?,
                _ => {
                    return Err(c.unknown_key_here(&[
                        "name",
                        "driver",
                        "driver_opts",
                        "external",
                        "labels",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    vol.name = engine_name(key, explicit_name, vol.external, project);
    Ok(vol)
}

fn file_object(
    c: &mut Ctx<'_>,
    key: &str,
    v: &Value,
    section: &str,
    project: &str,
) -> Result<FileObject> {
    let mut f = FileObject::default();
    let mut explicit_name = None;
    for (k, x) in c.entries(v)? {
        c.at(&k, |c| {
            match k.as_str() {
                "name" => explicit_name = c.opt_string(x)?,
                "file" => f.file = Some(c.host_path(&c.string(x)?)),
                "environment" => f.environment = c.opt_string(x)?,
                "content" if section == "configs" => f.content = c.opt_string(x)?,
                "external" => {
                    let (ext, name) = external(c, x)?;
                    f.external = ext;
                    if name.is_some() {
                        explicit_name = name;
                    }
                }
                "labels" | "driver" | "driver_opts" | "template_driver" => {
                    let what = c.context();
                    c.note(format!("{what}: `{k}` is Swarm-only and was ignored"));
                }
                _ => {
                    let mut known = vec!["name", "file", "environment", "external", "labels"];
                    if section == "configs" {
                        known.push("content");
                    }
                    return Err(c.unknown_key_here(&known));
                }
            }
            Ok(())
        })?;
    }
    check_one_source(c, key, section, &f)?;
    f.name = Some(engine_name(key, explicit_name, f.external, project));
    Ok(f)
}

/// A secret or config comes from exactly one of `file`, `environment`, `content`, `external`.
fn check_one_source(c: &Ctx<'_>, key: &str, section: &str, f: &FileObject) -> Result<()> {
    let sources = [
        f.file.is_some(),
        f.environment.is_some(),
        f.content.is_some(),
        f.external,
    ];
    let kind = &section[..section.len() - 1];
    match sources.iter().filter(|b| **b).count() {
        1 => Ok(()),
        0 => Err(c.err(format!(
            "{kind} `{key}` needs one of `file`, `environment`{} or `external`",
            if section == "configs" {
                ", `content`"
            } else {
                ""
            }
        ))),
        _ => Err(c.err(format!(
            "{kind} `{key}` may have only one of `file`, `environment`, `content`, `external`"
        ))),
    }
}

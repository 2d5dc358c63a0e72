//! A service's `deploy:`. Compose v2 applies `resources` (limits: cpus, memory, pids;
//! reservations: memory and devices), `restart_policy` and `replicas` to plain containers;
//! the Swarm-only rest (`mode`, `labels`, `update_config`, `rollback_config`, `placement`,
//! `endpoint_mode`) is kept so `devenv config` and the config hash match compose's.

use serde_yaml_ng::Value;

use super::{Ctx, Result};
use crate::compose::model::{
    Deploy, DeployRestartPolicy, DeviceRequest, Placement, Resource, Resources, UpdateConfig,
};

const DEPLOY_KEYS: &[&str] = &[
    "mode",
    "replicas",
    "labels",
    "update_config",
    "rollback_config",
    "resources",
    "restart_policy",
    "placement",
    "endpoint_mode",
];

pub(super) fn deploy(c: &mut Ctx<'_>, v: &Value) -> Result<Deploy> {
    let mut d = Deploy::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "mode" => d.mode = c.opt_string(val)?,
                "replicas" => d.replicas = Some(c.replicas(val)?),
                "labels" => d.labels = c.string_map(val)?,
                "update_config" => d.update_config = Some(update_config(c, val)?),
                "rollback_config" => d.rollback_config = Some(update_config(c, val)?),
                "resources" => d.resources = resources(c, val)?,
                "restart_policy" => d.restart_policy = Some(restart_policy(c, val)?),
                "placement" => d.placement = placement(c, val)?,
                "endpoint_mode" => d.endpoint_mode = c.opt_string(val)?,
                _ => return Err(c.unknown_key_here(DEPLOY_KEYS)),
            }
            Ok(())
        })?;
    }
    Ok(d)
}

impl Ctx<'_> {
    /// A container count (`replicas`, `scale`).
    pub(super) fn replicas(&self, v: &Value) -> Result<u32> {
        let n = self.uint(v)?;
        u32::try_from(n).map_err(|_| self.expected("a number of containers", v))
    }

    /// A 32-bit float, as compose keeps `cpus`.
    pub(super) fn cpus(&self, v: &Value) -> Result<f32> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "compose keeps cpus as a 32-bit float"
        )]
        self.float(v).map(|f| f as f32)
    }
}

fn resources(c: &mut Ctx<'_>, v: &Value) -> Result<Resources> {
    let mut r = Resources::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "limits" => r.limits = Some(resource(c, val)?),
                "reservations" => r.reservations = Some(resource(c, val)?),
                _ => return Err(c.unknown_key_here(&["limits", "reservations"])),
            }
            Ok(())
        })?;
    }
    Ok(r)
}

fn resource(c: &mut Ctx<'_>, v: &Value) -> Result<Resource> {
    let mut r = Resource::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "cpus" => r.cpus = Some(c.cpus(val)?),
                "memory" => r.memory = Some(c.bytes(val)?),
                "pids" => r.pids = Some(c.int(val)?),
                "devices" => r.devices = device_requests(c, val)?,
                "generic_resources" => {
                    let what = c.context();
                    c.note(format!(
                        "{what}: `generic_resources` is Swarm-only and was ignored"
                    ));
                }
                _ => {
                    return Err(c.unknown_key_here(&[
                        "cpus",
                        "memory",
                        "pids",
                        "devices",
                        "generic_resources",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    Ok(r)
}

fn device_requests(c: &mut Ctx<'_>, v: &Value) -> Result<Vec<DeviceRequest>> {
    let Value::Sequence(items) = v else {
        return Err(c.expected("a list", v));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let d = c.at(&format!("[{i}]"), |c| device_request(c, item))?;
        out.push(d);
    }
    Ok(out)
}

fn device_request(c: &mut Ctx<'_>, v: &Value) -> Result<DeviceRequest> {
    let mut d = DeviceRequest::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "capabilities" => d.capabilities = c.strings(val, false)?,
                "driver" => d.driver = c.opt_string(val)?,
                "count" => d.count = Some(device_count(c, val)?),
                "device_ids" => d.device_ids = c.strings(val, false)?,
                "options" => d.options = c.string_map(val)?,
                _ => {
                    return Err(c.unknown_key_here(&[
                        "capabilities",
                        "driver",
                        "count",
                        "device_ids",
                        "options",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    // compose-go's default: every device when neither a count nor ids are given.
    if d.count.is_none() && d.device_ids.is_empty() {
        d.count = Some(-1);
    }
    Ok(d)
}

/// A number, or `all` (-1, as the engine takes it).
fn device_count(c: &Ctx<'_>, v: &Value) -> Result<i64> {
    if let Value::String(s) = v
        && s.eq_ignore_ascii_case("all")
    {
        return Ok(-1);
    }
    c.int(v)
        .map_err(|_| c.err("`count` must be a number or `all`"))
}

fn restart_policy(c: &mut Ctx<'_>, v: &Value) -> Result<DeployRestartPolicy> {
    let mut r = DeployRestartPolicy::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "condition" => r.condition = c.opt_string(val)?,
                "delay" => r.delay = Some(c.duration(val)?),
                "max_attempts" => r.max_attempts = Some(c.uint(val)?),
                "window" => r.window = Some(c.duration(val)?),
                _ => {
                    return Err(c.unknown_key_here(&[
                        "condition",
                        "delay",
                        "max_attempts",
                        "window",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    Ok(r)
}

fn update_config(c: &mut Ctx<'_>, v: &Value) -> Result<UpdateConfig> {
    let mut u = UpdateConfig::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "parallelism" => u.parallelism = Some(c.uint(val)?),
                "delay" => u.delay = Some(c.duration(val)?),
                "failure_action" => u.failure_action = c.opt_string(val)?,
                "monitor" => u.monitor = Some(c.duration(val)?),
                "max_failure_ratio" => u.max_failure_ratio = Some(c.cpus(val)?),
                "order" => u.order = c.opt_string(val)?,
                _ => {
                    return Err(c.unknown_key_here(&[
                        "parallelism",
                        "delay",
                        "failure_action",
                        "monitor",
                        "max_failure_ratio",
                        "order",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    Ok(u)
}

fn placement(c: &mut Ctx<'_>, v: &Value) -> Result<Placement> {
    let mut p = Placement::default();
    for (key, val) in c.entries(v)? {
        c.at(&key, |c| {
            match key.as_str() {
                "constraints" => p.constraints = c.strings(val, false)?,
                "preferences" => {
                    let Value::Sequence(items) = val else {
                        return Err(c.expected("a list", val));
                    };
                    for item in items {
                        for (k, spread) in c.entries(item)? {
                            let spread = c.at(&k, |c| {
                                if k != "spread" {
                                    return Err(c.unknown_key_here(&["spread"]));
                                }
                                c.string(spread)
                            })?;
                            p.preferences.push(spread);
                        }
                    }
                }
                "max_replicas_per_node" => p.max_replicas_per_node = Some(c.uint(val)?),
                _ => {
                    return Err(c.unknown_key_here(&[
                        "constraints",
                        "preferences",
                        "max_replicas_per_node",
                    ]));
                }
            }
            Ok(())
        })?;
    }
    Ok(p)
}

//! `volumes:`, `tmpfs:`, and file-based `secrets:`/`configs:` → binds, mounts and tmpfs;
//! and the anonymous volumes a recreated container inherits.

use std::collections::HashMap;

use bollard::models::{Mount, MountBindOptions, MountTmpfsOptions, MountType, MountVolumeOptions};

use super::{ContainerPlan, volume_name};
use crate::compose::model::{Project, Service, ServiceVolume};

/// Where a container's storage comes from. Binds that may create their host path go through
/// `Binds` (the engine creates a missing folder, as compose's short syntax promises); the
/// rest are mounts.
#[derive(Default)]
pub(super) struct Storage {
    pub binds: Vec<String>,
    pub mounts: Vec<Mount>,
    pub tmpfs: HashMap<String, String>,
}

pub(super) fn storage(project: &Project, service: &Service) -> Storage {
    let mut storage = Storage {
        tmpfs: service
            .tmpfs
            .iter()
            .map(|t| match t.split_once(':') {
                Some((path, opts)) => (path.to_string(), opts.to_string()),
                None => (t.clone(), String::new()),
            })
            .collect(),
        ..Storage::default()
    };
    for v in &service.volumes {
        match v.kind.as_str() {
            ServiceVolume::BIND if v.bind.as_ref().is_none_or(|b| b.create_host_path) => {
                storage.binds.push(bind_spec(v));
            }
            ServiceVolume::TMPFS if v.tmpfs.is_none() => {
                storage.tmpfs.insert(v.target.clone(), String::new());
            }
            _ => storage.mounts.push(mount(project, v)),
        }
    }
    storage.mounts.extend(file_object_mounts(project, service));
    storage
}

/// `SOURCE:TARGET[:ro,selinux,propagation]`.
fn bind_spec(v: &ServiceVolume) -> String {
    let mut spec = format!("{}:{}", v.source.clone().unwrap_or_default(), v.target);
    let mut opts = Vec::new();
    if v.read_only {
        opts.push("ro".to_string());
    }
    if let Some(b) = &v.bind {
        opts.extend(b.selinux.clone());
        opts.extend(b.propagation.clone());
    }
    if !opts.is_empty() {
        spec.push(':');
        spec.push_str(&opts.join(","));
    }
    spec
}

fn mount(project: &Project, v: &ServiceVolume) -> Mount {
    let typ = match v.kind.as_str() {
        ServiceVolume::BIND => MountType::BIND,
        ServiceVolume::TMPFS => MountType::TMPFS,
        _ => MountType::VOLUME,
    };
    let source = match (typ, &v.source) {
        (MountType::VOLUME, Some(key)) => Some(volume_name(project, key)),
        (_, s) => s.clone(),
    };
    Mount {
        target: Some(v.target.clone()),
        source,
        typ: Some(typ),
        read_only: Some(v.read_only),
        consistency: v.consistency.clone(),
        bind_options: v
            .bind
            .as_ref()
            .filter(|_| typ == MountType::BIND)
            .map(|_| MountBindOptions::default()),
        volume_options: v.volume.as_ref().map(|o| MountVolumeOptions {
            no_copy: Some(o.nocopy),
            subpath: o.subpath.clone(),
            ..Default::default()
        }),
        tmpfs_options: v.tmpfs.as_ref().map(|t| MountTmpfsOptions {
            size_bytes: t.size.map(|s| s as i64),
            mode: t.mode.map(i64::from),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Secrets and configs backed by a file, bind-mounted read-only where the service expects them.
fn file_object_mounts(project: &Project, service: &Service) -> Vec<Mount> {
    let mut mounts = Vec::new();
    for (refs, secret) in [(&service.secrets, true), (&service.configs, false)] {
        let objects = if secret {
            &project.secrets
        } else {
            &project.configs
        };
        for r in refs {
            let Some(file) = objects.get(&r.source).and_then(|o| o.file.as_ref()) else {
                continue;
            };
            mounts.push(Mount {
                target: Some(if secret {
                    r.secret_mount_path()
                } else {
                    r.config_mount_path()
                }),
                source: Some(file.display().to_string()),
                typ: Some(MountType::BIND),
                read_only: Some(true),
                ..Default::default()
            });
        }
    }
    mounts
}

/// Mount a replaced container's anonymous volumes (name, path) into its successor, as
/// compose does, so their data survives a config change and nothing is left dangling: only
/// at paths the new config still has an anonymous volume, or the image declares a `VOLUME`.
pub(crate) fn with_inherited_volumes(
    mut plan: ContainerPlan,
    volumes: Vec<(String, String)>,
    image_volumes: &[String],
) -> ContainerPlan {
    if volumes.is_empty() {
        return plan;
    }
    let hc = plan.body.host_config.get_or_insert_with(Default::default);
    let bound: Vec<String> = hc
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    let mounts = hc.mounts.get_or_insert_with(Vec::new);
    for (volume, target) in volumes {
        let at = |m: &Mount| m.target.as_deref() == Some(target.as_str());
        let anonymous_here = mounts
            .iter()
            .any(|m| at(m) && m.source.is_none() && m.typ == Some(MountType::VOLUME));
        let taken = mounts.iter().any(|m| at(m) && m.source.is_some()) || bound.contains(&target);
        if taken || !(anonymous_here || image_volumes.contains(&target)) {
            continue;
        }
        mounts.retain(|m| !at(m));
        mounts.push(Mount {
            target: Some(target),
            source: Some(volume),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        });
    }
    plan
}

//! Cross-checks on the active services once every file is merged: each has an image or a
//! build, and what it names exists (services it depends on, networks, volumes, secrets,
//! configs). Optional dependencies that are missing are dropped with a note.

use super::error::{ComposeError, Location};
use super::graph::{did_you_mean, service_dependencies};
use super::model::{Network, Project, Service};
use super::normalize::Ctx;

type Result<T> = std::result::Result<T, ComposeError>;

/// Where the keys at `path` are written, for errors.
fn at(ctx: &Ctx<'_>, path: &[&str]) -> Option<Location> {
    ctx.location_of(&path.iter().map(ToString::to_string).collect::<Vec<_>>())
}

/// The line of an item under `path`: its own key (`depends_on: {db: …}`) or its place in a
/// list (`depends_on: [db]`), whichever is found further down (the more precise).
fn at_item(ctx: &Ctx<'_>, path: &[&str], key: &str, index: usize) -> Option<Location> {
    let mut by_key = path.to_vec();
    by_key.push(key);
    let place = format!("[{index}]");
    let mut by_index = path.to_vec();
    by_index.push(&place);
    [at(ctx, &by_key), at(ctx, &by_index)]
        .into_iter()
        .flatten()
        .max_by_key(|l| l.line)
}

pub(super) fn check_references(project: &mut Project, ctx: &Ctx<'_>) -> Result<()> {
    let names: Vec<String> = project.services.keys().cloned().collect();
    let mut uses_default = false;
    for name in &names {
        uses_default |= check_service(project, ctx, &names, name)?;
    }
    if uses_default {
        project.networks.insert(
            "default".into(),
            Network {
                name: format!("{}_default", project.name),
                ..Network::default()
            },
        );
    }
    Ok(())
}

/// One service's references, in the order its errors are reported; returns whether it uses
/// an undeclared `default` network.
fn check_service(
    project: &mut Project,
    ctx: &Ctx<'_>,
    names: &[String],
    name: &str,
) -> Result<bool> {
    let Some(service) = project.services.get(name) else {
        return Ok(false);
    };
    if service.image.is_none() && service.build.is_none() {
        return Err(ComposeError::invalid(
            at(ctx, &["services", name]),
            format!("service `{name}` has neither `image` nor `build`"),
        ));
    }
    let (dropped, notes) = check_depends_on(project, ctx, names, name, service)?;
    project.notes.extend(notes);
    if let Some(service) = project.services.get_mut(name) {
        for dep in dropped {
            service.depends_on.shift_remove(&dep);
        }
    }
    let Some(service) = project.services.get(name) else {
        return Ok(false);
    };
    check_implicit_dependencies(ctx, names, name, service)?;
    let uses_default = check_networks(project, ctx, name, service)?;
    check_volumes(project, ctx, name, service)?;
    check_files(project, ctx, name, service)?;
    Ok(uses_default)
}

/// Every `depends_on` entry is an active service; returns the optional ones that are not
/// (to drop) and a note for each.
fn check_depends_on(
    project: &Project,
    ctx: &Ctx<'_>,
    names: &[String],
    name: &str,
    service: &Service,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut dropped = Vec::new();
    let mut notes = Vec::new();
    for (i, (dep, d)) in service.depends_on.iter().enumerate() {
        if names.contains(dep) {
            continue;
        }
        let disabled = project.disabled_services.contains(dep);
        if !d.required {
            dropped.push(dep.clone());
            notes.push(format!(
                "service `{name}`: optional dependency `{dep}` is {} and was skipped",
                if disabled {
                    "not enabled"
                } else {
                    "not defined"
                }
            ));
            continue;
        }
        let location = at_item(ctx, &["services", name, "depends_on"], dep, i);
        if disabled {
            let profiles = project
                .disabled_profiles
                .get(dep)
                .cloned()
                .unwrap_or_default();
            return Err(ComposeError::invalid(
                location,
                format!(
                    "service `{name}` depends on `{dep}`, which is only enabled with --profile {}",
                    profiles.join(" or --profile ")
                ),
            ));
        }
        let hint = did_you_mean(dep, names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(ComposeError::invalid(
            location,
            format!("service `{name}` depends on undefined service `{dep}`{hint}"),
        ));
    }
    Ok((dropped, notes))
}

/// The services `links`, `network_mode: service:X` and `volumes_from` name exist.
fn check_implicit_dependencies(
    ctx: &Ctx<'_>,
    names: &[String],
    name: &str,
    service: &Service,
) -> Result<()> {
    let implicit = service_dependencies(service)
        .into_iter()
        .filter(|d| !service.depends_on.contains_key(d));
    for dep in implicit {
        if !names.contains(&dep) {
            return Err(ComposeError::invalid(
                at(ctx, &["services", name]),
                format!(
                    "service `{name}` refers to undefined service `{dep}` (in links, network_mode or volumes_from)"
                ),
            ));
        }
    }
    Ok(())
}

/// Every network the service joins is declared; returns whether it uses an undeclared
/// `default` (which the project then gets).
fn check_networks(project: &Project, ctx: &Ctx<'_>, name: &str, service: &Service) -> Result<bool> {
    let mut uses_default = false;
    for (i, net) in service.networks.keys().enumerate() {
        if net == "default" && !project.networks.contains_key("default") {
            uses_default = true;
            continue;
        }
        if !project.networks.contains_key(net) {
            let hint = did_you_mean(net, project.networks.keys().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ComposeError::invalid(
                at_item(ctx, &["services", name, "networks"], net, i),
                format!(
                    "service `{name}` uses undefined network `{net}`{hint}; declare it under the top-level `networks:`"
                ),
            ));
        }
    }
    Ok(uses_default)
}

/// Every named volume the service mounts is declared.
fn check_volumes(project: &Project, ctx: &Ctx<'_>, name: &str, service: &Service) -> Result<()> {
    for (i, vol) in service.volumes.iter().enumerate() {
        if vol.kind != "volume" {
            continue;
        }
        if let Some(src) = &vol.source
            && !project.volumes.contains_key(src)
        {
            return Err(ComposeError::invalid(
                at(ctx, &["services", name, "volumes", &format!("[{i}]")]),
                format!(
                    "service `{name}` uses undefined volume `{src}`; declare it under the top-level `volumes:`"
                ),
            ));
        }
    }
    Ok(())
}

/// Every secret and config the service uses is declared, and its `file:` exists.
fn check_files(project: &Project, ctx: &Ctx<'_>, name: &str, service: &Service) -> Result<()> {
    for (kind, refs, declared) in [
        ("secret", &service.secrets, &project.secrets),
        ("config", &service.configs, &project.configs),
    ] {
        for (i, r) in refs.iter().enumerate() {
            let Some(obj) = declared.get(&r.source) else {
                return Err(ComposeError::invalid(
                    at(
                        ctx,
                        &["services", name, &format!("{kind}s"), &format!("[{i}]")],
                    ),
                    format!(
                        "service `{name}` uses undefined {kind} `{}`; declare it under the top-level `{kind}s:`",
                        r.source
                    ),
                ));
            };
            if let Some(file) = &obj.file
                && !file.exists()
            {
                return Err(ComposeError::invalid(
                    at(ctx, &[&format!("{kind}s"), &r.source, "file"]),
                    format!(
                        "{kind} `{}`: file `{}` does not exist",
                        r.source,
                        file.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

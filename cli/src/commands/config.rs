//! `devenv config`: print the resolved compose model (after merge, interpolation and
//! profiles) as YAML, or as JSON with `--json`, with compose-spec key names.

use crate::compose::{self, LoadOptions};
use crate::error::ExitStatus;
use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArgs {
    /// Print only the service names, one per line.
    #[arg(long, conflicts_with = "volumes")]
    pub services: bool,
    /// Print only the named volumes, one per line.
    #[arg(long)]
    pub volumes: bool,
    /// Print only the profiles any service uses, one per line.
    #[arg(long = "profiles", conflicts_with_all = ["services", "volumes"])]
    pub list_profiles: bool,
    /// Print `SERVICE HASH` lines: compose's config hash of each named service
    /// (comma-separated, or `*` for all), as `docker compose config --hash` prints it.
    #[arg(long, value_name = "SERVICE|*", conflicts_with_all = ["services", "volumes", "list_profiles"])]
    pub hash: Option<String>,
    /// Services to print (default: all active ones); named services are enabled even when
    /// their profiles are not.
    #[arg(value_name = "SERVICE")]
    pub only: Vec<String>,
}

pub(crate) async fn run(args: ConfigArgs, settings: Settings) -> anyhow::Result<ExitStatus> {
    let opts = LoadOptions::from_settings(&settings).with_services(&args.only);
    let mut project = compose::load(&opts)?;
    let printer = &settings.printer;
    crate::stack::print_notes(printer, &project.notes);
    if !args.only.is_empty() {
        project.keep_only(&args.only)?;
    }
    // `-q`: validate only, like `docker compose config --quiet`.
    if settings.global.quiet {
        return Ok(ExitStatus::Success);
    }
    if args.services {
        let names: Vec<&String> = project.services.keys().collect();
        return print_list(printer, &names);
    }
    if args.volumes {
        let names: Vec<&String> = project.volumes.keys().collect();
        return print_list(printer, &names);
    }
    if let Some(which) = &args.hash {
        return print_hashes(printer, &project, which);
    }
    if args.list_profiles {
        return print_list(printer, &project.profiles());
    }
    // Like `docker compose config`, `$` is written back as `$$` so the output is itself a
    // valid compose file (the model holds the real, unescaped values).
    let mut value = compose::compose_json::project_value(&project);
    escape_dollars(&mut value);
    if printer.json() {
        printer.json_value(&value)?;
    } else {
        let text = serde_yaml_ng::to_string(&value)?;
        printer.data(text.trim_end());
    }
    Ok(ExitStatus::Success)
}

/// One name per line, or a JSON array of strings with `--json`.
fn print_list(printer: &crate::ui::Printer, names: &[&String]) -> anyhow::Result<ExitStatus> {
    if printer.json() {
        printer.json_value(&names)?;
    } else {
        for name in names {
            printer.data(name);
        }
    }
    Ok(ExitStatus::Success)
}

/// `docker compose config --hash`: `SERVICE HASH` per line, sorted by name; `*` is every
/// active service. The hash is the one `docker compose config --hash` prints, which leaves the
/// `env_file` contents out of `environment` (the label `up` writes has them in).
fn print_hashes(
    printer: &crate::ui::Printer,
    project: &compose::Project,
    which: &str,
) -> anyhow::Result<ExitStatus> {
    let mut names: Vec<String> = if which == "*" {
        project.services.keys().cloned().collect()
    } else {
        which.split(',').map(str::to_string).collect()
    };
    names.sort();
    let mut lines = Vec::new();
    for name in &names {
        let service = project.service(name)?;
        let hash =
            compose::compose_json::config_hash(service, compose::compose_json::Env::Declared);
        lines.push(format!("{name} {hash}"));
    }
    for line in lines {
        printer.data(&line);
    }
    Ok(ExitStatus::Success)
}

fn escape_dollars(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape_dollars),
        serde_json::Value::Object(map) => map.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

//! Whole-pipeline unit tests: odd input never panics, errors name file and line, and the
//! resolved model has compose's defaults.

use std::path::Path;

use super::interpolate::Env;
use super::load::load_with_env;
use super::*;

fn load_text(files: &[(&str, &str)], env: &[(&str, &str)]) -> Result<Project, ComposeError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("My App!");
    std::fs::create_dir_all(&root).expect("mkdir");
    for (name, text) in files {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
    }
    let env: Env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let opts = LoadOptions {
        project_dir: root,
        ..LoadOptions::default()
    };
    load_with_env(&opts, env)
}

fn ok(text: &str) -> Project {
    load_text(&[("compose.yaml", text)], &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    match load_text(&[("compose.yaml", text)], &[]) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn odd_input_is_an_error_not_a_panic() {
    let cases = [
        "",
        "\n\n# only a comment\n",
        "- a\n- b\n",
        "just a string",
        "42",
        "services:\n",
        "services: []\n",
        "services:\n  web: nginx\n",
        "services:\n  web: [1, 2]\n",
        "services:\n  web:\n    image: x\n    ports: [99999999999999999999999]\n",
        "services:\n  web:\n    image: x\n    ports: 8080\n",
        "services:\n  web:\n    image: x\n    cpus: 1e400\n",
        "services:\n  web:\n    image: x\n    healthcheck: {retries: -1}\n",
        "services:\n  web:\n    image: x\n    mem_limit: 99999999999999999999999999g\n",
        "services:\n\tweb:\n\t\timage: x\n",
        "services:\n  web:\n    image: {a: b}\n",
        "services:\n  ? [a, b]\n  : {image: x}\n",
        "services:\n  web: &a\n    image: x\n    <<: *a\n",
        "services: {web: {image: x, environment: [[1]]}}\n",
        "services: {web: {image: x, depends_on: {db: 5}}}\n",
        "services: {web: {image: x, volumes: [{}]}}\n",
        "services: {web: {image: x, command: \"unterminated 'quote\"}}\n",
        "services: {web: {image: '${'}}\n",
        "services: {web: {image: x, stop_grace_period: forever}}\n",
        "\u{0}\u{1}\u{2}",
        "services:\n  web:\n    image: x\n---\nservices: {}\n",
        "a: &a [*a]\n",
    ];
    for case in cases {
        let result = std::panic::catch_unwind(|| load_text(&[("compose.yaml", case)], &[]));
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let text = e.to_string();
                assert!(!text.is_empty(), "{case:?}");
            }
            Err(_) => panic!("panicked on {case:?}"),
        }
    }
}

#[test]
fn wrong_shapes_name_file_line_and_key() {
    let e = err("services:\n  web: nginx\n");
    assert!(e.contains("compose.yaml:2"), "{e}");
    assert!(e.contains("`web`"), "{e}");
    let e = err("- a\n");
    assert!(e.contains("must be a mapping"), "{e}");
    let e = err(
        "services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        publishd: 8080\n",
    );
    assert!(e.contains("compose.yaml:6"), "{e}");
    assert!(e.contains("publishd"), "{e}");
    let e = err("services:\n  web:\n    image: x\n    restart: sometimes\n");
    assert!(e.contains("compose.yaml:4"), "{e}");
}

#[test]
fn unknown_keys_name_file_line_and_suggest() {
    let e = load_text(
        &[(
            "compose.yaml",
            "services:\n  web:\n    image: x\n  db:\n    image: y\n    enviroment: {A: 1}\n",
        )],
        &[],
    )
    .unwrap_err();
    assert!(e.to_string().contains("compose.yaml:6"), "{e}");
    assert!(e.to_string().contains("`enviroment`"), "{e}");
    assert!(e.to_string().contains("service `db`"), "{e}");
    let hint = crate::error::Diagnose::hint(&e).unwrap_or_default();
    assert!(hint.contains("environment"), "{hint}");
    let e = err("services: {}\nvolumnes: {}\n");
    assert!(
        e.contains("compose.yaml:2") && e.contains("volumnes"),
        "{e}"
    );
}

#[test]
fn defaults_and_names() {
    let p = ok(
        "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    volumes: [data:/d, ext:/e]\nvolumes:\n  data:\n  ext:\n    external: true\n  unused:\nnetworks:\n  idle:\n",
    );
    assert_eq!(p.name, "myapp");
    let web = &p.services["web"];
    assert_eq!(web.networks.keys().collect::<Vec<_>>(), ["default"]);
    assert_eq!(p.networks["default"].name, "myapp_default");
    assert_eq!(p.volumes["data"].name, "myapp_data");
    assert_eq!(p.volumes["ext"].name, "ext");
    // As in compose, what no active service uses is left out.
    assert!(!p.volumes.contains_key("unused"));
    assert!(!p.networks.contains_key("idle"));
    assert!(p.working_dir.is_absolute());
    assert!(p.config_files[0].ends_with("compose.yaml"));
}

#[test]
fn network_mode_services_get_no_default_network() {
    let p = ok("services:\n  web:\n    image: nginx\n    network_mode: host\n");
    assert!(p.services["web"].networks.is_empty());
    assert!(p.networks.is_empty());
}

#[test]
fn interpolation_env_file_and_process_env() {
    let p = load_text(
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: \"nginx:${TAG:-latest}\"\n    environment:\n      - FROM_DOTENV=${DOT}\n      - BARE\n      - UNSET\n      - LITERAL=$$HOME\n    env_file: web.env\n",
            ),
            (".env", "DOT=dotenv\nTAG=from-dotenv\n"),
            ("web.env", "FROM_FILE=1\nFROM_DOTENV=overridden-by-environment\n"),
        ],
        &[("TAG", "1.25"), ("BARE", "bare-value")],
    )
    .unwrap();
    let web = &p.services["web"];
    assert_eq!(web.image.as_deref(), Some("nginx:1.25"));
    let env = &web.environment;
    assert_eq!(env["FROM_DOTENV"].as_deref(), Some("dotenv"));
    assert_eq!(env["FROM_FILE"].as_deref(), Some("1"));
    assert_eq!(env["BARE"].as_deref(), Some("bare-value"));
    assert_eq!(env["UNSET"], None);
    assert_eq!(env["LITERAL"].as_deref(), Some("$HOME"));
}

#[test]
fn missing_variables_are_blank_with_a_note_and_required_ones_fail() {
    let p = ok("services:\n  web:\n    image: \"nginx${NOPE}\"\n");
    assert_eq!(p.services["web"].image.as_deref(), Some("nginx"));
    assert!(
        p.notes.iter().any(|n| n.contains("`NOPE`")),
        "{:?}",
        p.notes
    );
    let e = err(
        "services:\n  web:\n    image: nginx\n    environment:\n      PW: ${PW:?set PW in .env}\n",
    );
    assert!(e.contains("compose.yaml:5"), "{e}");
    assert!(e.contains("set PW in .env"), "{e}");
}

#[test]
fn anchors_merge_keys_and_extensions() {
    let p = ok(
        "x-common: &common\n  restart: always\n  environment:\n    A: '1'\nservices:\n  web:\n    <<: *common\n    image: nginx\n    x-note: ignored\n  worker:\n    <<: *common\n    image: busybox\n    restart: \"no\"\n",
    );
    assert_eq!(p.services["web"].restart.as_deref(), Some("always"));
    assert_eq!(p.services["worker"].restart.as_deref(), Some("no"));
    assert_eq!(p.services["worker"].environment["A"].as_deref(), Some("1"));
}

#[test]
fn profiles_filter_and_explicit_services() {
    let text = "services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n    profiles: [tools]\n    depends_on: [helper]\n  helper:\n    image: busybox\n    profiles: [other]\n";
    let p = ok(text);
    assert_eq!(p.services.keys().collect::<Vec<_>>(), ["web"]);
    assert_eq!(p.disabled_services, ["debug", "helper"]);
    let e = p.service("debug").unwrap_err();
    assert!(
        crate::error::Diagnose::hint(&e)
            .unwrap_or_default()
            .contains("--profile tools")
    );
    // Enabling `tools` alone leaves `debug`'s dependency disabled: an error naming it.
    let e = load_text(&[("compose.yaml", text)], &[("COMPOSE_PROFILES", "tools")]).unwrap_err();
    assert!(e.to_string().contains("helper"), "{e}");
    let p = load_text(
        &[("compose.yaml", text)],
        &[("COMPOSE_PROFILES", "tools,other")],
    )
    .unwrap();
    assert_eq!(p.services.len(), 3);
    // Naming a service enables it and what it depends on.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    let opts = LoadOptions {
        project_dir: dir.path().to_path_buf(),
        project_name: Some("t".into()),
        ..LoadOptions::default()
    }
    .with_services(&["debug".to_string()]);
    let p = load_with_env(&opts, Env::new()).unwrap();
    assert_eq!(p.services.len(), 3);
    assert_eq!(
        p.start_levels(&["debug".to_string()]).unwrap(),
        vec![vec!["helper".to_string()], vec!["debug".to_string()]]
    );
}

#[test]
fn cross_references_are_checked() {
    let e = err("services:\n  web:\n    image: x\n    depends_on: [dbb]\n  db:\n    image: y\n");
    assert!(
        e.contains("undefined service `dbb`") && e.contains("`db`"),
        "{e}"
    );
    let e = err("services:\n  web:\n    image: x\n    networks: [front]\n");
    assert!(e.contains("undefined network `front`"), "{e}");
    let e = err("services:\n  web:\n    image: x\n    volumes: ['data:/data']\n");
    assert!(e.contains("undefined volume `data`"), "{e}");
    let e = err("services:\n  web:\n    build: {}\n    secrets: [pw]\n");
    assert!(e.contains("undefined secret `pw`"), "{e}");
    let e = err("services:\n  web:\n    command: x\n");
    assert!(e.contains("neither `image` nor `build`"), "{e}");
    let p = ok(
        "services:\n  web:\n    image: x\n    depends_on:\n      cache:\n        condition: service_started\n        required: false\n",
    );
    assert!(p.services["web"].depends_on.is_empty());
}

#[test]
fn override_file_and_explicit_files_merge_in_order() {
    let p = load_text(
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: a\n    ports: ['80:80']\n",
            ),
            (
                "compose.override.yaml",
                "services:\n  web:\n    image: b\n    ports: ['443:443']\n",
            ),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(p.config_files.len(), 2);
    assert_eq!(p.services["web"].image.as_deref(), Some("b"));
    assert_eq!(p.services["web"].ports.len(), 2);
}

#[test]
fn errors_in_an_override_name_that_file() {
    let e = load_text(
        &[
            ("compose.yaml", "services:\n  web:\n    image: a\n"),
            ("compose.override.yaml", "services:\n  web:\n    imag: b\n"),
        ],
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("compose.override.yaml:3"), "{e}");
}

#[test]
fn project_names() {
    assert_eq!(project_name::normalize_project_name("My App!"), "myapp");
    assert_eq!(project_name::normalize_project_name("-_x.Y"), "xy");
    assert_eq!(project_name::normalize_project_name("___"), "");
    let e = load_text(&[("compose.yaml", "name: Bad Name\nservices: {}\n")], &[]).unwrap_err();
    assert!(e.to_string().contains("Bad Name"), "{e}");
    let p = load_text(
        &[("compose.yaml", "name: fromfile\nservices: {}\n")],
        &[("COMPOSE_PROJECT_NAME", "fromenv")],
    )
    .unwrap();
    assert_eq!(p.name, "fromenv");
}

#[test]
fn healthcheck_and_durations() {
    let p = ok(
        "services:\n  db:\n    image: pg\n    healthcheck:\n      test: pg_isready\n      interval: 1m30s\n      timeout: 500ms\n      retries: 3\n    stop_grace_period: 1m\n  other:\n    image: x\n    healthcheck:\n      disable: true\n",
    );
    let h = p.services["db"].healthcheck.as_ref().unwrap();
    assert_eq!(h.test, ["CMD-SHELL", "pg_isready"]);
    assert_eq!(h.interval, Some(std::time::Duration::from_secs(90)));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["services"]["db"]["healthcheck"]["interval"], "1m30s");
    assert_eq!(json["services"]["db"]["stop_grace_period"], "1m0s");
    // Kept as written, as compose keeps it (`test: [NONE]` hashes differently).
    assert_eq!(json["services"]["other"]["healthcheck"]["disable"], true);
    assert!(
        json["services"]["other"]["healthcheck"]
            .get("test")
            .is_none()
    );
}

#[test]
fn secrets_and_configs_mount_paths() {
    let p = load_text(
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: x\n    secrets: [pw, {source: pw, target: other}]\n    configs: [{source: cfg, target: /etc/app.conf, mode: 0440}]\nsecrets:\n  pw:\n    file: ./pw.txt\nconfigs:\n  cfg:\n    content: hello\n",
            ),
            ("pw.txt", "s3cret"),
        ],
        &[],
    )
    .unwrap();
    let web = &p.services["web"];
    assert_eq!(web.secrets[0].secret_mount_path(), "/run/secrets/pw");
    assert_eq!(web.secrets[1].secret_mount_path(), "/run/secrets/other");
    assert_eq!(web.configs[0].config_mount_path(), "/etc/app.conf");
    assert_eq!(web.configs[0].mode, Some(0o440));
    assert!(
        p.secrets["pw"]
            .file
            .as_deref()
            .is_some_and(Path::is_absolute)
    );
}

#[test]
fn errors_point_at_the_offending_item() {
    let undefined_dependency = err(
        "services:\n  web:\n    image: x\n    depends_on:\n      - db\n      - ghost\n  db:\n    image: y\n",
    );
    assert!(
        undefined_dependency.contains("compose.yaml:6:"),
        "{undefined_dependency}"
    );
    let undefined_volume =
        err("services:\n  web:\n    image: x\n    volumes:\n      - ./a:/a\n      - nope:/x\n");
    assert!(
        undefined_volume.contains("compose.yaml:6:"),
        "{undefined_volume}"
    );
    let bad_port =
        err("services:\n  web:\n    image: x\n    ports:\n      - \"80\"\n      - \"99999\"\n");
    assert!(bad_port.contains("compose.yaml:6:"), "{bad_port}");
    let bad_secret = err(
        "services:\n  web:\n    image: x\n    secrets:\n      - a\n      - source: b\n        mode: bad\nsecrets:\n  a: {file: ./a}\n  b: {file: ./b}\n",
    );
    assert!(bad_secret.contains("compose.yaml:7:"), "{bad_secret}");
}

#[test]
fn deploy_scale_and_their_consistency() {
    let p = ok(
        "services:\n  web:\n    image: x\n    scale: 3\n    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 64M}\n        reservations:\n          devices: [{capabilities: [gpu]}]\n      restart_policy: {condition: any}\n",
    );
    let web = &p.services["web"];
    assert_eq!(web.replicas(), 3);
    let deploy = web.deploy.as_ref().expect("deploy");
    // As compose-go does, `scale` also sets `deploy.replicas`.
    assert_eq!(deploy.replicas, Some(3));
    let gpu = &deploy
        .resources
        .reservations
        .as_ref()
        .expect("reservations")
        .devices[0];
    assert_eq!(gpu.count, Some(-1), "all devices by default");
    for bad in [
        "services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n",
        "services:\n  web:\n    image: x\n    cpus: 1\n    deploy: {resources: {limits: {cpus: '2'}}}\n",
        "services:\n  web:\n    image: x\n    container_name: w\n    deploy: {replicas: 2}\n",
    ] {
        err(bad);
    }
}

#[test]
fn links_and_shared_namespaces_imply_dependencies() {
    let p = ok(
        "services:\n  db:\n    image: x\n  app:\n    image: x\n    links: [db:database]\n    volumes_from: [db:ro]\n  side:\n    image: x\n    network_mode: service:app\n",
    );
    let app = &p.services["app"].depends_on["db"];
    assert!(
        app.restart && app.required,
        "links restart with their dependency"
    );
    assert!(p.services["side"].depends_on["app"].restart);
}

#[test]
fn include_imports_services_with_their_own_paths_and_env() {
    let p = load_text(
        &[
            (
                "compose.yaml",
                "include:\n  - ./db/compose.yaml\nservices:\n  app:\n    image: x\n    depends_on: [db]\n",
            ),
            (
                "db/compose.yaml",
                "services:\n  db:\n    image: ${DB_IMAGE}\n    volumes: [./data:/data]\n",
            ),
            ("db/.env", "DB_IMAGE=postgres:16\n"),
        ],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let db = &p.services["db"];
    assert_eq!(db.image.as_deref(), Some("postgres:16"));
    let source = db.volumes[0].source.as_deref().unwrap_or_default();
    assert!(source.ends_with("/db/data"), "{source}");
    let cycle = load_text(
        &[
            ("compose.yaml", "include: [./a.yaml]\nservices: {}\n"),
            ("a.yaml", "include: [./compose.yaml]\nservices: {}\n"),
        ],
        &[],
    )
    .expect_err("a cycle");
    assert!(cycle.to_string().contains("include cycle"), "{cycle}");
    let conflict = load_text(
        &[
            (
                "compose.yaml",
                "include: [./a.yaml]\nservices:\n  db:\n    image: x\n",
            ),
            ("a.yaml", "services:\n  db:\n    image: y\n"),
        ],
        &[],
    )
    .expect_err("a conflict");
    assert!(conflict.to_string().contains("conflicts"), "{conflict}");
}

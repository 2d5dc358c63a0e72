//! Golden tests against Docker Compose v2, the reference: on the shared corpus of real compose
//! files and on stacks written here for each compose feature, `devenv config --json` must equal
//! `docker compose config --format json` and `devenv config --hash '*'` must print what
//! `docker compose config --hash '*'` prints; both must refuse the same files. The engine
//! tests at the end switch between the two tools on a real engine and check that nothing is
//! recreated. All need `docker compose` (v2): `.ci/run` installs it.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common::{Output, TestContext, repo_root};

const BUSYBOX: &str = "devenv-test/busybox:latest";

/// Run `docker compose -p <project> ARGS` in the test's folder with the test's environment.
fn compose(ctx: &TestContext, args: &[&str]) -> Output {
    let mut cmd = Command::new("docker");
    cmd.arg("compose").arg("-p").arg(&ctx.project).args(args);
    // The same clean environment devenv gets in the harness.
    let devenv = ctx.command(&[]);
    cmd.current_dir(ctx.path());
    for (k, v) in devenv.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("run docker compose");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The parts of the model that shape containers, from either tool's JSON.
fn model_parts(v: &Value) -> Vec<(&'static str, Value)> {
    ["services", "networks", "volumes", "secrets", "configs"]
        .into_iter()
        .map(|k| (k, v.get(k).cloned().unwrap_or(Value::Null)))
        .collect()
}

/// Both tools accept the stack, resolve it to the same JSON and print the same hashes.
#[track_caller]
fn assert_same_as_compose(ctx: &TestContext) {
    let theirs = compose(ctx, &["config", "--format", "json"]).success();
    let ours = ctx.devenv_p(&["config", "--json"]).success();
    let (theirs_json, ours_json) = (theirs.json(), ours.json());
    for ((key, c), (_, d)) in model_parts(&theirs_json)
        .into_iter()
        .zip(model_parts(&ours_json))
    {
        assert_eq!(
            d,
            c,
            "`{key}` differs from compose's\n--- compose\n{}\n--- devenv\n{}",
            serde_json::to_string_pretty(&c).unwrap_or_default(),
            serde_json::to_string_pretty(&d).unwrap_or_default()
        );
    }
    let theirs = compose(ctx, &["config", "--hash", "*"]).success();
    let ours = ctx.devenv_p(&["config", "--hash", "*"]).success();
    assert_eq!(
        ours.stdout, theirs.stdout,
        "config --hash differs\n--- compose\n{}\n--- devenv\n{}",
        theirs.stdout, ours.stdout
    );
}

/// Both tools refuse the stack.
#[track_caller]
fn assert_both_refuse(ctx: &TestContext) -> Output {
    let theirs = compose(ctx, &["config", "--format", "json"]);
    assert_ne!(theirs.code, 0, "compose accepts it:\n{}", theirs.dump());
    let ours = ctx.devenv_p(&["config", "--json"]);
    assert_ne!(ours.code, 0, "devenv accepts it:\n{}", ours.dump());
    ours
}

fn stack(compose_yaml: &str) -> TestContext {
    let ctx = TestContext::new();
    ctx.write("compose.yaml", compose_yaml);
    ctx
}

/// `../shared/corpus/compose` beside the repository (as `.ci/run` has it), or
/// `DEVENV_SHARED_DIR/corpus/compose`.
fn corpus_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("DEVENV_SHARED_DIR")
        .map_or_else(|| repo_root().join("../shared"), PathBuf::from);
    let dir = shared.join("corpus/compose");
    dir.is_dir().then_some(dir)
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn the_corpus_resolves_as_compose_resolves_it() {
    let Some(dir) = corpus_dir() else {
        // CI always has the corpus beside the checkout; elsewhere say why nothing ran.
        assert!(
            std::env::var_os("CI").is_none(),
            "no compose corpus at ../shared/corpus/compose (set DEVENV_SHARED_DIR)"
        );
        eprintln!("skipped: no compose corpus (set DEVENV_SHARED_DIR to the shared folder)");
        return;
    };
    let materialize = dir.join("../../checks/materialize.py");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "the corpus at {} is empty",
        dir.display()
    );
    for file in files {
        let ctx = TestContext::new();
        ctx.write(
            "compose.yaml",
            std::fs::read(&file).expect("read corpus file"),
        );
        // Build contexts, env files and secret files the file names must exist.
        let made = Command::new("python3")
            .arg(&materialize)
            .arg(ctx.path())
            .status()
            .expect("run materialize.py");
        assert!(
            made.success(),
            "materialize.py failed on {}",
            file.display()
        );
        eprintln!("corpus: {}", file.display());
        assert_same_as_compose(&ctx);
    }
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn deploy_resources_restart_policy_and_replicas() {
    let ctx = stack(
        r#"services:
  app:
    image: busybox
    deploy:
      mode: replicated
      replicas: 2
      labels: [tier=web]
      resources:
        limits: {cpus: '0.5', memory: 512M, pids: 100}
        reservations:
          cpus: "0.25"
          memory: 128M
          devices:
            - capabilities: [gpu]
              driver: nvidia
              count: 1
            - capabilities: [gpu, utility]
              device_ids: ["0", "1"]
            - capabilities: [tpu]
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}
      update_config: {parallelism: 2, delay: 10s, order: stop-first, max_failure_ratio: 0.3}
      placement:
        constraints: [node.role == manager]
        preferences: [{spread: node.labels.zone}]
      endpoint_mode: vip
  worker:
    image: busybox
    scale: 3
  once:
    image: busybox
    deploy:
      replicas: 1
"#,
    );
    assert_same_as_compose(&ctx);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn cgroup_rules_attach_and_selinux_on_a_named_volume() {
    let ctx = stack(
        r#"services:
  app:
    image: busybox
    attach: false
    device_cgroup_rules: ["c 1:3 mr", "a 7:* rmw"]
    volumes:
      - data:/data:z
      - cache:/cache:Z,ro
  other:
    image: busybox
    attach: true
volumes:
  data:
  cache:
"#,
    );
    assert_same_as_compose(&ctx);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn a_dollar_before_no_name_is_literal() {
    let ctx = stack(
        r#"services:
  app:
    image: busybox
    environment:
      PRICE: "costs $5"
      TRAILING: "x$"
      ARGS: "$1 $@ $-"
      ESCAPED: "$$HOME"
"#,
    );
    assert_same_as_compose(&ctx);
    let bad =
        stack("services:\n  app:\n    image: busybox\n    environment:\n      A: \"${1A}\"\n");
    assert_both_refuse(&bad);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn shell_form_commands_split_as_compose_splits_them() {
    let ctx = stack(
        r#"services:
  quoted:
    image: busybox
    command: sh -c 'echo "a b"; exit 0' --name "x y"
    entrypoint: /bin/run\ me --flag=1
  chained:
    image: busybox
    command: echo a && echo b
  redirect:
    image: busybox
    command: run 2>/dev/null
  substitution:
    image: busybox
    command: echo $$(date) `id`
  empty:
    image: busybox
    command: ""
    entrypoint: []
"#,
    );
    assert_same_as_compose(&ctx);
    let out = ctx.devenv_p(&["config", "--json"]).success();
    out.assert_stderr_contains("no shell runs it");
    out.assert_stderr_contains(r#"["sh", "-c", "echo a && echo b"]"#);
    let bad = stack("services:\n  app:\n    image: busybox\n    command: echo (x)\n");
    assert_both_refuse(&bad);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn container_paths_are_cleaned_and_absolute_host_paths_kept() {
    let ctx = stack(
        r#"services:
  web:
    image: busybox
    volumes:
      - ./html/:/var/www/html/
      - /etc/app/:/etc/app//conf/./
      - type: bind
        source: ./data/../data/
        target: /srv/data/
      - type: volume
        source: logs
        target: /var/log/app/
      - type: tmpfs
        target: /tmp/scratch/
        tmpfs: {size: 10m}
volumes:
  logs:
"#,
    );
    assert_same_as_compose(&ctx);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn env_files_and_implicit_dependencies() {
    let ctx = stack(
        r#"services:
  db:
    image: busybox
    env_file: [db.env, {path: missing.env, required: false}]
    environment:
      FROM_ENV: from-compose
      BARE:
  app:
    image: busybox
    env_file: app.env
    links: [db:database]
    volumes_from: [db:ro]
  sidecar:
    image: busybox
    network_mode: service:app
    ipc: service:app
"#,
    );
    ctx.write("db.env", "FROM_FILE=1\nFROM_ENV=from-file\n");
    ctx.write("app.env", "APP=1\n");
    assert_same_as_compose(&ctx);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn the_many_spellings_compose_keeps_apart() {
    let ctx = stack(
        r#"services:
  app:
    image: busybox
    ulimits:
      nofile: 1024
      nproc: {soft: 10, hard: 20}
    networks:
      front:
      back: {}
      other: {aliases: [a, b], priority: 10}
    healthcheck:
      disable: true
    extra_hosts: ["b.example:10.0.0.2", "a.example=10.0.0.1"]
    sysctls: [net.core.somaxconn=1024]
    labels: [b=2, a=1]
    devices: ["/dev/null", "/dev/zero:/dev/z", "/dev/random:/dev/r:r"]
    cpus: 1.5
    mem_limit: 1g
    memswap_limit: -1
    shm_size: 64m
    stop_grace_period: 90s
    tmpfs: /run
    dns: 1.1.1.1
    ports:
      - "8080:80"
      - "127.0.0.1:9000-9001:9000-9001/udp"
      - target: 53
        published: 5353
        protocol: udp
        mode: host
    secrets: [token, {source: key, target: api.key, mode: 0440}]
    configs: [conf]
    logging: {driver: json-file, options: {max-size: 10m}}
  probe:
    image: busybox
    networks: [front]
    healthcheck:
      test: ["NONE"]
networks:
  front:
  back:
  other:
secrets:
  token: {file: ./token.txt}
  key: {environment: HOME}
configs:
  conf: {content: "a=1"}
"#,
    );
    ctx.write("token.txt", "t");
    assert_same_as_compose(&ctx);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn a_volume_only_a_disabled_profile_uses_is_left_out() {
    let ctx = stack(
        r#"services:
  app:
    image: busybox
    volumes: [shared:/shared]
  debug:
    image: busybox
    profiles: [debug]
    volumes: [debugdata:/d, shared:/shared]
volumes:
  shared:
  debugdata:
"#,
    );
    assert_same_as_compose(&ctx);
    let vols = ctx.devenv_p(&["config", "--volumes"]).success();
    vols.assert_stdout_lacks("debugdata");
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn include_resolves_each_file_against_its_own_folder() {
    let ctx = stack(
        r#"include:
  - path: ./db/compose.yaml
    env_file: ./db/db.env
  - ./cache/compose.yaml
services:
  app:
    image: busybox
    depends_on: [db, cache]
"#,
    );
    ctx.write(
        "db/compose.yaml",
        "services:\n  db:\n    image: ${DB_IMAGE}\n    env_file: settings.env\n    volumes: [./data:/data]\n",
    );
    ctx.write("db/db.env", "DB_IMAGE=busybox:db\n");
    ctx.write("db/settings.env", "SETTING=1\n");
    ctx.write(
        "cache/compose.yaml",
        "services:\n  cache:\n    image: busybox\n    build: .\n",
    );
    ctx.write("cache/Dockerfile", format!("FROM {BUSYBOX}\n"));
    assert_same_as_compose(&ctx);
}

#[test]
#[ignore = "needs Docker Compose v2: cargo test -- --include-ignored (as .ci/run does)"]
fn both_refuse_what_compose_refuses() {
    for bad in [
        // unknown key
        "services:\n  app:\n    image: busybox\n    portz: [80]\n",
        // distinct cpus
        "services:\n  app:\n    image: busybox\n    cpus: 1\n    deploy: {resources: {limits: {cpus: '2'}}}\n",
        // scale and replicas disagree
        "services:\n  app:\n    image: busybox\n    scale: 2\n    deploy: {replicas: 3}\n",
        // undefined volume
        "services:\n  app:\n    image: busybox\n    volumes: [nope:/x]\n",
    ] {
        assert_both_refuse(&stack(bad));
    }
}

/// Removes the project's containers, networks and volumes even when a test fails.
struct Down<'a>(&'a TestContext);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = self.0.devenv_p(&["down", "--volumes", "--timeout", "0"]);
    }
}

/// Container ids of the project, by name, as the docker CLI sees them.
fn container_ids(ctx: &TestContext) -> Vec<(String, String)> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={}", ctx.project),
            "--format",
            "{{.Names}} {{.ID}}",
        ])
        .output()
        .expect("run docker ps");
    assert!(out.status.success(), "docker ps failed");
    let mut ids: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, i)| (n.to_string(), i.to_string()))
        .collect();
    ids.sort();
    ids
}

/// A stack that uses most of what reaches a container, on the local test image.
fn switching_stack() -> String {
    format!(
        r#"services:
  db:
    image: {BUSYBOX}
    command: sleep 3600
    environment: [A=1, B]
    env_file: db.env
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
    volumes: [data:/data, ./conf/:/conf/:ro]
    stop_grace_period: 1s
    ulimits: {{nofile: 1024}}
    labels: {{tier: db}}
  web:
    image: {BUSYBOX}
    command: ["sh", "-c", "exec httpd -f -p 8080"]
    ports: ["127.0.0.1::8080"]
    depends_on:
      db: {{condition: service_healthy}}
    deploy:
      resources:
        limits: {{memory: 64M, pids: 50}}
      restart_policy: {{condition: on-failure, max_attempts: 2}}
    stop_grace_period: 1s
  workers:
    image: {BUSYBOX}
    command: sleep 3600
    scale: 2
    stop_grace_period: 1s
volumes:
  data:
"#
    )
}

#[test]
#[ignore = "needs Docker Compose v2 and Docker: cargo test -- --include-ignored (as .ci/run does)"]
fn devenv_up_then_compose_up_recreates_nothing() {
    let ctx = stack(&switching_stack());
    ctx.write("db.env", "FROM_FILE=1\n");
    let _down = Down(&ctx);
    ctx.devenv_p(&["up", "--pull", "never"]).success();
    let before = container_ids(&ctx);
    assert_eq!(before.len(), 4, "{before:?}");
    let out = compose(&ctx, &["up", "-d", "--pull", "never"]).success();
    assert_eq!(
        container_ids(&ctx),
        before,
        "compose recreated containers:\n{}",
        out.dump()
    );
    assert!(
        !out.stderr.contains("Recreate"),
        "compose recreated something:\n{}",
        out.dump()
    );
}

#[test]
#[ignore = "needs Docker Compose v2 and Docker: cargo test -- --include-ignored (as .ci/run does)"]
fn compose_up_then_devenv_up_recreates_nothing() {
    let ctx = stack(&switching_stack());
    ctx.write("db.env", "FROM_FILE=1\n");
    let _down = Down(&ctx);
    compose(&ctx, &["up", "-d", "--pull", "never", "--wait"]).success();
    let before = container_ids(&ctx);
    assert_eq!(before.len(), 4, "{before:?}");
    let out = ctx.devenv_p(&["-v", "up", "--pull", "never"]).success();
    assert_eq!(
        container_ids(&ctx),
        before,
        "devenv recreated containers:\n{}",
        out.dump()
    );
    out.assert_stderr_lacks("Recreated");
}

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

/// The docker CLI as an independent witness; fails the test when it fails.
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What shapes a container, from `docker inspect`, with the project's name taken out.
fn shape(container: &str, project: &str) -> Value {
    let raw: Value = serde_json::from_str(&docker(&["inspect", container])).expect("inspect JSON");
    let c = &raw[0];
    let sorted = |v: &Value| {
        let mut items: Vec<String> = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| x.to_string().replace(project, "P"))
            .collect();
        items.sort();
        items
    };
    let host = &c["HostConfig"];
    serde_json::json!({
        "cmd": c["Config"]["Cmd"],
        "entrypoint": c["Config"]["Entrypoint"],
        "env": sorted(&c["Config"]["Env"]),
        "user": c["Config"]["User"],
        "working_dir": c["Config"]["WorkingDir"],
        "healthcheck": c["Config"]["Healthcheck"],
        "stop_signal": c["Config"]["StopSignal"],
        "mounts": sorted(&c["Mounts"].as_array().into_iter().flatten()
            .map(|m| serde_json::json!([m["Type"], m["Destination"], m["RW"]]))
            .collect::<Value>()),
        "memory": host["Memory"],
        "memory_reservation": host["MemoryReservation"],
        "nano_cpus": host["NanoCpus"],
        "pids_limit": host["PidsLimit"],
        "restart": host["RestartPolicy"],
        "device_cgroup_rules": host["DeviceCgroupRules"],
        "devices": host["Devices"],
        "ulimits": sorted(&host["Ulimits"]),
        "cap_add": host["CapAdd"],
        "privileged": host["Privileged"],
        "readonly": host["ReadonlyRootfs"],
        "shm_size": host["ShmSize"],
        "tmpfs": host["Tmpfs"],
        "init": host["Init"],
        "extra_hosts": sorted(&host["ExtraHosts"]),
        "dns": host["Dns"],
        "sysctls": host["Sysctls"],
        "ports": host["PortBindings"],
        "security_opt": host["SecurityOpt"],
    })
}

#[test]
#[ignore = "needs Docker Compose v2 and Docker: cargo test -- --include-ignored (as .ci/run does)"]
fn containers_are_configured_as_compose_configures_them() {
    let stack = format!(
        r#"services:
  app:
    image: {BUSYBOX}
    command: sleep 3600
    user: "1000"
    working_dir: /tmp
    environment: {{A: "1", PRICE: "$5"}}
    deploy:
      resources:
        limits: {{cpus: '0.5', memory: 64M, pids: 50}}
        reservations: {{memory: 32M}}
      restart_policy: {{condition: on-failure, max_attempts: 3}}
    device_cgroup_rules: ["c 1:3 mr"]
    devices: ["/dev/null:/dev/mynull"]
    ulimits: {{nofile: 1024, nproc: {{soft: 100, hard: 200}}}}
    cap_add: [NET_ADMIN]
    init: true
    shm_size: 64m
    tmpfs: [/run]
    extra_hosts: ["db.example:10.0.0.2"]
    sysctls: {{net.core.somaxconn: "1024"}}
    ports: ["127.0.0.1::8080"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
    volumes:
      - data:/data/:z
      - ./conf/:/etc/app/:ro
    stop_signal: SIGTERM
    stop_grace_period: 1s
volumes:
  data:
"#
    );
    let ours = stack_ctx(&stack);
    let theirs = stack_ctx(&stack);
    let _down = (Down(&ours), Down(&theirs));
    ours.devenv_p(&["up", "--pull", "never"]).success();
    compose(&theirs, &["up", "-d", "--pull", "never"]).success();
    let a = shape(&format!("{}-app-1", ours.project), &ours.project);
    let b = shape(&format!("{}-app-1", theirs.project), &theirs.project);
    assert_eq!(
        a,
        b,
        "devenv's container differs from compose's\n--- devenv\n{}\n--- compose\n{}",
        serde_json::to_string_pretty(&a).unwrap_or_default(),
        serde_json::to_string_pretty(&b).unwrap_or_default()
    );
    // The limits did reach the engine (so the comparison is not between two empty shapes).
    assert_eq!(a["memory"], 64 << 20);
    assert_eq!(a["pids_limit"], 50);
    assert_eq!(a["restart"]["Name"], "on-failure");
}

fn stack_ctx(compose_yaml: &str) -> TestContext {
    let ctx = stack(compose_yaml);
    std::fs::create_dir_all(ctx.join("conf")).expect("mkdir conf");
    ctx
}

#[test]
#[ignore = "needs Docker: cargo test -- --include-ignored (as .ci/run does)"]
fn scaled_services_run_numbered_containers() {
    let ctx = stack(&format!(
        "services:\n  worker:\n    image: {BUSYBOX}\n    command: sleep 3600\n    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n"
    ));
    let _down = Down(&ctx);
    ctx.devenv_p(&["up", "--pull", "never"]).success();
    let names = |ctx: &TestContext| -> Vec<String> {
        container_ids(ctx).into_iter().map(|(n, _)| n).collect()
    };
    let p = &ctx.project;
    assert_eq!(
        names(&ctx),
        [format!("{p}-worker-1"), format!("{p}-worker-2")]
    );
    let up = ctx
        .devenv_p(&["up", "--pull", "never", "--scale", "worker=3"])
        .success();
    up.assert_stderr_contains(&format!("Started `{p}-worker-3`"));
    up.assert_stderr_contains("(1 services, 3 containers)");
    let host = ctx
        .devenv_p(&["exec", "-T", "--index", "3", "worker", "--", "hostname"])
        .success();
    let id3 = container_ids(&ctx)
        .into_iter()
        .find(|(n, _)| n.ends_with("-worker-3"))
        .map(|(_, id)| id)
        .unwrap_or_default();
    assert!(
        !id3.is_empty() && id3.starts_with(host.stdout.trim()),
        "exec --index 3 ran in {} not {id3}",
        host.stdout
    );
    let ps = ctx.devenv_p(&["ps"]).success();
    ps.assert_stdout_contains(&format!("{p}-worker-3"));
    let down = ctx
        .devenv_p(&["up", "--pull", "never", "--scale", "worker=1"])
        .success();
    down.assert_stderr_contains(&format!("Removed `{p}-worker-3`"));
    assert_eq!(names(&ctx), [format!("{p}-worker-1")]);
    ctx.devenv_p(&["down", "--timeout", "0"]).success();
    assert!(names(&ctx).is_empty());
}

#[test]
#[ignore = "needs Docker: cargo test -- --include-ignored (as .ci/run does)"]
fn attach_false_is_left_out_of_logs_until_named() {
    let ctx = stack(&format!(
        r#"services:
  loud:
    image: {BUSYBOX}
    command: ["sh", "-c", "echo from-loud; exec sleep 3600"]
    stop_grace_period: 1s
  quiet:
    image: {BUSYBOX}
    attach: false
    command: ["sh", "-c", "echo from-quiet; exec sleep 3600"]
    stop_grace_period: 1s
"#
    ));
    let _down = Down(&ctx);
    ctx.devenv_p(&["up", "--pull", "never"]).success();
    // The containers print at once; give the engine's log a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut all = ctx.devenv_p(&["logs"]).success();
    while !all.stdout.contains("from-loud") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        all = ctx.devenv_p(&["logs"]).success();
    }
    all.assert_stdout_contains("from-loud");
    all.assert_stdout_lacks("from-quiet");
    let named = ctx.devenv_p(&["logs", "quiet"]).success();
    named.assert_stdout_contains("from-quiet");
}

#[test]
#[ignore = "needs Docker: cargo test -- --include-ignored (as .ci/run does)"]
fn a_container_from_another_compose_version_is_compared_before_it_is_recreated() {
    let compose_yaml = |cmd: &str| {
        format!(
            "services:\n  app:\n    image: {BUSYBOX}\n    command: {cmd}\n    environment: [A=1]\n    stop_grace_period: 1s\n"
        )
    };
    let ctx = stack(&compose_yaml("sleep 3600"));
    let _down = Down(&ctx);
    ctx.devenv_p(&["up", "--pull", "never"]).success();
    // Replace the container by one another Compose release made: same shape, a hash
    // devenv cannot reproduce.
    let p = &ctx.project;
    let name = format!("{p}-app-1");
    let image = docker(&["image", "inspect", BUSYBOX, "--format", "{{.Id}}"]);
    docker(&["rm", "-f", &name]);
    let label = |k: &str, v: &str| format!("com.docker.compose.{k}={v}");
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        &format!("{p}_default"),
        "-e",
        "A=1",
        "--label",
        &label("project", p),
        "--label",
        &label("service", "app"),
        "--label",
        &label("container-number", "1"),
        "--label",
        &label("oneoff", "False"),
        "--label",
        &label("config-hash", "made-elsewhere"),
        "--label",
        &label("version", "2.20.3"),
        "--label",
        &label("image", image.trim()),
        BUSYBOX,
        "sleep",
        "3600",
    ]);
    let before = container_ids(&ctx);
    let kept = ctx.devenv_p(&["-v", "up", "--pull", "never"]).success();
    kept.assert_stderr_contains(&format!("keeping `{name}`: made by Docker Compose 2.20.3"));
    assert_eq!(container_ids(&ctx), before, "{}", kept.dump());
    ctx.write("compose.yaml", compose_yaml("sleep 3601"));
    let recreated = ctx.devenv_p(&["-v", "up", "--pull", "never"]).success();
    recreated.assert_stderr_contains(&format!(
        "recreating `{name}`: made by Docker Compose 2.20.3, and it differs: command"
    ));
    assert_ne!(container_ids(&ctx), before);
}

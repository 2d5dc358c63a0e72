//! Integration tests: the stack engine against the real Docker engine and the local test
//! images (`tests/images/build.sh`). Each test has its own project name and cleans up.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::TestContext;

const BUSYBOX: &str = "devenv-test/busybox:latest";
const POSTGRES: &str = "devenv-test/postgres:15";

/// The 3-service stack from the issue: PostgreSQL with a healthcheck, a web service that
/// waits for it and publishes a port, and a worker.
fn three_service_stack(worker_message: &str) -> String {
    format!(
        r#"services:
  db:
    image: {POSTGRES}
    environment:
      POSTGRES_PASSWORD: secret
      POSTGRES_DB: app
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres -d app"]
      interval: 1s
      timeout: 3s
      retries: 30
    volumes:
      - dbdata:/var/lib/postgresql/data
  web:
    image: {BUSYBOX}
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
      - "127.0.0.1::8080"
    depends_on:
      db:
        condition: service_healthy
  worker:
    image: {BUSYBOX}
    command: ["sh", "-c", "echo {worker_message}; exec sleep 3600"]
    stop_grace_period: 2s
    depends_on:
      - db
volumes:
  dbdata:
"#
    )
}

/// Removes the project's containers, networks and volumes even when a test fails.
struct Cleanup<'a>(&'a TestContext);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = self.0.devenv_p(&["down", "--volumes", "--timeout", "0"]);
    }
}

/// The docker CLI as an independent witness of what devenv did. Fails the test when the CLI
/// fails, so an assertion on its output can't pass vacuously.
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

fn container_ids(ctx: &TestContext) -> Vec<(String, String)> {
    let out = ctx.devenv_p(&["ps", "--json", "--all"]).success();
    let mut ids: Vec<(String, String)> = out
        .json()
        .as_array()
        .expect("ps --json is an array")
        .iter()
        .map(|c| {
            (
                c["Service"].as_str().unwrap().to_string(),
                c["ID"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ids.sort();
    ids
}

/// The body at `url`, once it holds `needle`: a service without a healthcheck is
/// "up" when its process runs, which may be a moment before it listens (more on a loaded CI).
fn http_get_eventually(url: &str, needle: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = std::net::TcpStream::connect(addr)
            .and_then(|mut stream| {
                stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                write!(stream, "GET / HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
                let mut body = String::new();
                stream.read_to_string(&mut body)?;
                Ok(body)
            })
            .unwrap_or_else(|e| format!("({e})"));
        if body.contains(needle) || Instant::now() > deadline {
            return body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn three_service_stack_up_is_idempotent_recreates_only_changes_and_down_keeps_volumes() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    ctx.write("compose.yaml", three_service_stack("v1"));

    let out = ctx.devenv_p(&["up"]).success();
    let url = out
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in the summary:\n{}\n{}", out.stdout, out.stderr));
    assert!(
        http_get_eventually(url, "hello-from-web").contains("hello-from-web"),
        "web answers at {url}"
    );

    // Every service is up, the database healthy.
    let ps = ctx.devenv_p(&["ps", "--json"]).success().json();
    let ps = ps.as_array().unwrap();
    assert_eq!(ps.len(), 3, "{ps:?}");
    let db = ps.iter().find(|c| c["Service"] == "db").unwrap();
    assert_eq!(db["Health"], "healthy");

    // docker-compose sees what devenv started (standard labels).
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok()
    {
        let out = Command::new("docker-compose")
            .args(["-p", &ctx.project, "ps"])
            .current_dir(ctx.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for svc in ["db", "web", "worker"] {
            assert!(
                text.contains(&format!("{}-{svc}-1", ctx.project)),
                "docker-compose ps misses {svc}:\n{text}"
            );
        }
    }

    // A warm `up` recreates nothing.
    let before = container_ids(&ctx);
    let warm = ctx.devenv_p(&["up"]).success();
    warm.assert_stderr_lacks("Recreated")
        .assert_stderr_lacks("Started");
    assert_eq!(before, container_ids(&ctx));

    // A changed service is recreated alone.
    ctx.write("compose.yaml", three_service_stack("v2"));
    let changed = ctx.devenv_p(&["up"]).success();
    changed.assert_stderr_contains("Recreated");
    let after = container_ids(&ctx);
    for ((svc, old), (_, new)) in before.iter().zip(&after) {
        if svc == "worker" {
            assert_ne!(old, new, "worker must be recreated");
        } else {
            assert_eq!(old, new, "{svc} must be left alone");
        }
    }
    // The new worker's first line reaches the engine's log a moment after it starts.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = ctx.devenv_p(&["logs", "worker"]).success();
        if logs.stdout.contains("v2") {
            assert!(
                !logs.stdout.contains("v1"),
                "the old worker's container is gone: {}",
                logs.stdout
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "worker never logged v2: {}",
            logs.stdout
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // `down` keeps the named volume; `down --volumes` removes it.
    let volume = format!("{}_dbdata", ctx.project);
    ctx.devenv_p(&["down", "--timeout", "1"]).success();
    assert!(container_ids(&ctx).is_empty());
    assert!(
        docker(&["volume", "ls", "-q"]).lines().any(|v| v == volume),
        "volume kept"
    );
    ctx.devenv_p(&["down", "--volumes"]).success();
    assert!(
        !docker(&["volume", "ls", "-q"]).lines().any(|v| v == volume),
        "volume removed"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn one_shot_service_gates_its_dependents() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    let stack = |code: u8| {
        format!(
            "services:\n  migrate:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"echo migrating; echo done > /tmp/x; exit {code}\"]\n  app:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n"
        )
    };
    ctx.write("compose.yaml", stack(0));
    ctx.devenv_p(&["up"]).success();
    let ps = ctx.devenv_p(&["ps", "--json", "--all"]).success().json();
    let state = |svc: &str| {
        ps.as_array()
            .unwrap()
            .iter()
            .find(|c| c["Service"] == svc)
            .unwrap()["State"]
            .clone()
    };
    assert_eq!(state("migrate"), "exited");
    assert_eq!(state("app"), "running");
    // Warm: the completed one-shot is not run again.
    let warm = ctx.devenv_p(&["up"]).success();
    warm.assert_stderr_lacks("Started");

    // A failing one-shot stops `up` with its output, and its dependent never starts.
    ctx.devenv_p(&["down", "--timeout", "0"]).success();
    ctx.write("compose.yaml", stack(3));
    let out = ctx.devenv_p(&["up"]).assert_code(1);
    out.assert_stderr_contains("`migrate` exited with code 3");
    out.assert_stderr_contains("migrating");
    let ps = ctx.devenv_p(&["ps", "--json", "--all"]).success().json();
    assert!(
        !ps.as_array().unwrap().iter().any(|c| c["Service"] == "app"),
        "{ps}"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn a_service_that_never_gets_healthy_fails_with_its_health_log() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    ctx.write(
        "compose.yaml",
        format!(
            "services:\n  sick:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    healthcheck:\n      test: [\"CMD-SHELL\", \"echo not-ready-yet; exit 1\"]\n      interval: 1s\n      retries: 100\n"
        ),
    );
    let start = Instant::now();
    let out = ctx.devenv_p(&["up", "--wait-timeout", "4"]).assert_code(1);
    assert!(start.elapsed() < Duration::from_secs(30));
    out.assert_stderr_contains("not ready within 4s");
    out.assert_stderr_contains("not-ready-yet");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn a_busy_host_port_names_its_holder() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    ctx.write(
        "compose.yaml",
        format!("services:\n  web:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    ports:\n      - \"127.0.0.1:{port}:80\"\n"),
    );
    let out = ctx.devenv_p(&["up"]).assert_code(1);
    assert!(
        out.stderr
            .contains(&format!("host port {port} is already in use")),
        "{}",
        out.stderr
    );
    out.assert_stderr_contains(&format!("pid {}", std::process::id()));
    out.assert_stderr_contains("hint:");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn a_missing_image_that_cannot_be_pulled_says_how_to_get_it() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    ctx.write(
        "compose.yaml",
        "services:\n  ghost:\n    image: devenv-test/does-not-exist:1\n",
    );
    let out = ctx.devenv_p(&["up", "--pull", "never"]).assert_code(1);
    assert!(
        out.stderr
            .contains("`devenv-test/does-not-exist:1` is not available locally"),
        "{}",
        out.stderr
    );
    out.assert_stderr_contains("devenv prefetch");
    // With pulling allowed there is no registry here: a clear error, not a hang or panic.
    let out = ctx.devenv_p(&["up"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    out.assert_stderr_contains("could not be pulled");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn builds_honour_dockerignore_and_a_failing_step_is_shown() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    ctx.write(
        "app/Dockerfile",
        format!("FROM {BUSYBOX}\nCOPY . /app\nCMD [\"sleep\", \"3600\"]\n"),
    );
    ctx.write("app/.dockerignore", "secret.txt\n");
    ctx.write("app/secret.txt", "do not send");
    ctx.write("app/main.txt", "hello");
    ctx.write("compose.yaml", "services:\n  app:\n    build: ./app\n");
    ctx.devenv_p(&["up"]).success();
    let ls = ctx
        .devenv_p(&["exec", "-T", "app", "--", "ls", "/app"])
        .success();
    ls.assert_stdout_contains("main.txt");
    assert!(
        !ls.stdout.contains("secret.txt"),
        ".dockerignore honoured: {}",
        ls.stdout
    );
    // exec passes the exit code through.
    ctx.devenv_p(&["exec", "-T", "app", "--", "sh", "-c", "exit 7"])
        .assert_code(7);

    ctx.write(
        "app/Dockerfile",
        format!("FROM {BUSYBOX}\nRUN echo about-to-fail && false\n"),
    );
    let out = ctx.devenv_p(&["up", "--build"]).assert_code(1);
    out.assert_stderr_contains("failed to build");
    assert!(
        out.stderr.contains("RUN echo about-to-fail && false"),
        "failing step shown: {}",
        out.stderr
    );
    let _ = docker(&["rmi", "-f", &format!("{}-app", ctx.project)]);
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn down_stops_containers_that_ignore_sigterm_in_one_grace_period() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    // busybox `sleep` as PID 1 ignores SIGTERM: each container needs its full grace period.
    let mut compose = String::from("services:\n");
    for i in 0..3 {
        compose.push_str(&format!("  s{i}:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 4s\n"));
    }
    ctx.write("compose.yaml", compose);
    ctx.devenv_p(&["up"]).success();
    let start = Instant::now();
    ctx.devenv_p(&["down"]).success();
    let took = start.elapsed();
    // Three containers in parallel: about one grace period (4 s); in turn it would take
    // three (12 s) plus the engine's own time. The target is measured in bench/engine.sh.
    assert!(took < Duration::from_secs(11), "down took {took:?}");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn two_ups_at_once_on_one_project_take_turns() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    // Healthy only after ~3 s, so the first `up` holds the project for that long.
    ctx.write(
        "compose.yaml",
        format!(
            "services:\n  slow:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"sleep 3; touch /tmp/ready; exec sleep 3600\"]\n    healthcheck:\n      test: [\"CMD-SHELL\", \"test -f /tmp/ready\"]\n      interval: 1s\n      retries: 30\n"
        ),
    );
    let spawn = || {
        ctx.command(&["-p", &ctx.project, "up"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn devenv up")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{a:?}\n{b:?}");
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    assert!(
        stderr.contains("Waiting") && stderr.contains("pid"),
        "the second run says who holds the project:\n{stderr}"
    );
    assert_eq!(
        stderr.matches("Started").count(),
        1,
        "one container started once:\n{stderr}"
    );
    assert_eq!(container_ids(&ctx).len(), 1);
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn a_recreated_dependency_restarts_dependents_that_ask_for_it() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    let stack = |tag: &str| {
        format!(
            "services:\n  base:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"echo {tag}; exec sleep 3600\"]\n  follower:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    depends_on:\n      base:\n        condition: service_started\n        restart: true\n  bystander:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    depends_on: [base]\n"
        )
    };
    ctx.write("compose.yaml", stack("a"));
    ctx.devenv_p(&["up"]).success();
    let before = container_ids(&ctx);
    ctx.write("compose.yaml", stack("b"));
    let out = ctx.devenv_p(&["up", "--json"]).success();
    let report = out.json();
    let action = |svc: &str| {
        report["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == svc)
            .unwrap()["action"]
            .clone()
    };
    assert_eq!(action("base"), "recreated");
    assert_eq!(action("follower"), "restarted", "{report}");
    assert_eq!(action("bystander"), "running", "{report}");
    let after = container_ids(&ctx);
    // Restarted, not recreated: same container ids for both dependents.
    assert_eq!(
        before
            .iter()
            .filter(|(s, _)| s != "base")
            .collect::<Vec<_>>(),
        after
            .iter()
            .filter(|(s, _)| s != "base")
            .collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn up_migrates_after_the_database_is_healthy_and_a_failed_migration_stops_it() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    ctx.write(
        "compose.yaml",
        format!(
            r#"services:
  db:
    image: {POSTGRES}
    environment: {{POSTGRES_PASSWORD: secret, POSTGRES_DB: app}}
    ports: ["127.0.0.1::5432"]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres -d app"]
      interval: 1s
      retries: 30
  app:
    image: {BUSYBOX}
    command: ["sleep", "3600"]
    depends_on:
      db: {{condition: service_healthy}}
"#
        ),
    );
    ctx.write(
        "devenv.yaml",
        "database:\n  service: db\n  dir: migrations\n",
    );
    ctx.write(
        "migrations/001_accounts.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
    );
    ctx.write(
        "migrations/002_broken.sql",
        "CREATE TABLE audit (id bigint);\nSELECT 1/0;\n",
    );
    let out = ctx.devenv_p(&["up"]).assert_code(1);
    out.assert_stderr_contains("002_broken.sql");
    out.assert_stderr_contains("division by zero");
    // Pre-deploy order: the app never started on an unmigrated database.
    let ps = ctx.devenv_p(&["ps", "--json", "--all"]).success().json();
    assert!(
        !ps.as_array().unwrap().iter().any(|c| c["Service"] == "app"),
        "{ps}"
    );
    // The failed file left nothing behind; the good one stayed.
    let tables = ctx
        .devenv_p(&["exec", "-T", "db", "--", "psql", "-U", "postgres", "-d", "app", "-tAc", "select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'public'"])
        .success();
    assert_eq!(tables.stdout.trim(), "accounts,devenv_schema_migrations");

    ctx.write(
        "migrations/002_broken.sql",
        "CREATE TABLE audit (id bigint);\n",
    );
    ctx.devenv_p(&["up"]).success();
    let status = ctx.devenv_p(&["db", "status", "--json"]).success().json();
    assert!(status.to_string().contains("002"), "{status}");
    let ps = ctx.devenv_p(&["ps", "--json"]).success().json();
    assert!(
        ps.as_array().unwrap().iter().any(|c| c["Service"] == "app"),
        "{ps}"
    );

    // doctor compares the files with the history: an edited applied file fails it.
    let history = |out: &crate::common::Output| {
        out.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "history")
            .unwrap()["outcome"]
            .clone()
    };
    let doctor = ctx.devenv_p(&["doctor", "--json"]);
    assert_eq!(history(&doctor), "ok", "{}", doctor.stdout);
    ctx.write(
        "migrations/001_accounts.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n",
    );
    let doctor = ctx.devenv_p(&["doctor", "--json"]).assert_code(1);
    assert_eq!(history(&doctor), "fail", "{}", doctor.stdout);
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn down_volumes_also_removes_anonymous_volumes() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    ctx.write(
        "compose.yaml",
        format!("services:\n  box:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n    volumes:\n      - /scratch\n"),
    );
    ctx.devenv_p(&["up"]).success();
    let name = format!("{}-box-1", ctx.project);
    let anon = docker(&["inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", &name])
        .trim()
        .to_string();
    assert!(!anon.is_empty(), "an anonymous volume is mounted");
    ctx.devenv_p(&["down", "--timeout", "0"]).success();
    assert!(
        docker(&["volume", "ls", "-q"]).lines().any(|v| v == anon),
        "kept without --volumes, as compose"
    );
    docker(&["volume", "rm", &anon]);
    ctx.devenv_p(&["up"]).success();
    let anon = docker(&["inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", &name])
        .trim()
        .to_string();
    // A recreated container keeps its anonymous volume (as compose), so nothing dangles.
    ctx.write(
        "compose.yaml",
        format!("services:\n  box:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"7200\"]\n    stop_grace_period: 1s\n    volumes:\n      - /scratch\n"),
    );
    let out = ctx.devenv_p(&["up"]).success();
    out.assert_stderr_contains("Recreated");
    let inherited = docker(&["inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", &name])
        .trim()
        .to_string();
    assert_eq!(
        inherited, anon,
        "the recreated container mounts the same anonymous volume"
    );
    ctx.devenv_p(&["down", "--volumes", "--timeout", "0"])
        .success();
    assert!(
        !docker(&["volume", "ls", "-q"]).lines().any(|v| v == anon),
        "removed with --volumes"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn implicit_dependencies_links_secrets_configs_ipam_and_shared_network_namespaces() {
    let mut ctx = TestContext::new();
    // A fixed subnet would collide with another test run on the same engine: one per process.
    let net = 20 + std::process::id() % 200;
    ctx.env("DEVENV_TEST_TOKEN", "s3cret");
    let _cleanup = Cleanup(&ctx);
    ctx.write(
        "compose.yaml",
        format!(
            r#"services:
  app:
    image: {BUSYBOX}
    command: ["sh", "-c", "echo kept > /data/x; exec sleep 3600"]
    stop_grace_period: 1s
    volumes_from: [store]
    links: ["store:storage"]
    secrets: [tok]
    configs: [cfg]
    networks:
      default: {{}}
      front:
        ipv4_address: 172.29.{net}.10
  side:
    image: {BUSYBOX}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    network_mode: "service:app"
  store:
    image: {BUSYBOX}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    volumes: ["/data"]
secrets:
  tok:
    environment: DEVENV_TEST_TOKEN
configs:
  cfg:
    content: hello-config
networks:
  front:
    ipam:
      config:
        - subnet: 172.29.{net}.0/24
"#
        ),
    );
    // `app` only names `store` through volumes_from and links: it must still start after it.
    ctx.devenv_p(&["up"]).success();
    let exec = |cmd: &str| {
        ctx.devenv_p(&["exec", "-T", "app", "--", "sh", "-c", cmd])
            .success()
            .stdout
    };
    assert_eq!(exec("cat /run/secrets/tok").trim(), "s3cret");
    assert_eq!(exec("cat /cfg").trim(), "hello-config");
    assert_eq!(
        exec("cat /data/x").trim(),
        "kept",
        "volumes_from shares store's volume"
    );
    exec("ping -c 1 -W 3 storage >/dev/null");
    let app = format!("{}-app-1", ctx.project);
    let ips = docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        &app,
    ]);
    assert!(
        ips.contains(&format!("172.29.{net}.10")),
        "ipam + ipv4_address: {ips}"
    );
    let mode = docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.NetworkMode}}",
        &format!("{}-side-1", ctx.project),
    ]);
    assert!(mode.trim().starts_with("container:"), "{mode}");

    let store = format!("{}-store-1", ctx.project);
    let anon = docker(&["inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", &store])
        .trim()
        .to_string();
    let out = ctx.devenv_p(&["down", "--volumes"]).success();
    out.assert_stderr_lacks("warning");
    assert!(
        !docker(&["volume", "ls", "-q"]).lines().any(|v| v == anon),
        "store's anonymous volume removed"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn a_failed_one_shot_runs_again_and_a_healthy_wait_without_healthcheck_is_a_user_error() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    std::fs::create_dir_all(ctx.join("flag")).unwrap();
    ctx.write(
        "compose.yaml",
        format!(
            "services:\n  job:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"test -f /flag/ok || exit 3\"]\n    volumes: [\"./flag:/flag\"]\n  app:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n    depends_on:\n      job:\n        condition: service_completed_successfully\n"
        ),
    );
    ctx.devenv_p(&["up"]).assert_code(1);
    ctx.write("flag/ok", "");
    // The failed one-shot is run again, so `up` converges once the cause is fixed.
    ctx.devenv_p(&["up"]).success();

    ctx.devenv_p(&["down", "--timeout", "0"]).success();
    ctx.write(
        "compose.yaml",
        format!(
            "services:\n  a:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n  b:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    depends_on:\n      a:\n        condition: service_healthy\n"
        ),
    );
    let out = ctx.devenv_p(&["up"]).assert_code(1);
    out.assert_stderr_contains("`a` has no healthcheck");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn an_interrupted_up_exits_130() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    // Never healthy: `up` waits until it is interrupted.
    ctx.write(
        "compose.yaml",
        format!(
            "services:\n  stuck:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n    healthcheck:\n      test: [\"CMD-SHELL\", \"exit 1\"]\n      interval: 1s\n      retries: 1000\n"
        ),
    );
    let child = ctx
        .command(&["-p", &ctx.project, "up"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn devenv up");
    // Interrupt once its container exists (it is waiting for health then).
    let deadline = Instant::now() + Duration::from_secs(60);
    while container_ids(&ctx).is_empty() {
        assert!(Instant::now() < deadline, "up never created its container");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = i32::try_from(child.id()).expect("pid fits");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().expect("wait for devenv up");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "stderr:\n{stderr}");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn start_follows_dependency_levels_with_or_without_the_compose_file() {
    let ctx = TestContext::new();
    let _cleanup = Cleanup(&ctx);
    // `web` has one dependency and `api` two, but `web` needs `api`: counting dependencies
    // would start `web` first.
    let sleeper =
        format!("image: {BUSYBOX}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 0s");
    ctx.write(
        "compose.yaml",
        format!(
            "services:\n  web:\n    {sleeper}\n    depends_on: [api]\n  api:\n    {sleeper}\n    depends_on: [db, cache]\n  db:\n    {sleeper}\n  cache:\n    {sleeper}\n"
        ),
    );
    ctx.devenv_p(&["up"]).success();
    let started = |out: &crate::common::Output, service: &str| {
        let needle = format!("Started `{}-{service}-1`", ctx.project);
        out.stderr
            .find(&needle)
            .unwrap_or_else(|| panic!("no {needle:?}\n{}", out.dump()))
    };
    let assert_order = |out: &crate::common::Output| {
        assert!(started(out, "db") < started(out, "api"), "{}", out.dump());
        assert!(
            started(out, "cache") < started(out, "api"),
            "{}",
            out.dump()
        );
        assert!(started(out, "api") < started(out, "web"), "{}", out.dump());
    };
    // From the compose model.
    ctx.devenv_p(&["stop", "-t", "0"]).success();
    assert_order(&ctx.devenv_p(&["start"]).success());
    // From the labels alone (`-p NAME`, no compose file).
    std::fs::remove_file(ctx.join("compose.yaml")).expect("remove compose.yaml");
    ctx.devenv_p(&["stop", "-t", "0"]).success();
    assert_order(&ctx.devenv_p(&["start"]).success());
    let running = docker(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={}", ctx.project),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(running.lines().count(), 4, "{running}");
}

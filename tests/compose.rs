//! Integration tests: compose. `devenv config` on fixtures and temp projects: the resolved
//! model, merging, `.env`, profiles, and errors with file:line. No engine needed.

use crate::common::TestContext;

fn fixture(name: &str) -> String {
    let path = crate::common::repo_root()
        .join("tests/fixtures/compose")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn config_json_resolves_the_full_stack() {
    let t = TestContext::new();
    t.write("compose.yaml", fixture("stack.yaml"));
    t.write(".env", "WEB_PORT=8081\n");
    t.write("app.env", "APP_MODE=dev\n");
    t.write("web/Dockerfile", "FROM scratch\n");
    let out = t.devenv(&["config", "--json"]).success();
    let json = out.json();
    assert_eq!(json["name"], "stack");
    let web = &json["services"]["web"];
    assert_eq!(web["build"]["context"], t.join("web").to_str().unwrap());
    assert_eq!(web["build"]["dockerfile"], "Dockerfile");
    assert_eq!(web["build"]["args"]["VERSION"], "1");
    assert_eq!(
        web["command"],
        serde_json::json!(["gunicorn", "-b", "0.0.0.0:8000", "app:app"])
    );
    assert_eq!(web["ports"][0]["published"], "8081");
    assert_eq!(web["ports"][0]["target"], 8000);
    assert_eq!(web["ports"][0]["host_ip"], "127.0.0.1");
    assert_eq!(web["environment"]["APP_MODE"], "dev");
    assert_eq!(
        web["environment"]["DATABASE_URL"],
        "postgresql://app:app@db/app"
    );
    assert_eq!(web["depends_on"]["db"]["condition"], "service_healthy");
    assert_eq!(
        web["depends_on"]["migrate"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(web["volumes"][0]["type"], "bind");
    assert_eq!(web["volumes"][0]["source"], t.join("web").to_str().unwrap());
    assert_eq!(web["volumes"][0]["read_only"], true);
    assert_eq!(web["networks"]["front"]["aliases"][0], "app");
    let db = &json["services"]["db"];
    assert_eq!(
        db["healthcheck"]["test"],
        serde_json::json!(["CMD-SHELL", "pg_isready -U app"])
    );
    assert_eq!(db["healthcheck"]["interval"], "2s");
    assert_eq!(db["volumes"][0]["source"], "pgdata");
    // Written as one number, printed as one number (as compose prints it).
    assert_eq!(db["ulimits"]["nofile"], 1024);
    assert_eq!(db["stop_grace_period"], "30s");
    assert_eq!(json["volumes"]["pgdata"]["name"], "stack_pgdata");
    assert_eq!(json["networks"]["default"]["name"], "stack_default");
    assert_eq!(json["networks"]["front"]["name"], "stack_front");
    // `deploy` applies to plain containers, as in compose.
    assert_eq!(db["deploy"]["replicas"], 1);
    out.assert_stderr_lacks("deploy");
    // `$$` stays escaped in the output (it is reloadable), unescaped in the model.
    assert_eq!(json["services"]["worker"]["command"][2], "echo $$HOME");
}

#[test]
fn config_yaml_is_the_default_and_services_lists_names() {
    let t = TestContext::new();
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n  db:\n    image: postgres\n",
    );
    let out = t.devenv(&["config"]).success();
    // Compose's order: services sorted by name, keys in compose-go's order.
    out.assert_stdout_contains(
        "services:\n  db:\n    command: null\n    entrypoint: null\n    image: postgres",
    );
    let out = t.devenv(&["config", "--services"]).success();
    assert_eq!(out.stdout, "web\ndb\n");
    let json = t
        .devenv(&["config", "--services", "--json"])
        .success()
        .json();
    assert_eq!(json, serde_json::json!(["web", "db"]));
    let out = t.devenv(&["config", "-q"]).success();
    assert_eq!(out.stdout, "");
}

#[test]
fn unknown_key_names_file_and_line() {
    let t = TestContext::new();
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    portz:\n      - 80:80\n",
    );
    let out = t.devenv(&["config"]).assert_code(1);
    out.assert_stderr_contains("compose.yaml:4");
    out.assert_stderr_contains("unknown key `portz`");
    out.assert_stderr_contains("did you mean `ports`");
    assert_eq!(out.stdout, "");
}

#[test]
fn malformed_yaml_shows_line_column_and_caret() {
    let t = TestContext::new();
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n     ports: [80]\n",
    );
    let out = t.devenv(&["config", "--json"]).assert_code(1);
    let first = out.stderr.lines().next().unwrap_or_default().to_string();
    assert!(
        first.contains("compose.yaml:4:"),
        "first line should be file:line:col: {}",
        out.stderr
    );
    out.assert_stderr_contains("     ports: [80]");
    out.assert_stderr_contains("^");
}

#[test]
fn several_files_merge_in_order() {
    let t = TestContext::new();
    t.write("base.yaml", fixture("base.yaml"));
    t.write("dev.yaml", fixture("dev.yaml"));
    let json = t
        .devenv(&["-f", "base.yaml", "-f", "dev.yaml", "config", "--json"])
        .success()
        .json();
    let web = &json["services"]["web"];
    assert_eq!(web["image"], "nginx:dev");
    assert_eq!(
        web["command"],
        serde_json::json!(["nginx-debug", "-g", "daemon off;"])
    );
    assert_eq!(web["environment"]["MODE"], "dev");
    assert_eq!(web["environment"]["KEEP"], "base");
    assert_eq!(web["ports"].as_array().map(Vec::len), Some(2));
    assert_eq!(web["volumes"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        web["volumes"][0]["source"],
        t.join("dev-html").to_str().unwrap()
    );
    assert_eq!(web["labels"]["team"], "web");
    assert_eq!(web["labels"]["stage"], "dev");
    assert_eq!(json["services"]["cache"]["image"], "redis:7");
    // Reversed order: base wins.
    let json = t
        .devenv(&["-f", "dev.yaml", "-f", "base.yaml", "config", "--json"])
        .success()
        .json();
    assert_eq!(json["services"]["web"]["image"], "nginx:1.25");
}

#[test]
fn override_file_is_merged_automatically() {
    let t = TestContext::new();
    t.write("compose.yaml", "services:\n  web:\n    image: nginx:1\n");
    t.write(
        "compose.override.yaml",
        "services:\n  web:\n    image: nginx:2\n    ports: ['8080:80']\n",
    );
    let json = t.devenv(&["config", "--json"]).success().json();
    assert_eq!(json["services"]["web"]["image"], "nginx:2");
    assert_eq!(json["services"]["web"]["ports"][0]["published"], "8080");
    // An explicit -f skips the override.
    let json = t
        .devenv(&["-f", "compose.yaml", "config", "--json"])
        .success()
        .json();
    assert_eq!(json["services"]["web"]["image"], "nginx:1");
}

#[test]
fn discovery_walks_up_from_a_subfolder() {
    let t = TestContext::new();
    t.write(
        "docker-compose.yml",
        "name: up\nservices:\n  web:\n    image: nginx\n",
    );
    t.write("src/deep/keep", "");
    let out = t
        .devenv(&["-C", "src/deep", "config", "--services"])
        .success();
    assert_eq!(out.stdout, "web\n");
}

#[test]
fn env_file_process_env_and_required_variables() {
    let mut t = TestContext::new();
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: \"nginx:${TAG:-latest}\"\n    environment:\n      SECRET: ${SECRET:?put SECRET in .env}\n      FROM_ENV: ${FROM_ENV}\n",
    );
    let out = t.devenv(&["config"]).assert_code(1);
    out.assert_stderr_contains("compose.yaml:5");
    out.assert_stderr_contains("put SECRET in .env");
    t.write(".env", "SECRET=s3cret\nTAG=from-dotenv\n");
    t.env("TAG", "from-process");
    let out = t.devenv(&["config", "--json"]).success();
    let json = out.json();
    assert_eq!(json["services"]["web"]["image"], "nginx:from-process");
    assert_eq!(json["services"]["web"]["environment"]["SECRET"], "s3cret");
    assert_eq!(json["services"]["web"]["environment"]["FROM_ENV"], "");
    out.assert_stderr_contains("`FROM_ENV` is not set");
    // --env-file replaces .env.
    t.write("other.env", "SECRET=other\n");
    let json = t
        .devenv(&["--env-file", "other.env", "config", "--json"])
        .success()
        .json();
    assert_eq!(json["services"]["web"]["environment"]["SECRET"], "other");
}

#[test]
fn profiles_from_flag_and_environment() {
    let mut t = TestContext::new();
    t.write("compose.yaml", fixture("profiles.yaml"));
    let out = t.devenv(&["config", "--services"]).success();
    assert_eq!(out.stdout, "web\n");
    let out = t
        .devenv(&["--profile", "debug", "config", "--services"])
        .success();
    assert_eq!(out.stdout, "web\nadminer\n");
    // A named service is enabled even when its profile is not.
    let out = t.devenv(&["config", "--services", "mailhog"]).success();
    assert_eq!(out.stdout, "mailhog\n");
    t.env("COMPOSE_PROFILES", "debug,mail");
    let out = t.devenv(&["config", "--services"]).success();
    assert_eq!(out.stdout, "web\nadminer\nmailhog\n");
}

#[test]
fn missing_compose_file_is_a_user_error_with_a_hint() {
    let t = TestContext::new();
    let out = t.devenv(&["config"]).assert_code(1);
    out.assert_stderr_contains("no compose file found");
    out.assert_stderr_contains("hint:");
    let out = t.devenv(&["-f", "nope.yaml", "config"]).assert_code(1);
    out.assert_stderr_contains("nope.yaml");
}

#[test]
fn dependency_cycle_and_unknown_service_are_errors() {
    let t = TestContext::new();
    t.write(
        "compose.yaml",
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
    );
    let out = t.devenv(&["config", "a"]).assert_code(1);
    out.assert_stderr_contains("cycle");
    let t = TestContext::new();
    t.write("compose.yaml", "services:\n  web:\n    image: x\n");
    let out = t.devenv(&["config", "wbe"]).assert_code(1);
    out.assert_stderr_contains("did you mean `web`");
}

#[test]
fn project_name_precedence() {
    let mut t = TestContext::new();
    t.write(
        "compose.yaml",
        "name: fromfile\nservices:\n  web:\n    image: x\n",
    );
    assert_eq!(
        t.devenv(&["config", "--json"]).success().json()["name"],
        "fromfile"
    );
    assert_eq!(
        t.devenv(&["-p", "fromflag", "config", "--json"])
            .success()
            .json()["name"],
        "fromflag"
    );
    t.env("COMPOSE_PROJECT_NAME", "fromenv");
    assert_eq!(
        t.devenv(&["config", "--json"]).success().json()["name"],
        "fromenv"
    );
    let out = t.devenv(&["-p", "Bad Name", "config"]).assert_code(1);
    out.assert_stderr_contains("Bad Name");
}

#[test]
fn a_control_character_is_reported_at_its_line() {
    let t = TestContext::new();
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    environment:\n      A: \"x\0y\"\n",
    );
    let out = t.devenv(&["config"]).assert_code(1);
    out.assert_stderr_contains("compose.yaml:5:12: control character U+0000");
}

#[test]
fn a_compose_file_that_is_a_folder_says_so() {
    let t = TestContext::new();
    std::fs::create_dir_all(t.join("compose.yaml")).expect("mkdir");
    let out = t.devenv(&["config"]).assert_code(1);
    out.assert_stderr_contains("compose.yaml")
        .assert_stderr_contains("is a folder")
        .assert_stderr_lacks("no compose file found");
    let out = t.devenv(&["-f", "compose.yaml", "config"]).assert_code(1);
    out.assert_stderr_contains("is a folder");
}

#[test]
fn a_file_that_is_not_utf8_names_the_byte_and_no_wrong_hint() {
    let t = TestContext::new();
    t.write(
        "compose.yaml",
        b"services:\n  web:\n    image: \"\xff\xfe\"\n",
    );
    let out = t.devenv(&["config"]).assert_code(1);
    out.assert_stderr_contains("is not UTF-8 text")
        .assert_stderr_contains("line 3, column 13")
        .assert_stderr_contains("save the file as UTF-8")
        .assert_stderr_lacks("-f");
}

#[test]
fn an_unreadable_compose_file_is_devenv_unable_to_work_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let t = TestContext::new();
    t.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    std::fs::set_permissions(
        t.join("compose.yaml"),
        std::fs::Permissions::from_mode(0o000),
    )
    .expect("chmod");
    // Root reads anything: run the binary as `nobody` then, in a folder it may enter.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let out = if root {
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // A copy of the binary `nobody` can run wherever the checkout lives.
        let bin = t.join("devenv-bin");
        std::fs::copy(env!("CARGO_BIN_EXE_devenv"), &bin).expect("copy the binary");
        let mut cmd = std::process::Command::new("runuser");
        cmd.args(["-u", "nobody", "--"])
            .arg(&bin)
            .arg("config")
            .current_dir(t.path())
            .env("NO_COLOR", "1");
        cmd.output().expect("run devenv as nobody")
    } else {
        t.command(&["config"]).output().expect("run devenv")
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("Permission denied"), "stderr: {stderr}");
    assert!(stderr.contains("check its permissions"), "stderr: {stderr}");
}

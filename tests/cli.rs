//! Integration tests: global flags, help, exit codes.

use crate::common::TestContext;

#[test]
fn help_lists_verbs_and_examples() {
    let ctx = TestContext::new();
    let out = ctx.devenv(&["--help"]).assert_code(0);
    for verb in ["up", "down", "ps", "logs", "exec", "config", "vendor", "db"] {
        out.assert_stdout_contains(&format!("  {verb}"));
    }
    out.assert_stdout_contains("Examples:");
}

#[test]
fn global_flags_work_after_the_verb() {
    let ctx = TestContext::new();
    ctx.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let before = ctx.devenv(&["--json", "config"]).success();
    let after = ctx.devenv(&["config", "--json"]).success();
    assert_eq!(before.json()["services"]["web"]["image"], "busybox");
    assert_eq!(before.stdout, after.stdout);
    let renamed = ctx.devenv(&["config", "-p", "other", "--json"]).success();
    assert_eq!(renamed.json()["name"], "other", "-p after the verb");
}

#[test]
fn bad_devenv_yaml_names_file_line_and_column() {
    let ctx = TestContext::new();
    ctx.write("devenv.yaml", "app:\n  service: web\n  colour: blue\n");
    let out = ctx.devenv(&["ps"]).assert_code(1);
    out.assert_stderr_contains("devenv.yaml:3:");
    out.assert_stderr_contains("colour");
}

#[test]
fn an_unreachable_engine_is_one_clear_line_at_once() {
    let mut ctx = TestContext::new();
    ctx.env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    ctx.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let start = std::time::Instant::now();
    let out = ctx.devenv(&["ps"]).assert_code(2);
    // A missing socket fails at once; the bound leaves room for a loaded CI machine.
    assert!(start.elapsed() < std::time::Duration::from_secs(15));
    assert!(
        out.stderr
            .contains("cannot connect to the Docker engine at `unix:///nonexistent/docker.sock`"),
        "{}",
        out.stderr
    );
    out.assert_stderr_contains("hint: is the Docker daemon running?");
    out.assert_stderr_lacks("panicked");
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    let ctx = TestContext::new();
    ctx.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let mut child = ctx
        .command(&["config", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn devenv");
    // The reader goes away before devenv writes: `devenv config --json | head -0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for devenv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "stderr: {stderr}");
}

#[test]
fn a_failed_write_to_stdout_exits_2_and_says_so() {
    let ctx = TestContext::new();
    ctx.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let out = ctx
        .command(&["config", "--json"])
        .stdout(full)
        .output()
        .expect("run devenv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("failed to write to stdout"),
        "stderr: {stderr}"
    );
}

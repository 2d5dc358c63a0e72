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

//! Integration tests: global flags, help, exit codes.

use crate::common::TestContext;

#[test]
fn help_lists_verbs_and_examples() {
    let ctx = TestContext::new();
    let out = ctx.devenv(&["--help"]).assert_code(0);
    for verb in ["up", "down", "ps", "logs", "exec", "config", "vendor", "db"] {
        assert!(
            out.stdout.contains(&format!("  {verb}")),
            "missing {verb} in help:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("Examples:"), "{}", out.stdout);
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
    assert!(out.stderr.contains("devenv.yaml:3:"), "{}", out.stderr);
    assert!(out.stderr.contains("colour"), "{}", out.stderr);
}

#[test]
fn an_unreachable_engine_is_one_clear_line_within_5_seconds() {
    let mut ctx = TestContext::new();
    ctx.env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    ctx.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let start = std::time::Instant::now();
    let out = ctx.devenv(&["ps"]).assert_code(2);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        out.stderr
            .contains("cannot connect to the Docker engine at `unix:///nonexistent/docker.sock`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: is the Docker daemon running?"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

//! Integration tests: `devenv vendor …` against a real HTTP server on 127.0.0.1, reached
//! through the mirror setting, so manifest and lock keep canonical CDN URLs. No internet.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::Digest;

mod scan;

use crate::common::TestContext;
use crate::common::http::{Route, TestServer};

const HTMX_URL: &str = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js";
const HTMX_PATH: &str = "/npm/htmx.org@2.0.3/dist/htmx.min.js";
const PICO_URL: &str =
    "https://cdn.jsdelivr.net/npm/@picocss/pico@1.5.10/css/pico.classless.min.css";
const PICO_PATH: &str = "/npm/@picocss/pico@1.5.10/css/pico.classless.min.css";
const ALPINE_URL: &str = "https://unpkg.com/alpinejs@3.14.7/dist/cdn.min.js";
const ALPINE_PATH: &str = "/unpkg/alpinejs@3.14.7/dist/cdn.min.js";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("tests/fixtures/vendor").join(name)).expect("fixture")
}

fn repo() -> PathBuf {
    crate::common::repo_root()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A project with a mirror for jsDelivr and unpkg pointing at a fresh local server that
/// serves htmx, pico and alpine. Retries and timeouts are short so failure tests are quick.
fn setup() -> (TestContext, TestServer) {
    let server = TestServer::start();
    server
        .route(HTMX_PATH, Route::js(fixture("htmx.min.js")))
        .route(PICO_PATH, Route::css(fixture("pico.classless.min.css")))
        .route(ALPINE_PATH, Route::js(fixture("alpine.min.js")));
    let mut ctx = TestContext::new();
    ctx.env(
        "DEVENV_VENDOR_MIRRORS",
        format!(
            "https://cdn.jsdelivr.net/={}/,https://unpkg.com/={}/unpkg/",
            server.base(),
            server.base()
        ),
    );
    let cache = ctx.path().join(".cache");
    ctx.env("XDG_CACHE_HOME", cache.to_string_lossy().to_string());
    ctx.write("devenv.yaml", "vendor:\n  retries: 1\n  timeout_secs: 1\n");
    (ctx, server)
}

fn lock_json(ctx: &TestContext) -> serde_json::Value {
    serde_json::from_str(&ctx.read("vendor.lock")).expect("lock is JSON")
}

/// Files (not folders) below `dir`, relative, sorted: to prove nothing stray was left.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|p| !p.starts_with(".cache"))
        .collect();
    out.sort();
    out
}

/// Assert a failed command wrote nothing: the project holds exactly `before`.
#[track_caller]
fn assert_untouched(ctx: &TestContext, before: &[String]) {
    assert_eq!(
        files_under(ctx.path()),
        before,
        "files changed after a failed command"
    );
}

#[test]
fn add_downloads_verifies_and_records_canonical_urls() {
    let (ctx, server) = setup();
    let out = ctx.devenv(&["vendor", "add", HTMX_URL]).success();
    out.assert_stderr_contains("Added");
    let body = fixture("htmx.min.js");
    let dest = "static/vendor/htmx.org/dist/htmx.min.js";
    assert_eq!(std::fs::read(ctx.join(dest)).unwrap(), body);
    #[cfg(unix)]
    for file in [dest, "vendor.yaml", "vendor.lock"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ctx.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{file} is an ordinary readable file");
    }
    let lock = lock_json(&ctx);
    let a = &lock["assets"]["htmx.org"];
    assert_eq!(
        a["url"], HTMX_URL,
        "the lock keeps the canonical URL, not the mirror"
    );
    assert_eq!(a["dest"], dest);
    assert_eq!(a["size"], body.len() as u64);
    assert_eq!(a["sha256"], sha256(&body));
    assert!(a["integrity"].as_str().unwrap().starts_with("sha384-"));
    assert_eq!(a["version"], "2.0.3");
    assert_eq!(a["package"], "htmx.org");
    assert_eq!(a["registry"], "npm");
    assert!(a["entry_digest"].as_str().unwrap().starts_with("sha256:"));
    let manifest = ctx.read("vendor.yaml");
    assert!(
        manifest.contains(HTMX_URL) && !manifest.contains("127.0.0.1"),
        "{manifest}"
    );
    assert_eq!(server.hits_for(HTMX_PATH), 1);
    // The sha256 in the lock is checkable with sha256sum.
    if which::which("sha256sum").is_ok() {
        ctx.write(
            "SUMS",
            format!("{}  {dest}\n", a["sha256"].as_str().unwrap()),
        );
        let st = std::process::Command::new("sha256sum")
            .args(["-c", "SUMS"])
            .current_dir(ctx.path())
            .output()
            .unwrap();
        assert!(st.status.success());
        std::fs::remove_file(ctx.join("SUMS")).unwrap();
    }
    ctx.devenv(&["vendor", "verify"]).success();
    // Adding the same URL again is a no-op.
    ctx.devenv(&["vendor", "add", HTMX_URL]).success();
    assert_eq!(server.hits_for(HTMX_PATH), 1);
}

#[test]
fn add_several_urls_concurrently_with_dest_dir_and_json() {
    let (ctx, _server) = setup();
    let out = ctx
        .devenv(&[
            "--json",
            "vendor",
            "add",
            HTMX_URL,
            PICO_URL,
            ALPINE_URL,
            "--dest-dir",
            "app/static/lib",
        ])
        .success();
    let json = out.json();
    let added = json["added"].as_array().unwrap();
    assert_eq!(added.len(), 3);
    for (name, file) in [
        ("htmx.org", "htmx.min.js"),
        ("@picocss/pico", "pico.classless.min.css"),
        ("alpinejs", "alpine.min.js"),
    ] {
        let row = added
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {json}"));
        let dest = row["dest"].as_str().unwrap();
        assert!(dest.starts_with("app/static/lib/"), "{dest}");
        assert_eq!(std::fs::read(ctx.join(dest)).unwrap(), fixture(file));
    }
    ctx.devenv(&["vendor", "verify"]).success();
}

#[test]
fn add_with_explicit_dest_name_and_matching_pins() {
    let (ctx, _server) = setup();
    let body = fixture("htmx.min.js");
    ctx.devenv(&[
        "vendor",
        "add",
        HTMX_URL,
        "--dest",
        "static/js/htmx.js",
        "--name",
        "htmx",
        "--sha256",
        &sha256(&body),
    ])
    .success();
    assert_eq!(std::fs::read(ctx.join("static/js/htmx.js")).unwrap(), body);
    let manifest = ctx.read("vendor.yaml");
    assert!(
        manifest.contains("sha256:") && manifest.contains("htmx:"),
        "{manifest}"
    );
    let lock = lock_json(&ctx);
    let sri = lock["assets"]["htmx"]["integrity"]
        .as_str()
        .unwrap()
        .to_string();
    ctx.devenv(&[
        "vendor",
        "add",
        PICO_URL,
        "--dest",
        "static/css/pico.css",
        "--integrity",
        &format!("sha384-{}", "A".repeat(64)),
    ])
    .assert_code(1);
    // The htmx SRI from the lock is what `integrity=` attributes need; it pins a re-add too.
    ctx.devenv(&["vendor", "remove", "htmx"]).success();
    ctx.devenv(&["vendor", "add", HTMX_URL, "--integrity", &sri])
        .success();
}

#[test]
fn hash_mismatch_shows_expected_and_actual_and_writes_nothing() {
    let (ctx, _server) = setup();
    let wrong = "0".repeat(64);
    let before = files_under(ctx.path());
    let out = ctx
        .devenv(&["vendor", "add", HTMX_URL, "--sha256", &wrong])
        .assert_code(1);
    out.assert_stderr_contains("checksum mismatch");
    out.assert_stderr_contains(&format!("expected sha256:{wrong}"));
    out.assert_stderr_contains(&format!(
        "actual   sha256:{}",
        sha256(&fixture("htmx.min.js"))
    ));
    assert_untouched(&ctx, &before);
    assert!(
        !ctx.join("static").exists(),
        "folders created for the download are removed"
    );
}

#[test]
fn destinations_that_escape_the_project_are_refused() {
    let (ctx, server) = setup();
    let before = files_under(ctx.path());
    for dest in [
        "../outside.js",
        "/tmp/outside.js",
        "static/../../outside.js",
    ] {
        let out = ctx
            .devenv(&["vendor", "add", HTMX_URL, "--dest", dest])
            .assert_code(1);
        out.assert_stderr_contains("destination");
    }
    let outside = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        std::fs::create_dir_all(ctx.join("static")).unwrap();
        std::os::unix::fs::symlink(outside.path(), ctx.join("static/out")).unwrap();
        let out = ctx
            .devenv(&["vendor", "add", HTMX_URL, "--dest", "static/out/htmx.js"])
            .assert_code(1);
        out.assert_stderr_contains("symlink");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
    assert_eq!(server.hits_for(HTMX_PATH), 0, "refused before any download");
    assert_untouched(&ctx, &before);
    // A manifest edited by hand to escape is refused too.
    ctx.write(
        "vendor.yaml",
        format!("assets:\n  x:\n    url: {HTMX_URL}\n    dest: ../x.js\n"),
    );
    let out = ctx.devenv(&["vendor", "sync"]).assert_code(1);
    out.assert_stderr_contains("leaves the project");
}

#[test]
fn http_404_fails_at_once_and_5xx_is_retried() {
    let (ctx, server) = setup();
    let before = files_under(ctx.path());
    let out = ctx
        .devenv(&[
            "vendor",
            "add",
            "https://cdn.jsdelivr.net/npm/htmx.org@9.9.9/dist/htmx.min.js",
        ])
        .assert_code(1);
    out.assert_stderr_contains("HTTP 404");
    out.assert_stderr_contains("hint:");
    assert_eq!(
        server.hits_for("/npm/htmx.org@9.9.9/dist/htmx.min.js"),
        1,
        "404 is not retried"
    );

    server.route("/npm/broken@1.0.0/x.js", Route::Status(503));
    let out = ctx
        .devenv(&[
            "vendor",
            "add",
            "https://cdn.jsdelivr.net/npm/broken@1.0.0/x.js",
        ])
        .assert_code(2);
    out.assert_stderr_contains("HTTP 503");
    assert_eq!(
        server.hits_for("/npm/broken@1.0.0/x.js"),
        2,
        "one retry (vendor.retries: 1)"
    );
    assert_untouched(&ctx, &before);

    server.route(
        "/npm/flaky@1.0.0/x.js",
        Route::FailThen {
            times: 1,
            status: 500,
            then: Box::new(Route::js("var flaky = 1;")),
        },
    );
    let out = ctx
        .devenv(&[
            "vendor",
            "add",
            "https://cdn.jsdelivr.net/npm/flaky@1.0.0/x.js",
        ])
        .success();
    out.assert_stderr_contains("retrying");
    assert_eq!(ctx.read("static/vendor/flaky/x.js"), "var flaky = 1;");
}

#[test]
fn timeouts_fail_cleanly() {
    let (ctx, server) = setup();
    server.route(
        "/npm/slow@1.0.0/x.js",
        Route::Slow {
            delay: Duration::from_secs(30),
            then: Box::new(Route::js("var slow;")),
        },
    );
    let before = files_under(ctx.path());
    let started = std::time::Instant::now();
    let out = ctx
        .devenv(&[
            "vendor",
            "add",
            "https://cdn.jsdelivr.net/npm/slow@1.0.0/x.js",
        ])
        .assert_code(2);
    out.assert_stderr_contains("could not download");
    assert!(
        // A 1 s timeout with one retry: far less than the server's 30 s, with room for a
        // loaded CI machine.
        started.elapsed() < Duration::from_secs(20),
        "gave up before the server answered"
    );
    assert_untouched(&ctx, &before);
}

#[test]
fn files_over_the_size_cap_are_refused() {
    let (ctx, _server) = setup();
    ctx.write("devenv.yaml", "vendor:\n  max_size: 1KiB\n  retries: 0\n");
    let before = files_under(ctx.path());
    let out = ctx.devenv(&["vendor", "add", HTMX_URL]).assert_code(1);
    out.assert_stderr_contains("size cap");
    out.assert_stderr_contains("vendor.max_size");
    assert_untouched(&ctx, &before);
}

#[test]
fn plain_http_and_downgrade_redirects_are_refused() {
    let (ctx, server) = setup();
    let before = files_under(ctx.path());
    let out = ctx
        .devenv(&["vendor", "add", "http://cdn.example.com/x.js"])
        .assert_code(1);
    out.assert_stderr_contains("plain http");
    out.assert_stderr_contains("allow_http");
    // The canonical https URL redirects (through the mirror) to plain http elsewhere.
    server.route(
        "/npm/moved@1.0.0/x.js",
        Route::Redirect("http://cdn.example.com/x.js".into()),
    );
    let out = ctx
        .devenv(&[
            "vendor",
            "add",
            "https://cdn.jsdelivr.net/npm/moved@1.0.0/x.js",
        ])
        .assert_code(1);
    out.assert_stderr_contains("redirected to plain http");
    assert_untouched(&ctx, &before);
    // A redirect that stays on the (loopback) mirror is followed.
    server.route(
        "/npm/moved@2.0.0/x.js",
        Route::Redirect(server.url(HTMX_PATH)),
    );
    ctx.devenv(&[
        "vendor",
        "add",
        "https://cdn.jsdelivr.net/npm/moved@2.0.0/x.js",
    ])
    .success();
    // Loopback http URLs are fine without a mirror.
    ctx.devenv(&[
        "vendor",
        "add",
        &server.url(PICO_PATH),
        "--dest",
        "static/pico.css",
    ])
    .success();
}

#[test]
fn html_served_for_js_is_refused() {
    let (ctx, server) = setup();
    server.route(
        "/npm/portal@1.0.0/x.js",
        Route::html("<!DOCTYPE html><html><body>Log in</body></html>"),
    );
    server.route(
        "/npm/sneaky@1.0.0/x.js",
        Route::Body {
            body: b"\n<!doctype html><html></html>".to_vec(),
            content_type: "text/plain".into(),
        },
    );
    let before = files_under(ctx.path());
    for pkg in ["portal", "sneaky"] {
        let out = ctx
            .devenv(&[
                "vendor",
                "add",
                &format!("https://cdn.jsdelivr.net/npm/{pkg}@1.0.0/x.js"),
            ])
            .assert_code(1);
        out.assert_stderr_contains("HTML");
    }
    assert_untouched(&ctx, &before);
}

#[test]
fn interrupted_download_leaves_no_partial_file() {
    let (ctx, server) = setup();
    ctx.devenv(&["vendor", "add", PICO_URL]).success();
    let before = files_under(ctx.path());
    let manifest = ctx.read("vendor.yaml");
    let lock = ctx.read("vendor.lock");
    let body = fixture("htmx.min.js");
    server.route(
        "/npm/cut@1.0.0/x.js",
        Route::Truncated {
            body: body[..10_000].to_vec(),
            claimed: body.len(),
        },
    );
    let out = ctx.devenv(&[
        "vendor",
        "add",
        "https://cdn.jsdelivr.net/npm/cut@1.0.0/x.js",
        HTMX_URL,
    ]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.hits_for("/npm/cut@1.0.0/x.js"), 2, "retried once");
    assert_untouched(&ctx, &before);
    assert_eq!(ctx.read("vendor.yaml"), manifest);
    assert_eq!(ctx.read("vendor.lock"), lock);
}

#[test]
fn a_second_vendor_command_is_blocked_while_one_runs() {
    let (ctx, server) = setup();
    server.route(
        "/npm/slow@1.0.0/x.js",
        Route::Slow {
            delay: Duration::from_millis(2500),
            then: Box::new(Route::js("var slow = 1;")),
        },
    );
    ctx.write("devenv.yaml", "vendor:\n  timeout_secs: 10\n");
    let mut first = ctx
        .command(&[
            "vendor",
            "add",
            "https://cdn.jsdelivr.net/npm/slow@1.0.0/x.js",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let busy = ctx.join(".devenv-vendor.busy");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !busy.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(busy.exists(), "the first command holds the busy lock");
    let out = ctx.devenv(&["vendor", "add", HTMX_URL]).assert_code(1);
    assert!(
        out.stderr
            .contains("another `devenv vendor` command is running"),
        "{}",
        out.stderr
    );
    out.assert_stderr_contains("pid");
    assert!(first.wait().unwrap().success());
    assert!(!busy.exists(), "released and removed");
    ctx.devenv(&["vendor", "add", HTMX_URL]).success();
}

#[test]
fn failures_leave_manifest_and_lock_byte_for_byte() {
    let (ctx, _server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL]).success();
    let manifest = ctx.read("vendor.yaml");
    let lock = ctx.read("vendor.lock");
    let before = files_under(ctx.path());
    ctx.devenv(&[
        "vendor",
        "add",
        PICO_URL,
        "https://cdn.jsdelivr.net/npm/nope@1.0.0/x.js",
    ])
    .assert_code(1);
    ctx.devenv(&["vendor", "add", PICO_URL, "--sha256", &"1".repeat(64)])
        .assert_code(1);
    ctx.devenv(&["vendor", "remove", "htmx"]).assert_code(1);
    assert_eq!(ctx.read("vendor.yaml"), manifest);
    assert_eq!(ctx.read("vendor.lock"), lock);
    assert_untouched(&ctx, &before);
}

#[test]
fn sync_restores_files_and_needs_no_network_when_in_place() {
    let (ctx, server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL, PICO_URL]).success();
    let htmx = "static/vendor/htmx.org/dist/htmx.min.js";
    server.clear_hits();
    // Everything in place: no request at all, lock untouched.
    let lock = ctx.read("vendor.lock");
    let out = ctx.devenv(&["--json", "vendor", "sync"]).success();
    assert_eq!(out.json()["fresh"], 2);
    assert!(server.hits().is_empty(), "no network: {:?}", server.hits());
    assert_eq!(ctx.read("vendor.lock"), lock);
    ctx.devenv(&["vendor", "sync", "--offline"]).success();
    // A missing file is fetched again; --offline refuses instead.
    std::fs::remove_file(ctx.join(htmx)).unwrap();
    let out = ctx.devenv(&["vendor", "sync", "--offline"]).assert_code(1);
    out.assert_stderr_contains("--offline")
        .assert_stderr_contains("htmx.org");
    assert!(server.hits().is_empty());
    ctx.devenv(&["vendor", "sync"]).success();
    assert_eq!(
        std::fs::read(ctx.join(htmx)).unwrap(),
        fixture("htmx.min.js")
    );
    assert_eq!(server.hits(), vec![HTMX_PATH.to_string()]);
    // A locally changed file is replaced by the locked bytes.
    ctx.write(htmx, "tampered");
    let out = ctx.devenv(&["vendor", "sync"]).success();
    out.assert_stderr_contains("differs from the lock");
    assert_eq!(
        std::fs::read(ctx.join(htmx)).unwrap(),
        fixture("htmx.min.js")
    );
    ctx.devenv(&["vendor", "verify"]).success();
}

#[test]
fn sync_refuses_upstream_bytes_that_differ_from_the_lock() {
    let (ctx, server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL]).success();
    let htmx = "static/vendor/htmx.org/dist/htmx.min.js";
    std::fs::remove_file(ctx.join(htmx)).unwrap();
    server.route(HTMX_PATH, Route::js("alert('swapped upstream')"));
    let lock = ctx.read("vendor.lock");
    let out = ctx.devenv(&["vendor", "sync"]).assert_code(1);
    out.assert_stderr_contains("checksum mismatch")
        .assert_stderr_contains("expected sha256:");
    assert!(!ctx.join(htmx).exists());
    assert_eq!(ctx.read("vendor.lock"), lock);
}

#[test]
fn sync_follows_manifest_edits() {
    let (ctx, _server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL]).success();
    // Add an entry and drop one by hand; sync locks the new one and removes the old file.
    ctx.write(
        "vendor.yaml",
        format!(
            "version: 1\nassets:\n  pico:\n    url: {PICO_URL}\n    dest: static/css/pico.css\n"
        ),
    );
    let out = ctx.devenv(&["vendor", "verify"]).assert_code(1);
    out.assert_stdout_contains("unlocked  pico")
        .assert_stdout_contains("orphaned  htmx.org");
    let out = ctx.devenv(&["--json", "vendor", "sync"]).success();
    let json = out.json();
    assert_eq!(json["fetched"], serde_json::json!(["pico"]));
    assert_eq!(json["removed"], serde_json::json!(["htmx.org"]));
    assert!(!ctx.join("static/vendor/htmx.org/dist/htmx.min.js").exists());
    let lock = lock_json(&ctx);
    assert_eq!(lock["assets"].as_object().unwrap().len(), 1);
    assert_eq!(lock["assets"]["pico"]["version"], "1.5.10");
    ctx.devenv(&["vendor", "verify"]).success();
}

#[test]
fn verify_reports_drift_with_expected_and_actual() {
    let (ctx, _server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL, PICO_URL]).success();
    let out = ctx.devenv(&["--json", "vendor", "verify"]).success();
    let json = out.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["summary"]["total"], 2);
    let htmx = "static/vendor/htmx.org/dist/htmx.min.js";
    ctx.write(htmx, "changed");
    std::fs::remove_file(ctx.join("static/vendor/@picocss/pico/css/pico.classless.min.css"))
        .unwrap();
    let out = ctx.devenv(&["vendor", "verify"]).assert_code(1);
    out.assert_stdout_contains(&format!("modified  {htmx}"));
    out.assert_stdout_contains(&format!(
        "expected sha256:{}",
        sha256(&fixture("htmx.min.js"))
    ));
    assert!(
        out.stdout
            .contains(&format!("actual   sha256:{}", sha256(b"changed"))),
        "{}",
        out.stdout
    );
    out.assert_stdout_contains("missing");
    let json = ctx
        .devenv(&["--json", "vendor", "verify"])
        .assert_code(1)
        .json();
    assert_eq!(json["ok"], false);
    let files = json["files"].as_array().unwrap();
    let row = files.iter().find(|f| f["dest"] == htmx).unwrap();
    assert_eq!(row["status"], "modified");
    assert_eq!(row["actual_sha256"], sha256(b"changed"));
    assert_eq!(row["expected_size"], fixture("htmx.min.js").len() as u64);
    assert!(files.iter().any(|f| f["status"] == "missing"));
    // A changed manifest entry is drift too.
    let manifest = ctx
        .read("vendor.yaml")
        .replace("static/vendor/htmx.org/dist/htmx.min.js", "static/htmx.js");
    ctx.write("vendor.yaml", manifest);
    let out = ctx.devenv(&["vendor", "verify"]).assert_code(1);
    out.assert_stdout_contains("stale     htmx.org");
}

#[test]
fn verify_exits_2_when_it_cannot_run() {
    let (ctx, _server) = setup();
    let out = ctx.devenv(&["vendor", "verify"]).assert_code(2);
    out.assert_stderr_contains("no vendor lock")
        .assert_stderr_contains("hint:");
    ctx.write("vendor.lock", "{ not json");
    ctx.write("vendor.yaml", "assets: {}\n");
    let out = ctx.devenv(&["vendor", "verify"]).assert_code(2);
    out.assert_stderr_contains("vendor.lock");
}

fn registry(server: &TestServer, ctx: &mut TestContext) {
    server.route(
        "/registry/htmx.org",
        Route::json(&serde_json::json!({
            "name": "htmx.org",
            "dist-tags": {"latest": "2.0.4", "next": "2.0.0-beta.4"},
            "versions": {"1.9.12": {}, "2.0.3": {}, "2.0.4": {}, "2.0.0-beta.4": {}}
        })),
    );
    server.route(
        "/registry/@picocss%2fpico",
        Route::json(&serde_json::json!({
            "name": "@picocss/pico",
            "dist-tags": {"latest": "1.5.10"},
            "versions": {"1.5.9": {}, "1.5.10": {}}
        })),
    );
    ctx.env("DEVENV_NPM_REGISTRY", server.url("/registry"));
}

#[test]
fn outdated_asks_the_registry() {
    let (mut ctx, server) = setup();
    registry(&server, &mut ctx);
    ctx.devenv(&["vendor", "add", HTMX_URL, PICO_URL]).success();
    ctx.devenv(&[
        "vendor",
        "add",
        &server.url("/plain/app.js"),
        "--dest",
        "static/app.js",
    ])
    .assert_code(1);
    server.route("/plain/app.js", Route::js("var app;"));
    ctx.devenv(&[
        "vendor",
        "add",
        &server.url("/plain/app.js"),
        "--dest",
        "static/app.js",
        "--name",
        "app",
    ])
    .success();
    let out = ctx.devenv(&["--json", "vendor", "outdated"]).assert_code(1);
    let rows = out.json();
    let rows = rows.as_array().unwrap();
    let htmx = rows.iter().find(|r| r["name"] == "htmx.org").unwrap();
    assert_eq!(htmx["status"], "outdated");
    assert_eq!(htmx["current"], "2.0.3");
    assert_eq!(htmx["latest"], "2.0.4");
    assert_eq!(htmx["wanted"], "2.0.4");
    let pico = rows.iter().find(|r| r["name"] == "@picocss/pico").unwrap();
    assert_eq!(pico["status"], "up_to_date");
    let app = rows.iter().find(|r| r["name"] == "app").unwrap();
    assert_eq!(app["status"], "unchecked");
    let out = ctx.devenv(&["vendor", "outdated"]).assert_code(1);
    out.assert_stdout_contains("htmx.org")
        .assert_stdout_contains("2.0.4");
}

#[test]
fn update_rewrites_fetches_and_relocks() {
    let (mut ctx, server) = setup();
    registry(&server, &mut ctx);
    ctx.devenv(&["vendor", "add", HTMX_URL, PICO_URL]).success();
    let new_body = b"/* htmx 2.0.4 */ var htmx = {version: '2.0.4'};".to_vec();
    server.route(
        "/npm/htmx.org@2.0.4/dist/htmx.min.js",
        Route::js(new_body.clone()),
    );
    let out = ctx.devenv(&["--json", "vendor", "update"]).success();
    let json = out.json();
    assert_eq!(json["updated"][0]["name"], "htmx.org");
    assert_eq!(json["updated"][0]["from"], "2.0.3");
    assert_eq!(json["updated"][0]["to"], "2.0.4");
    assert_eq!(json["up_to_date"], serde_json::json!(["@picocss/pico"]));
    assert_eq!(
        std::fs::read(ctx.join("static/vendor/htmx.org/dist/htmx.min.js")).unwrap(),
        new_body
    );
    assert!(ctx.read("vendor.yaml").contains("htmx.org@2.0.4"));
    let lock = lock_json(&ctx);
    assert_eq!(lock["assets"]["htmx.org"]["version"], "2.0.4");
    assert_eq!(lock["assets"]["htmx.org"]["sha256"], sha256(&new_body));
    ctx.devenv(&["vendor", "verify"]).success();
    ctx.devenv(&["vendor", "outdated"]).success();
}

#[test]
fn update_is_all_or_nothing() {
    let (mut ctx, server) = setup();
    registry(&server, &mut ctx);
    ctx.devenv(&["vendor", "add", HTMX_URL, ALPINE_URL])
        .success();
    let manifest = ctx.read("vendor.yaml");
    let lock = ctx.read("vendor.lock");
    let before = files_under(ctx.path());
    // htmx 2.0.4 is served, alpine's new version is not: neither changes.
    server.route(
        "/npm/htmx.org@2.0.4/dist/htmx.min.js",
        Route::js("var htmx2;"),
    );
    server.route(
        "/registry/alpinejs",
        Route::json(&serde_json::json!({"dist-tags": {"latest": "3.15.0"}, "versions": {"3.14.7": {}, "3.15.0": {}}})),
    );
    ctx.devenv(&["vendor", "update"]).assert_code(1);
    assert_eq!(ctx.read("vendor.yaml"), manifest);
    assert_eq!(ctx.read("vendor.lock"), lock);
    assert_untouched(&ctx, &before);
    ctx.devenv(&["vendor", "verify"]).success();
    // Naming a plain-URL or unknown asset is an error with a suggestion.
    let out = ctx.devenv(&["vendor", "update", "htmx"]).assert_code(1);
    out.assert_stderr_contains("did you mean `htmx.org`");
    // --to picks a version without asking the registry.
    ctx.devenv(&["vendor", "update", "htmx.org", "--to", "2.0.4"])
        .success();
    assert!(ctx.read("vendor.yaml").contains("htmx.org@2.0.4"));
}

#[test]
fn remove_deletes_entry_and_file() {
    let (ctx, _server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL, PICO_URL]).success();
    let out = ctx
        .devenv(&["vendor", "remove", "htmx.orgg"])
        .assert_code(1);
    out.assert_stderr_contains("did you mean `htmx.org`");
    ctx.devenv(&["vendor", "remove", "htmx.org"]).success();
    assert!(
        !ctx.join("static/vendor/htmx.org").exists(),
        "file and its empty folders are gone"
    );
    assert!(ctx.join("static/vendor").exists());
    assert!(!ctx.read("vendor.yaml").contains("htmx.org"));
    assert!(lock_json(&ctx)["assets"].get("htmx.org").is_none());
    ctx.devenv(&["vendor", "verify"]).success();
}

#[test]
fn bad_config_and_manifest_are_reported_with_location() {
    let (ctx, _server) = setup();
    ctx.write("devenv.yaml", "vendor:\n  mirrorz: {}\n");
    let out = ctx.devenv(&["vendor", "sync"]).assert_code(1);
    out.assert_stderr_contains("devenv.yaml:2:");
    ctx.write("devenv.yaml", "vendor:\n  max_size: huge\n");
    ctx.devenv(&["vendor", "sync"]).assert_code(1);
    ctx.write("devenv.yaml", "");
    ctx.write(
        "vendor.yaml",
        "assets:\n  htmx:\n    url: x\n    dest: a.js\n    colour: red\n",
    );
    let out = ctx.devenv(&["vendor", "sync"]).assert_code(1);
    out.assert_stderr_contains("vendor.yaml:5:");
    std::fs::remove_file(ctx.join("vendor.yaml")).unwrap();
    let out = ctx.devenv(&["vendor", "sync"]).assert_code(1);
    out.assert_stderr_contains("no vendor manifest")
        .assert_stderr_contains("devenv vendor add");
}

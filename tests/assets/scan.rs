//! `devenv vendor scan` over realistic templates (Jinja, ERB, Handlebars, CSS, JS, import
//! maps, preconnect), `scan --add`, and the dogfooded `init` template assets.

use super::{HTMX_URL, PICO_URL, fixture, repo, setup};
use crate::common::TestContext;

const JINJA: &str = r#"{% extends "layout.html" %}
{% block head %}
  <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
  <link href="https://fonts.googleapis.com/css2?family=Inter:wght@400;700&display=swap" rel="stylesheet">
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@picocss/pico@1.5.10/css/pico.min.css" integrity="sha384-abc" crossorigin="anonymous">
  <link rel="stylesheet" href="{{ url_for('static', filename='app.css') }}">
  <script src="https://unpkg.com/htmx.org@1.9.12" defer></script>
  <a href="https://example.com/about">About</a>
{% endblock %}
"#;

const ERB: &str = r#"<%= stylesheet_link_tag "https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css" %>
<%= javascript_include_tag "application" %>
<script src="https://code.jquery.com/jquery-3.7.1.min.js" integrity="sha256-/JqT3SQfawRcv/BIHPThkBvs0OEvtFFmqPF/lYI/Cxo=" crossorigin="anonymous"></script>
"#;

const HBS: &str = r#"<!doctype html>
<html><head>
<script type="importmap">
{ "imports": { "lit": "https://cdn.jsdelivr.net/npm/lit@3.1.2/+esm" } }
</script>
{{#if analytics}}<script src="//cdn.polyfill.io/v3/polyfill.min.js"></script>{{/if}}
</head></html>
"#;

const CSS: &str = "@import url(\"https://fonts.googleapis.com/css2?family=Roboto\");\n.hero {\n  background: url(https://cdn.example.com/img/hero.png) no-repeat;\n}\n";

const JS: &str = "import { html } from \"https://esm.sh/htm@3.1.1/preact\";\nconst mod = await import('https://cdn.skypack.dev/canvas-confetti@1.9.2');\nimportScripts('https://cdn.jsdelivr.net/npm/workbox-sw@7.0.0/build/workbox-sw.js');\n// docs: https://example.com/guide\n";

#[test]
fn scan_reports_remote_references_with_line_and_column() {
    let ctx = TestContext::new();
    ctx.write("templates/page.html.jinja", JINJA)
        .write("app/views/layouts/application.html.erb", ERB)
        .write("templates/shell.hbs", HBS)
        .write("static/css/site.css", CSS)
        .write("static/js/app.mjs", JS)
        .write(
            "node_modules/pkg/index.html",
            "<script src=\"https://unpkg.com/x@1.0.0/x.js\"></script>",
        )
        .write(
            "app/models/user.py",
            "URL = 'https://cdn.jsdelivr.net/npm/x@1/x.js'",
        );
    let out = ctx.devenv(&["--json", "vendor", "scan"]).assert_code(1);
    let json = out.json();
    let found: Vec<(String, u64, u64, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["kind"].as_str().unwrap().to_string(),
                f["host"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |file: &str, line: u64, col: u64, kind: &str, host: &str| {
        assert!(
            found.contains(&(file.into(), line, col, kind.into(), host.into())),
            "missing {file}:{line}:{col} {kind} {host} in {found:#?}"
        );
    };
    expect(
        "templates/page.html.jinja",
        3,
        32,
        "preconnect",
        "fonts.gstatic.com",
    );
    expect(
        "templates/page.html.jinja",
        4,
        15,
        "stylesheet",
        "fonts.googleapis.com",
    );
    expect(
        "templates/page.html.jinja",
        5,
        32,
        "stylesheet",
        "cdn.jsdelivr.net",
    );
    expect("templates/page.html.jinja", 7, 16, "script", "unpkg.com");
    expect(
        "app/views/layouts/application.html.erb",
        1,
        26,
        "literal",
        "cdn.jsdelivr.net",
    );
    expect(
        "app/views/layouts/application.html.erb",
        3,
        14,
        "script",
        "code.jquery.com",
    );
    expect(
        "templates/shell.hbs",
        4,
        24,
        "importmap",
        "cdn.jsdelivr.net",
    );
    expect("templates/shell.hbs", 6, 31, "script", "cdn.polyfill.io");
    expect(
        "static/css/site.css",
        1,
        14,
        "css-import",
        "fonts.googleapis.com",
    );
    expect("static/css/site.css", 3, 19, "css-url", "cdn.example.com");
    expect("static/js/app.mjs", 1, 23, "js-import", "esm.sh");
    expect(
        "static/js/app.mjs",
        2,
        27,
        "js-dynamic-import",
        "cdn.skypack.dev",
    );
    expect(
        "static/js/app.mjs",
        3,
        16,
        "import-scripts",
        "cdn.jsdelivr.net",
    );
    assert_eq!(found.len(), 13, "{found:#?}");
    let all = json["findings"].as_array().unwrap();
    let pico = all
        .iter()
        .find(|f| f["url"].as_str().unwrap().contains("pico"))
        .unwrap();
    assert_eq!(pico["integrity"], true);
    assert_eq!(pico["cdn"], "jsDelivr");
    let htmx = all.iter().find(|f| f["host"] == "unpkg.com").unwrap();
    assert_eq!(htmx["integrity"], false);
    let polyfill = all.iter().find(|f| f["host"] == "cdn.polyfill.io").unwrap();
    assert_eq!(polyfill["compromised"], true);
    assert_eq!(
        json["files_scanned"], 5,
        "node_modules and .py are not scanned"
    );
    // Human output: file:line:col, kind, URL and notes on stdout.
    let out = ctx.devenv(&["vendor", "scan", "templates"]).assert_code(1);
    out.assert_stdout_contains("templates/page.html.jinja:7:16: script https://unpkg.com/htmx.org@1.9.12 (unpkg, no integrity)");
    assert!(
        !out.stdout.contains("static/"),
        "only the given path is scanned"
    );
    out.assert_stderr_contains("known-compromised");
}

#[test]
fn scan_is_clean_for_local_references_and_skips_vendored_files() {
    let (ctx, _server) = setup();
    ctx.devenv(&["vendor", "add", HTMX_URL]).success();
    // A vendored file may mention CDNs itself; it is not the app's reference.
    std::fs::write(
        ctx.join("static/vendor/htmx.org/dist/htmx.min.js"),
        "import x from 'https://cdn.jsdelivr.net/npm/y@1/y.js';",
    )
    .unwrap();
    ctx.write(
        "templates/base.html",
        "<link rel=\"stylesheet\" href=\"{{ url_for('static', filename='css/app.css') }}\">\n<script src=\"/static/vendor/htmx.org/dist/htmx.min.js\"></script>\n<a href=\"https://example.com\">x</a>\n",
    );
    let out = ctx.devenv(&["vendor", "scan"]).success();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    out.assert_stderr_contains("Clean");
}

#[test]
fn scan_add_vendors_found_urls_pinning_template_integrity() {
    let (ctx, _server) = setup();
    let body = fixture("htmx.min.js");
    let sri = vendor_manifest::hash::digests_of_bytes(&body, false).sri384;
    ctx.write(
        "templates/base.html",
        format!(
            "<link rel=\"preconnect\" href=\"https://cdn.jsdelivr.net\">\n<script src=\"{HTMX_URL}\" integrity=\"{sri}\"></script>\n<link rel=\"stylesheet\" href=\"{PICO_URL}\">\n"
        ),
    );
    let out = ctx.devenv(&["vendor", "scan", "--add"]).assert_code(1);
    out.assert_stderr_contains("Vendored");
    let manifest = ctx.read("vendor.yaml");
    assert!(
        manifest.contains(&format!("integrity: {sri}")),
        "the template's integrity is pinned: {manifest}"
    );
    assert!(ctx.join("static/vendor/htmx.org/dist/htmx.min.js").exists());
    assert!(
        ctx.join("static/vendor/@picocss/pico/css/pico.classless.min.css")
            .exists()
    );
    ctx.devenv(&["vendor", "verify"]).success();
    // A template whose integrity does not match what the CDN serves vendors nothing.
    let (ctx2, _server2) = setup();
    ctx2.write(
        "t.html",
        format!(
            "<script src=\"{HTMX_URL}\" integrity=\"sha384-{}\"></script>",
            "B".repeat(64)
        ),
    );
    let out = ctx2.devenv(&["vendor", "scan", "--add"]).assert_code(1);
    out.assert_stderr_contains("checksum mismatch");
    assert!(!ctx2.join("vendor.yaml").exists());
}

#[test]
fn the_flask_template_assets_verify_and_templates_scan_clean() {
    let ctx = TestContext::new();
    let template = repo().join("templates/flask-postgres");
    let out = ctx.devenv(&["-C", template.to_str().unwrap(), "vendor", "verify"]);
    let out = out.success();
    out.assert_stderr_contains("Verified 2");
    let out = ctx.devenv(&[
        "-C",
        repo().to_str().unwrap(),
        "vendor",
        "scan",
        "templates",
    ]);
    out.success();
}

#[test]
fn a_scan_that_cannot_run_exits_2_not_1() {
    let ctx = TestContext::new();
    ctx.write("templates/a.html", "<p>clean</p>\n");
    // A path that isn't there: could not scan (2), which CI must not read as findings (1).
    let out = ctx.devenv(&["vendor", "scan", "nosuch"]).assert_code(2);
    out.assert_stderr_contains("`");
    // A malformed manifest stops the scan too.
    ctx.write("vendor.yaml", "assets: [\n");
    ctx.devenv(&["vendor", "scan", "templates"]).assert_code(2);
}

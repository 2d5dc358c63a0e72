//! Connecting to PostgreSQL: a server that accepts and never answers must not hang any
//! command, and TLS is used and checked as the URL's `sslmode` asks.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::common::TestContext;
use crate::common::postgres::tls_server;

/// A TCP server on 127.0.0.1 that accepts connections and never says a word, like a paused
/// PostgreSQL container or a dead tunnel. Returns its port; it lives as long as the test.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}

#[test]
fn db_wait_on_a_server_that_never_answers_gives_up_at_its_timeout() {
    let port = silent_server();
    let ctx = TestContext::new();
    let url = format!("postgres://app:secret@127.0.0.1:{port}/app");
    let started = Instant::now();
    let out = ctx
        .devenv(&["db", "wait", "--database-url", &url, "--timeout", "2s"])
        .assert_code(2);
    let took = started.elapsed();
    // Not forever: about the 2 s asked for, with room for a loaded CI machine.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    out.assert_stderr_contains(&format!("127.0.0.1:{port}"))
        .assert_stderr_contains("did not answer")
        .assert_stderr_contains("hint:")
        .assert_stderr_lacks("secret");
}

#[test]
fn status_and_migrate_on_a_server_that_never_answers_end_with_a_clear_error() {
    let port = silent_server();
    let ctx = TestContext::new();
    ctx.write("migrations/1_t.sql", "CREATE TABLE t (id int);\n");
    let url = format!("postgres://app:secret@127.0.0.1:{port}/app?connect_timeout=2");
    for verb in ["status", "migrate"] {
        let started = Instant::now();
        let out = ctx
            .devenv(&["db", verb, "--database-url", &url])
            .assert_code(2);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(15), "db {verb} took {took:?}");
        out.assert_stderr_contains(&format!("127.0.0.1:{port}"))
            .assert_stderr_contains("did not answer within 2s");
    }
}

#[test]
fn a_bad_sslmode_is_named() {
    let ctx = TestContext::new();
    let out = ctx
        .devenv(&[
            "db",
            "wait",
            "--database-url",
            "postgres://app@127.0.0.1:1/app?sslmode=always",
            "--timeout",
            "1s",
        ])
        .assert_code(1);
    out.assert_stderr_contains("unknown sslmode `always`")
        .assert_stderr_contains("verify-full");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn tls_is_used_and_checked_as_the_url_asks() {
    let pg = tls_server();
    let (db, _) = pg.create_database("tls");
    let ca = pg.ca_cert.as_ref().expect("the TLS server has a CA");
    let mut ctx = TestContext::new();
    // No ~/.postgresql/root.crt of the machine's: the public roots are the default.
    ctx.env("HOME", ctx.path().display().to_string());
    let url = |host: &str, query: &str| {
        format!(
            "postgres://postgres:postgres@{host}:{}/{db}?{query}",
            pg.port
        )
    };
    let wait = |url: &str| ctx.devenv(&["db", "wait", "--database-url", url, "--timeout", "5s"]);
    let ca_query = |mode: &str| format!("sslmode={mode}&sslrootcert={}", ca.display());

    // The server takes TCP over TLS only, so each success below was encrypted.
    let plain = wait(&url("127.0.0.1", "sslmode=disable"));
    assert_ne!(plain.code, 0, "{}", plain.dump());
    plain.assert_stderr_contains("no pg_hba.conf entry");

    wait(&url("127.0.0.1", "sslmode=require")).success();
    wait(&url("127.0.0.1", "")).success();
    wait(&url("localhost", &ca_query("verify-full"))).success();
    wait(&url("127.0.0.1", &ca_query("verify-ca"))).success();

    // The certificate names `localhost`, not 127.0.0.1.
    let out = wait(&url("127.0.0.1", &ca_query("verify-full"))).assert_code(2);
    out.assert_stderr_contains("cannot set up TLS")
        .assert_stderr_contains("not valid for name \"127.0.0.1\"")
        .assert_stderr_contains("hint:");
    // Signed by a CA the public roots don't hold.
    let out = wait(&url("localhost", "sslmode=verify-full")).assert_code(2);
    out.assert_stderr_contains("cannot set up TLS")
        .assert_stderr_contains("invalid peer certificate");

    // Migrations run over TLS too.
    ctx.write("migrations/1_t.sql", "CREATE TABLE t (id int);\n");
    ctx.devenv(&[
        "db",
        "migrate",
        "--database-url",
        &url("localhost", &ca_query("verify-full")),
    ])
    .success();
    assert_eq!(
        pg.psql(&db, "SELECT count(*) FROM devenv_schema_migrations"),
        "1"
    );
}

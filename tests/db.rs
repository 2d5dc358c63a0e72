//! Integration tests for `devenv db …` against a real PostgreSQL server that the harness
//! starts (tests/common/postgres.rs). `db lint` tests need no server.

use std::process::Stdio;
use std::time::Duration;

mod connect;

use crate::common::TestContext;
use crate::common::postgres::server;

/// A project whose DATABASE_URL points at a fresh database of its own.
fn project(hint: &str) -> (TestContext, String) {
    let (name, url) = server().create_database(hint);
    let mut ctx = TestContext::new();
    ctx.env("DATABASE_URL", url);
    (ctx, name)
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn applies_in_numeric_order_and_records_history() {
    let (ctx, db) = project("order");
    ctx.write("migrations/2_second.sql", "INSERT INTO log VALUES ('2');\n");
    ctx.write(
        "migrations/10_tenth.sql",
        "INSERT INTO log VALUES ('10');\n",
    );
    ctx.write(
        "migrations/1_first.sql",
        "CREATE TABLE log (v text, at serial);\n\
         -- a comment; with a semicolon\n\
         DO $$ BEGIN RAISE NOTICE 'x;y'; END $$;\n\
         CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN 'a;b'; END $body$;\n",
    );
    ctx.write("migrations/README.md", "not a migration");
    let out = ctx.devenv(&["db", "migrate"]).success();
    out.assert_stderr_contains("Applied 1_first.sql");
    let pg = server();
    assert_eq!(
        pg.psql(&db, "SELECT string_agg(v, ',' ORDER BY at) FROM log"),
        "2,10"
    );
    assert_eq!(
        pg.psql(&db, "SELECT string_agg(version::text || ':' || name, ',' ORDER BY version) FROM devenv_schema_migrations"),
        "1:first,2:second,10:tenth"
    );
    let by = pg.psql(&db, "SELECT applied_by || '/' || (duration_ms >= 0)::text FROM devenv_schema_migrations WHERE version = 1");
    assert!(by.contains('@') && by.ends_with("/true"), "{by}");
    // Nothing left: a second run applies nothing.
    let out = ctx.devenv(&["db", "migrate"]).success();
    out.assert_stderr_contains("up to date");

    let status = ctx.devenv(&["db", "status", "--json"]).success().json();
    assert_eq!(status["summary"]["applied"], 3);
    assert_eq!(status["summary"]["pending"], 0);
    assert_eq!(status["migrations"][2]["version"], 10);
    assert_eq!(status["migrations"][2]["state"], "applied");
    assert_eq!(status["migrations"][2]["file"], "10_tenth.sql");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn a_failing_file_rolls_back_and_names_the_line() {
    let (ctx, db) = project("rollback");
    ctx.write("migrations/1_ok.sql", "CREATE TABLE a (id int);\n");
    ctx.write(
        "migrations/2_bad.sql",
        "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE c (id int);\n",
    );
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("`2_bad.sql` failed at line 4");
    out.assert_stderr_contains("missing_table");
    out.assert_stderr_contains("nothing from it was applied");
    let pg = server();
    assert_eq!(
        pg.psql(
            &db,
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('b', 'c')"
        ),
        "0"
    );
    assert_eq!(
        pg.psql(
            &db,
            "SELECT string_agg(version::text, ',') FROM devenv_schema_migrations"
        ),
        "1"
    );

    // A runtime error with no position (division by zero) is placed by counting statements.
    ctx.write(
        "migrations/2_bad.sql",
        "CREATE TABLE b (id int);\nSELECT 1/0;\n",
    );
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("failed at line 2");

    // An error inside a DO block names the line in the file.
    ctx.write(
        "migrations/2_bad.sql",
        "CREATE TABLE b (id int);\nDO $$\nBEGIN\n  PERFORM 1;\n  RAISE EXCEPTION 'boom';\nEND $$;\n",
    );
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("failed at line 5: boom");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn no_transaction_files_run_concurrently_built_indexes() {
    let (ctx, db) = project("notx");
    ctx.write(
        "migrations/1_t.sql",
        "CREATE TABLE t (id int, email text);\n",
    );
    ctx.write(
        "migrations/2_idx.sql",
        "CREATE INDEX CONCURRENTLY t_email ON t (email);\n",
    );
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("cannot run inside a transaction block");
    out.assert_stderr_contains("-- devenv:no-transaction");

    ctx.write(
        "migrations/2_idx.sql",
        "-- devenv:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_email ON t (email);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n",
    );
    ctx.devenv(&["db", "migrate"]).success();
    let pg = server();
    assert_eq!(
        pg.psql(&db, "SELECT count(*) FROM pg_indexes WHERE tablename = 't'"),
        "2"
    );
    assert_eq!(
        pg.psql(
            &db,
            "SELECT no_transaction FROM devenv_schema_migrations WHERE version = 2"
        ),
        "t"
    );

    // A failure half way: what ran stays, the file is not recorded, and the message says so.
    ctx.write(
        "migrations/3_half.sql",
        "-- devenv:no-transaction\nCREATE INDEX CONCURRENTLY t_both ON t (id, email);\nCREATE INDEX CONCURRENTLY nope ON missing (id);\n",
    );
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("`3_half.sql` failed at line 3");
    out.assert_stderr_contains("stay applied");
    assert_eq!(
        pg.psql(
            &db,
            "SELECT count(*) FROM devenv_schema_migrations WHERE version = 3"
        ),
        "0"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn concurrent_runners_apply_each_file_once() {
    let (ctx, db) = project("concurrent");
    ctx.write("migrations/1_log.sql", "CREATE TABLE log (v int);\n");
    for v in 2..=6 {
        ctx.write(
            &format!("migrations/{v}_step.sql"),
            format!("SELECT pg_sleep(0.1);\nINSERT INTO log VALUES ({v});\n"),
        );
    }
    ctx.write(
        "migrations/7_idx.sql",
        "-- devenv:no-transaction\nCREATE INDEX CONCURRENTLY log_v ON log (v);\n",
    );
    let children: Vec<_> = (0..5)
        .map(|_| {
            ctx.command(&["db", "migrate"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn devenv")
        })
        .collect();
    let mut waited = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        if stderr.contains("Waiting") {
            waited += 1;
        }
    }
    assert!(waited >= 1, "no runner reported waiting for the lock");
    let pg = server();
    assert_eq!(
        pg.psql(&db, "SELECT count(*) || '/' || count(DISTINCT v) FROM log"),
        "5/5"
    );
    assert_eq!(
        pg.psql(&db, "SELECT count(*) FROM devenv_schema_migrations"),
        "7"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn edited_files_are_refused_until_accepted_and_crlf_is_not_an_edit() {
    let (ctx, _db) = project("checksum");
    ctx.write(
        "migrations/1_a.sql",
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
    );
    ctx.devenv(&["db", "migrate"]).success();
    ctx.write(
        "migrations/1_a.sql",
        "CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n",
    );
    let status = ctx.devenv(&["db", "status", "--json"]).success().json();
    assert_eq!(status["migrations"][0]["state"], "applied");

    ctx.write(
        "migrations/1_a.sql",
        "CREATE TABLE a (id bigint);\nCREATE TABLE b (id int);\n",
    );
    ctx.write("migrations/2_c.sql", "CREATE TABLE c (id int);\n");
    let status = ctx.devenv(&["db", "status", "--json"]).success().json();
    assert_eq!(status["migrations"][0]["state"], "changed");
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    assert!(
        out.stderr
            .contains("changed since it was applied: `1_a.sql`"),
        "{}",
        out.stderr
    );
    out.assert_stderr_contains("--accept-checksum 1");
    let out = ctx
        .devenv(&["db", "migrate", "--accept-checksum", "1"])
        .success();
    out.assert_stderr_contains("Accepted");
    out.assert_stderr_contains("Applied 2_c.sql");

    // A deleted applied file is reported as missing.
    std::fs::remove_file(ctx.join("migrations/2_c.sql")).unwrap();
    let status = ctx.devenv(&["db", "status", "--json"]).success().json();
    assert_eq!(status["migrations"][1]["state"], "missing");
    ctx.devenv(&["db", "status", "--exit-code"]).assert_code(1);
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn out_of_order_files_are_refused_unless_allowed() {
    let (ctx, db) = project("ooo");
    ctx.write("migrations/1_a.sql", "CREATE TABLE a (id int);\n");
    ctx.write("migrations/3_c.sql", "CREATE TABLE c (id int);\n");
    ctx.devenv(&["db", "migrate"]).success();
    ctx.write("migrations/2_b.sql", "CREATE TABLE b (id int);\n");
    let status = ctx.devenv(&["db", "status", "--json"]).success().json();
    assert_eq!(status["migrations"][1]["out_of_order"], true);
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("`2_b.sql`");
    out.assert_stderr_contains("--allow-out-of-order");
    // --dry-run shows it without applying.
    let out = ctx
        .devenv(&["db", "migrate", "--dry-run", "--allow-out-of-order"])
        .success();
    out.assert_stderr_contains("Would apply 2_b.sql");
    assert_eq!(
        server().psql(&db, "SELECT count(*) FROM devenv_schema_migrations"),
        "2"
    );
    ctx.devenv(&["db", "migrate", "--allow-out-of-order"])
        .success();
    assert_eq!(
        server().psql(&db, "SELECT count(*) FROM devenv_schema_migrations"),
        "3"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn target_stops_at_a_version() {
    let (ctx, db) = project("target");
    for v in 1..=3 {
        ctx.write(
            &format!("migrations/{v}_t.sql"),
            format!("CREATE TABLE t{v} (id int);\n"),
        );
    }
    let out = ctx
        .devenv(&["--json", "db", "migrate", "--target", "2"])
        .success()
        .json();
    assert_eq!(out["applied"].as_array().unwrap().len(), 2);
    assert_eq!(out["remaining"], 1);
    assert_eq!(
        server().psql(&db, "SELECT max(version) FROM devenv_schema_migrations"),
        "2"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn lock_timeout_names_the_blocking_query() {
    let (mut ctx, db) = project("locktimeout");
    ctx.write("devenv.yaml", "database:\n  lock_timeout: 1s\n");
    ctx.write("migrations/1_t.sql", "CREATE TABLE t (id int);\n");
    ctx.devenv(&["db", "migrate"]).success();
    let pg = server();
    let mut blocker = pg.psql_session(&db);
    {
        use std::io::Write;
        let stdin = blocker.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN;\nLOCK TABLE t IN ACCESS EXCLUSIVE MODE;").unwrap();
        stdin.flush().unwrap();
    }
    // Wait until the blocker really holds the lock (no fixed sleep: a loaded CI is slow).
    let held = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                WHERE c.relname = 't' AND l.mode = 'AccessExclusiveLock' AND l.granted";
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while pg.psql(&db, held) != "1" {
        assert!(
            std::time::Instant::now() < deadline,
            "the blocker never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    ctx.write(
        "migrations/2_add.sql",
        "ALTER TABLE t ADD COLUMN email text;\n",
    );
    ctx.env("PGAPPNAME", "ignored");
    let out = ctx.devenv(&["db", "migrate"]);
    let _ = blocker.kill();
    let _ = blocker.wait();
    let out = out.assert_code(1);
    assert!(
        out.stderr
            .contains("`2_add.sql` (line 1) gave up waiting for a table lock"),
        "{}",
        out.stderr
    );
    out.assert_stderr_contains("blocked by pid");
    out.assert_stderr_contains("idle in transaction");
    out.assert_stderr_contains("LOCK TABLE t");
    assert_eq!(
        server().psql(&db, "SELECT count(*) FROM devenv_schema_migrations"),
        "1"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn bad_input_gets_clear_errors() {
    let (ctx, _db) = project("badinput");
    // Missing folder.
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("migrations folder");
    out.assert_stderr_contains("hint:");
    // Empty file.
    ctx.write("migrations/1_empty.sql", "-- nothing yet\n\n");
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("`")
        .assert_stderr_contains("1_empty.sql` is empty");
    // Malformed names and duplicates name the files.
    ctx.write("migrations/1_empty.sql", "SELECT 1;\n");
    ctx.write("migrations/v2_bad.sql", "SELECT 1;\n");
    let out = ctx.devenv(&["db", "status"]).assert_code(1);
    out.assert_stderr_contains("v2_bad.sql");
    std::fs::remove_file(ctx.join("migrations/v2_bad.sql")).unwrap();
    ctx.write("migrations/01_dup.sql", "SELECT 1;\n");
    let out = ctx.devenv(&["db", "status"]).assert_code(1);
    out.assert_stderr_contains("two migration files have version 1");
    // No URL at all.
    let bare = TestContext::new();
    let out = bare.devenv(&["db", "status"]).assert_code(1);
    out.assert_stderr_contains("no database URL");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn wrong_credentials_and_unreachable_servers() {
    let pg = server();
    let ctx = TestContext::new();
    let bad = format!("postgres://postgres:wrong@127.0.0.1:{}/postgres", pg.port);
    let out = ctx
        .devenv(&["db", "wait", "--database-url", &bad, "--timeout", "10s"])
        .assert_code(1);
    out.assert_stderr_contains("password authentication failed");
    // Unreachable: exit 2 after the timeout, with what was waited.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("postgres://postgres:postgres@127.0.0.1:{port}/x");
    let started = std::time::Instant::now();
    let out = ctx
        .devenv(&["db", "wait", "--database-url", &dead, "--timeout", "1s"])
        .assert_code(2);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a 1 s wait took {:?}",
        started.elapsed()
    );
    out.assert_stderr_contains("cannot connect to database `x`");
    out.assert_stderr_contains("waited");
    // Ready.
    let (_, url) = pg.create_database("wait");
    ctx.devenv(&["db", "wait", "--database-url", &url])
        .success();
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn another_tools_history_is_recognised() {
    let (ctx, db) = project("foreign");
    server().psql(
        &db,
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
    );
    ctx.write("migrations/1_a.sql", "CREATE TABLE a (id int);\n");
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    assert!(
        out.stderr
            .contains("run by Alembic (table `alembic_version`)"),
        "{}",
        out.stderr
    );
    // A table with our name that isn't ours.
    let (ctx, db) = project("notours");
    server().psql(&db, "CREATE TABLE devenv_schema_migrations (id int)");
    ctx.write("migrations/1_a.sql", "CREATE TABLE a (id int);\n");
    let out = ctx.devenv(&["db", "migrate"]).assert_code(1);
    out.assert_stderr_contains("is not a devenv history table");
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn command_migrations_get_the_lock_timeouts_and_pass_the_exit_code() {
    let (ctx, db) = project("command");
    ctx.write(
        "devenv.yaml",
        "database:\n  command_in: host\n  lock_timeout: 3s\n  command: [sh, -c, \"psql -X -tA \\\"$DATABASE_URL\\\" -c 'SHOW lock_timeout' -c 'CREATE TABLE from_cmd (id int)'; exit 3\"]\n",
    );
    let out = ctx.devenv(&["db", "migrate"]).assert_code(3);
    out.assert_stderr_contains("3s");
    assert_eq!(
        server().psql(
            &db,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'from_cmd'"
        ),
        "1"
    );
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn new_reset_and_dump() {
    let (ctx, db) = project("reset");
    let out = ctx.devenv(&["db", "new", "add", "users"]).success();
    let path = out.stdout.trim().to_string();
    assert!(path.ends_with("_add_users.sql"), "{path}");
    let name = std::path::Path::new(&path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(name.split('_').next().unwrap().len(), 14, "{name}");
    std::fs::write(
        &path,
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    )
    .unwrap();
    ctx.devenv(&["db", "migrate"]).success();
    server().psql(&db, "INSERT INTO users VALUES (1, 'a@b')");
    // No terminal and no --yes: refuse.
    let out = ctx.devenv(&["db", "reset"]).assert_code(1);
    out.assert_stderr_contains("--yes");
    ctx.devenv(&["db", "reset", "--yes"]).success();
    assert_eq!(server().psql(&db, "SELECT count(*) FROM users"), "0");
    // Non-local hosts need --force (refused before any connection).
    let out = ctx
        .devenv(&[
            "db",
            "reset",
            "--yes",
            "--database-url",
            "postgres://u:p@db.example.com/prod",
        ])
        .assert_code(1);
    out.assert_stderr_contains("non-local host");
    // Schema dump (pg_dump on this machine when no database.service is set).
    let out = ctx.devenv(&["db", "dump"]).success();
    out.assert_stdout_contains("CREATE TABLE public.users");
}

// ---- db lint (no server needed) ----

fn lint_fixture() -> TestContext {
    let ctx = TestContext::new();
    let src = crate::common::repo_root().join("tests/fixtures/db/lint");
    for entry in walkdir::WalkDir::new(&src)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            ctx.write(&rel, std::fs::read(entry.path()).unwrap());
        }
    }
    ctx
}

fn rules_by_file(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["rule"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn lint_flags_unsafe_sql_and_passes_safe_files() {
    let ctx = lint_fixture();
    let out = ctx
        .devenv(&["--json", "db", "lint", "--dir", "sql"])
        .assert_code(1);
    let json = out.json();
    assert_eq!(json["files"], 5);
    assert_eq!(
        rules_by_file(&json),
        vec![
            "sql/0003_unsafe.sql:1:drop-column",
            "sql/0003_unsafe.sql:2:rename-column",
            "sql/0003_unsafe.sql:3:change-column-type",
            "sql/0003_unsafe.sql:5:create-index-non-concurrently",
            "sql/0003_unsafe.sql:6:add-required-column",
        ]
    );
    let first = &json["findings"][0];
    assert!(first["why"].as_str().unwrap().contains("running now"));
    assert!(first["safe"].as_str().unwrap().contains("devenv:cleanup"));
    // Human output: file:line, rule id, why and the safe sequence.
    let out = ctx.devenv(&["db", "lint", "--dir", "sql"]).assert_code(1);
    assert!(
        out.stdout
            .contains("sql/0003_unsafe.sql:1: error[drop-column] DROP COLUMN users.nickname"),
        "{}",
        out.stdout
    );
    out.assert_stdout_contains("    instead: ");
    // Safe files alone are clean.
    ctx.devenv(&[
        "db",
        "lint",
        "sql/0001_create_users.sql",
        "sql/0002_expand.sql",
        "sql/0005_concurrent.sql",
    ])
    .success();
}

#[test]
fn lint_reads_alembic_upgrade_only() {
    let ctx = lint_fixture();
    let json = ctx
        .devenv(&["--json", "db", "lint", "--dir", "alembic"])
        .assert_code(1)
        .json();
    assert_eq!(
        rules_by_file(&json),
        vec![
            "alembic/versions/3c4d_unsafe.py:13:drop-column",
            "alembic/versions/3c4d_unsafe.py:14:add-required-column",
            "alembic/versions/3c4d_unsafe.py:15:rename-column",
            "alembic/versions/3c4d_unsafe.py:16:create-index-non-concurrently",
            "alembic/versions/3c4d_unsafe.py:19:add-foreign-key-not-valid",
        ]
    );
}

#[test]
fn lint_warns_on_unreadable_sql_without_failing() {
    let ctx = TestContext::new();
    ctx.write("migrations/1_odd.sql", "SELECT $$ never closed\n");
    ctx.write("migrations/2_style.sql", "CREATE TABLE t (doc json);\n");
    let json = ctx.devenv(&["--json", "db", "lint"]).success().json();
    assert_eq!(json["warnings"], 1);
    assert_eq!(json["style"], 1);
    assert_eq!(json["errors"], 0);
}

#[test]
fn lint_base_only_checks_files_added_since_the_ref() {
    let ctx = TestContext::new();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(ctx.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    ctx.write("migrations/1_old.sql", "ALTER TABLE t DROP COLUMN a;\n");
    git(&["add", "."]);
    git(&["commit", "-qm", "old"]);
    ctx.write("migrations/2_new.sql", "ALTER TABLE t ADD COLUMN b text;\n");
    ctx.devenv(&["db", "lint", "--base", "main"]).success();
    ctx.write("migrations/3_new.sql", "ALTER TABLE t RENAME TO u;\n");
    let json = ctx
        .devenv(&["--json", "db", "lint", "--base", "main"])
        .assert_code(1)
        .json();
    assert_eq!(
        rules_by_file(&json),
        vec!["migrations/3_new.sql:1:rename-table"]
    );
    // Could not lint (exit 2), as opposed to findings (exit 1).
    ctx.devenv(&["db", "lint", "--base", "no-such-ref"])
        .assert_code(2);
    ctx.devenv(&["db", "lint", "no-such-file.sql"])
        .assert_code(2);
}

// ---- through the engine (test images from tests/images/build.sh) ----

/// Removes the project's containers, networks and volumes even when a test fails.
struct Down<'a>(&'a TestContext);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = self.0.devenv_p(&["down", "--volumes", "--timeout", "0"]);
    }
}

#[test]
#[ignore = "needs Docker and PostgreSQL: cargo test -- --include-ignored (as .ci/run does)"]
fn alembic_command_migrations_run_in_the_app_image_under_the_lock() {
    let ctx = TestContext::new();
    ctx.write(
        "compose.yaml",
        r#"services:
  db:
    image: devenv-test/postgres:15
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: secret
      POSTGRES_DB: shop
    ports:
      - "127.0.0.1::5432"
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U shop -d shop"]
      interval: 1s
      timeout: 3s
      retries: 30
  web:
    image: devenv-test/python:3
    environment:
      DATABASE_URL: postgresql://shop:secret@db:5432/shop
    working_dir: /app
    volumes:
      - .:/app
    command: ["sleep", "3600"]
    depends_on:
      db:
        condition: service_healthy
"#,
    );
    ctx.write(
        "devenv.yaml",
        "app:\n  service: web\ndatabase:\n  service: db\n  lock_timeout: 4s\n  command: [alembic, upgrade, head]\n",
    );
    ctx.write("alembic.ini", "[alembic]\nscript_location = alembic\n");
    ctx.write(
        "alembic/env.py",
        "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n\n\
         engine = create_engine(os.environ[\"DATABASE_URL\"])\n\
         with engine.connect() as connection:\n    context.configure(connection=connection)\n\
         \x20   with context.begin_transaction():\n        context.run_migrations()\n",
    );
    ctx.write(
        "alembic/versions/0001_users.py",
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"0001\"\ndown_revision = None\n\n\n\
         def upgrade():\n    op.create_table(\"users\", sa.Column(\"id\", sa.BigInteger(), primary_key=True))\n\
         \x20   op.execute(\"CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt\")\n\n\n\
         def downgrade():\n    op.drop_table(\"users\")\n",
    );
    let _down = Down(&ctx);
    ctx.devenv_p(&["up", "db"]).success();
    // No URL anywhere: devenv finds db's published port and the POSTGRES_* credentials.
    ctx.devenv_p(&["db", "wait", "--timeout", "30s"]).success();
    // web is not running: alembic runs in a one-off container from web's image and config.
    let out = ctx.devenv_p(&["db", "migrate"]).success();
    out.assert_stderr_contains("alembic upgrade head");
    // lock_timeout reached alembic's session through PGOPTIONS.
    let out = ctx
        .devenv_p(&["db", "shell", "--", "-tA", "-c", "SELECT lt FROM seen"])
        .success();
    assert_eq!(out.stdout.trim(), "4s", "{}", out.stderr);
    let out = ctx.devenv_p(&["db", "dump"]).success();
    out.assert_stdout_contains("CREATE TABLE public.users");
    // The lint reads the same script.
    ctx.devenv(&["db", "lint", "--dir", "alembic"]).success();
}

#[test]
fn a_version_too_large_for_bigint_is_named_as_such() {
    let ctx = TestContext::new();
    ctx.write("migrations/12345678901234567890_x.sql", "SELECT 1;\n");
    let out = ctx
        .devenv(&[
            "db",
            "status",
            "--database-url",
            "postgres://app@127.0.0.1:1/app",
        ])
        .assert_code(1);
    out.assert_stderr_contains("`12345678901234567890_x.sql` (the version is larger than")
        .assert_stderr_lacks("not all digits");
}

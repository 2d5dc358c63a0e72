//! The test harness: a temp project folder, files, env, and the real `devenv` binary.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test module uses a different part of the harness"
)]

pub mod http;
pub mod postgres;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace root (the `devenv` crate, which owns these tests, is `cli/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Assert the exit code, printing both streams when it differs.
    #[track_caller]
    pub fn assert_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(self) -> Self {
        self.assert_code(0)
    }

    /// Assert that stderr holds `needle`, printing the whole output when it does not.
    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Assert that stdout holds `needle`, printing the whole output when it does not.
    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Assert that stderr does not hold `needle`, printing the whole output when it does.
    #[track_caller]
    pub fn assert_stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr holds {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Assert that stdout does not hold `needle`, printing the whole output when it does.
    #[track_caller]
    pub fn assert_stdout_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle),
            "stdout holds {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Both streams and the exit code, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "exit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temp project folder with its own unique project name.
pub struct TestContext {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
    /// A project name unique to this test run (lowercase, compose-safe).
    pub project: String,
}

impl TestContext {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("devenv-test-")
            .tempdir()
            .expect("temp dir");
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let project = format!("dvt{}x{}", std::process::id(), n);
        Self {
            dir,
            env: BTreeMap::new(),
            project,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file (creating folders) relative to the project folder.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(&path, contents).expect("write file");
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Set an environment variable for every run of the binary.
    pub fn env(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.to_string(), value.into());
        self
    }

    /// The binary, set up to run in the project folder with a clean, deterministic env.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_devenv"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .env("NO_COLOR", "1")
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_PROFILES")
            .env_remove("COMPOSE_FILE")
            .env_remove("DATABASE_URL")
            .env_remove("DEVENV_VENDOR_MIRRORS")
            .env_remove("DEVENV_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run the binary and capture its output.
    pub fn devenv(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run devenv");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run with `-p <unique project>` prepended, for engine tests.
    pub fn devenv_p(&self, args: &[&str]) -> Output {
        let mut full = vec!["-p", self.project.as_str()];
        full.extend_from_slice(args);
        self.devenv(&full)
    }
}

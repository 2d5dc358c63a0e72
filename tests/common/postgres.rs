//! A throwaway PostgreSQL server for the db tests: Debian's PostgreSQL binaries
//! (`/usr/lib/postgresql/<N>/bin`, or `DEVENV_TEST_PG_BIN`), `initdb` into a temp folder,
//! listening on a free port on 127.0.0.1 with its socket in the same folder. Started once
//! per test process and shared (each test creates its own database), stopped at exit.
//! As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
//!
//! Password auth over TCP (`postgres`/`postgres`), so wrong credentials can be tested.
//!
//! A second server, [`tls_server`], accepts TCP connections over TLS only (`hostssl`), with
//! a certificate for `localhost` signed by a throwaway CA made with `openssl`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const USER: &str = "postgres";
pub const PASSWORD: &str = "postgres";

pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    bin: PathBuf,
    /// The CA certificate that signed the server's, for a TLS-only server.
    pub ca_cert: Option<PathBuf>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static TLS_SERVER: OnceLock<Server> = OnceLock::new();
static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The shared server, started on first use.
pub fn server() -> &'static Server {
    SERVER
        .get_or_init(|| Server::start(false).unwrap_or_else(|e| panic!("starting PostgreSQL: {e}")))
}

/// The shared TLS-only server, started on first use.
pub fn tls_server() -> &'static Server {
    TLS_SERVER.get_or_init(|| {
        Server::start(true).unwrap_or_else(|e| panic!("starting PostgreSQL with TLS: {e}"))
    })
}

/// A CA, and a server certificate for `localhost` it signed, in `dir`: (ca.pem, server.crt,
/// server.key).
fn make_certificates(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("openssl: {e} (install Debian's openssl)"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=devenv test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ])?;
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ])?;
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .map_err(|e| e.to_string())?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.crt",
    ])?;
    Ok((
        dir.join("ca.pem"),
        dir.join("server.crt"),
        dir.join("server.key"),
    ))
}

fn pg_bin() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("DEVENV_TEST_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no /usr/lib/postgresql ({e}); install Debian's postgresql"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".to_string())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A command run as the `postgres` user when we are root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

extern "C" fn stop_at_exit() {
    for server in [SERVER.get(), TLS_SERVER.get()].into_iter().flatten() {
        let _ = as_postgres(&server.bin.join("pg_ctl"))
            .arg("-D")
            .arg(server.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&server.dir);
    }
}

impl Server {
    fn start(tls: bool) -> Result<Self, String> {
        let bin = pg_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("devenv-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("chown to the postgres user failed".into());
            }
        }
        // Made before the chown below, so the server (as `postgres`) can read its key.
        let certs = if tls {
            Some(make_certificates(&dir)?)
        } else {
            None
        };
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PASSWORD).map_err(|e| e.to_string())?;
        if is_root() {
            let _ = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&pwfile)
                .status();
        }
        let out = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                USER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = free_port();
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            dir.display()
        );
        if let Some((_, cert, key)) = &certs {
            if is_root() {
                let _ = Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir)
                    .status();
            }
            let _ = Command::new("chmod").arg("600").arg(key).status();
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert.display(),
                key.display()
            ));
            // TCP only over TLS: a plain connection is refused, so success proves TLS.
            std::fs::write(
                dir.join("data/pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
            )
            .map_err(|e| e.to_string())?;
        }
        let out = as_postgres(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(dir.join("data"))
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("pg_ctl: {e}"))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!(
                "pg_ctl start failed: {}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        // SAFETY: registering a plain extern "C" function is always sound.
        unsafe { libc::atexit(stop_at_exit) };
        Ok(Self {
            port,
            dir,
            bin,
            ca_cert: certs.map(|(ca, _, _)| ca),
        })
    }

    /// URL of `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{db}", self.port)
    }

    /// Create a fresh database with a unique name; returns (name, url).
    pub fn create_database(&self, hint: &str) -> (String, String) {
        let n = DB_COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("t_{}_{}_{n}", hint, std::process::id());
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        let url = self.url(&name);
        (name, url)
    }

    /// Run SQL with psql, returning unaligned tuples-only output; panics on failure.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .arg(self.url(db))
            .args(["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A long-lived psql process reading SQL from stdin (to hold locks).
    pub fn psql_session(&self, db: &str) -> std::process::Child {
        Command::new(self.bin.join("psql"))
            .arg(self.url(db))
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                "application_name=blocker",
            ])
            .env("PGAPPNAME", "blocker")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn psql")
    }
}

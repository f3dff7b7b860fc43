//! Servers on loopback for the script tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path of a program, or a panic naming the Debian package that has it.
pub fn program(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            let p = e.path().join("bin").join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("`{name}` is missing: apt-get install -y --no-install-recommends {package}");
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Every project folder of the repository: examples/* and app.
pub fn projects() -> Vec<PathBuf> {
    let root = crate::common::repo();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("cfgen.yaml").is_file())
        .collect();
    dirs.sort();
    dirs.push(root.join("app"));
    dirs
}

/// A server process, killed on drop.
pub struct Server {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its temp folder (data, logs).
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts `command` and waits until `ready` holds (at most `secs`).
    pub fn start(
        mut command: Command,
        port: u16,
        dir: tempfile::TempDir,
        secs: u64,
        ready: impl Fn() -> bool,
    ) -> Self {
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn the server");
        let mut server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !ready() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}): {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "the server did not get ready in {secs} s: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Redis without persistence or TLS, like the one compose runs.
pub fn redis() -> Server {
    let port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(program("redis-server", "redis-server"));
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir.path());
    let cli = program("redis-cli", "redis-tools");
    Server::start(cmd, port, dir, 15, move || {
        Command::new(&cli)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "PING"])
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"PONG"))
    })
}

/// A self-signed certificate and key for `localhost` in `dir` (openssl): (cert, key).
pub fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    let out = Command::new(program("openssl", "openssl"))
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// A MariaDB on 127.0.0.1 (any user and password: `--skip-grant-tables`), with TLS on a
/// self-signed certificate when `tls`, holding `sql` in the database `db`.
pub fn mariadb(tls: bool, db: &str, sql: &str) -> Server {
    let port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // Each server's own temporary folder: servers bootstrapped at once in a shared /tmp
    // deleted each other's temporary tables (`Error on delete of '/tmp/#sql-temptable-…'`).
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp dir");
    let out = Command::new(program("mariadb-install-db", "mariadb-server"))
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        .output()
        .expect("mariadb-install-db");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let socket = dir.path().join("mysqld.sock");
    let mut cmd = Command::new(program("mariadbd", "mariadb-server"));
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--port={port}"))
        .args([
            "--bind-address=127.0.0.1",
            "--skip-grant-tables",
            "--user=root",
        ]);
    if tls {
        let (cert, key) = certificate(dir.path());
        cmd.arg(format!("--ssl-cert={}", cert.display()))
            .arg(format!("--ssl-key={}", key.display()));
    }
    let client = program("mariadb", "mariadb-client");
    let probe_socket = socket.clone();
    let server = Server::start(cmd, port, dir, 60, move || {
        Command::new(&client)
            .arg("--no-defaults")
            .arg(format!("--socket={}", probe_socket.display()))
            .args(["-e", "SELECT 1"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let out = Command::new(program("mariadb", "mariadb-client"))
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args(["-e", &format!("CREATE DATABASE `{db}`; USE `{db}`; {sql}")])
        .output()
        .expect("mariadb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server
}

/// Runs `argv` as `nobody` (PostgreSQL refuses to run as root).
fn as_nobody(argv: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = Command::new(program("setpriv", "util-linux"));
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]);
    cmd.args(argv);
    cmd
}

/// A PostgreSQL on 127.0.0.1 (trust authentication), with TLS on a self-signed certificate
/// when `tls`, holding `sql` in the database `db`.
pub fn postgres(tls: bool, db: &str, sql: &str) -> Server {
    use std::os::unix::fs::PermissionsExt;
    let port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let data = dir.path().join("data");
    let initdb = program("initdb", "postgresql");
    let out = as_nobody(&[
        initdb.as_os_str(),
        "-D".as_ref(),
        data.as_os_str(),
        "-U".as_ref(),
        "postgres".as_ref(),
        "--auth=trust".as_ref(),
    ])
    .output()
    .expect("initdb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let postgres = program("postgres", "postgresql");
    let port_text = port.to_string();
    let mut argv: Vec<std::ffi::OsString> = vec![
        postgres.into(),
        "-D".into(),
        data.clone().into(),
        "-p".into(),
        port_text.into(),
        "-k".into(),
        dir.path().into(),
        "-c".into(),
        "listen_addresses=127.0.0.1".into(),
    ];
    if tls {
        let (cert, key) = certificate(dir.path());
        let _ = Command::new("chown")
            .arg("nobody")
            .arg(&cert)
            .arg(&key)
            .status();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        for setting in [
            "ssl=on".to_owned(),
            format!("ssl_cert_file={}", cert.display()),
            format!("ssl_key_file={}", key.display()),
        ] {
            argv.push("-c".into());
            argv.push(setting.into());
        }
    }
    let refs: Vec<&std::ffi::OsStr> = argv.iter().map(std::ffi::OsString::as_os_str).collect();
    let cmd = as_nobody(&refs);
    let psql = program("psql", "postgresql-client");
    let sockdir = dir.path().to_owned();
    let server = Server::start(cmd, port, dir, 60, || {
        Command::new(&psql)
            .arg("-h")
            .arg(&sockdir)
            .args(["-p", &port.to_string(), "-U", "postgres", "-c", "SELECT 1"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let psql = program("psql", "postgresql-client");
    for statement in [format!("CREATE DATABASE \"{db}\""), String::new()] {
        let mut cmd = Command::new(&psql);
        cmd.arg("-h").arg(server.dir.path()).args([
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
        ]);
        if statement.is_empty() {
            cmd.args(["-d", db, "-c", sql]);
        } else {
            cmd.args(["-c", &statement]);
        }
        let out = cmd.output().expect("psql");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    server
}

/// A finished command's exit code, stdout and stderr, for assertion messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

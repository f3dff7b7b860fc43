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

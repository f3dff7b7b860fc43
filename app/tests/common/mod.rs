//! Test harness: throwaway MariaDB and Redis servers on loopback, the real `shop` binary,
//! and a small HTTP client. Every process is killed and every temp dir removed on drop.
//!
//! The servers come from Debian's `mariadb-server` and `redis-server` packages. When they
//! are missing the tests FAIL (never skip) and say how to install them.

#![allow(dead_code, missing_docs)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::{HeaderMap, Request};
use hyper_util::rt::TokioIo;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const INSTALL_HINT: &str = "install the test servers first: \
    `apt-get update && apt-get install -y --no-install-recommends mariadb-server redis-server` \
    (the CI install step does this; create /usr/sbin/policy-rc.d exiting 101 to keep them from auto-starting)";

/// Bounds a whole test body in time.
pub async fn bounded<F: Future>(secs: u64, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(out) => out,
        Err(_) => panic!("test exceeded its {secs}s bound"),
    }
}

/// Finds a server binary on PATH or in the sbin directories Debian uses.
pub fn find_binary(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for extra in [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
        "/sbin",
    ] {
        dirs.push(PathBuf::from(extra));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` not found on PATH or in /usr/sbin: {INSTALL_HINT}"))
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

fn wait_for_port(port: u16, child: &mut Child, what: &str, log: &Path, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited early ({status}); its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within {timeout:?}; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn terminate(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
    let _ = kill(pid, Signal::SIGTERM);
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().ok()
}

/// A temp dir removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A private MariaDB server: fresh datadir, unix socket in the temp dir, TCP on 127.0.0.1.
/// It runs with `--skip-grant-tables`, so any user name connects without a password.
pub struct MariaDb {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
}

impl MariaDb {
    pub fn start() -> Self {
        let install = find_binary("mariadb-install-db");
        find_binary("mariadbd"); // fail early, with the install hint
        let dir = TempDir::new("mariadb");
        let data = dir.0.join("data");
        let log = dir.0.join("install.log");
        // Retried: a bootstrap that loses a race for a shared resource fails once in a while.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let _ = std::fs::remove_dir_all(&data);
            let out = std::fs::File::create(&log).expect("log file");
            let err = out.try_clone().expect("log file");
            let mut cmd = Command::new(&install);
            cmd.arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--tmpdir={}", dir.0.display()))
                .arg("--auth-root-authentication-method=normal")
                .arg("--skip-test-db")
                .stdout(out)
                .stderr(err);
            if nix::unistd::geteuid().is_root() {
                cmd.arg("--user=root");
            }
            let status = cmd.status().expect("run mariadb-install-db");
            if status.success() {
                break;
            }
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                attempt < 3,
                "mariadb-install-db failed {attempt} times ({status}):\n{text}"
            );
            eprintln!("mariadb-install-db failed ({status}), retrying:\n{text}");
            std::thread::sleep(Duration::from_millis(200));
        }
        std::fs::write(
            dir.0.join("init.sql"),
            "CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n",
        )
        .expect("write init.sql");
        let mut db = Self {
            child: None,
            port: free_port(),
            dir,
        };
        db.resume();
        db
    }

    /// Starts (or restarts) the server on the same datadir and port.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "MariaDB is already running");
        let d = &self.dir.0;
        let log = d.join("mariadbd.log");
        let mut cmd = Command::new(find_binary("mariadbd"));
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", d.join("mariadbd.pid").display()))
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--tmpdir={}", d.display()))
            .arg(format!("--init-file={}", d.join("init.sql").display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg("--skip-grant-tables")
            .arg("--skip-name-resolve")
            .arg("--skip-log-bin")
            .arg("--innodb-buffer-pool-size=32M")
            .arg("--innodb-flush-log-at-trx-commit=2")
            .arg("--max-connections=200")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if nix::unistd::geteuid().is_root() {
            cmd.arg("--user=root");
        }
        let mut child = cmd.spawn().expect("spawn mariadbd");
        wait_for_port(
            self.port,
            &mut child,
            "mariadbd",
            &log,
            Duration::from_secs(30),
        );
        self.child = Some(child);
    }

    /// Stops the server (SIGTERM, then SIGKILL after 15 s).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(15));
        }
    }

    /// `mysql://root@127.0.0.1:<port>/shop`.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/shop", self.port)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A private Redis server on 127.0.0.1 without persistence.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
}

impl Redis {
    pub fn start() -> Self {
        let mut r = Self {
            child: None,
            port: free_port(),
            dir: TempDir::new("redis"),
        };
        r.resume();
        r
    }

    /// Starts (or restarts) the server on the same port.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "Redis is already running");
        let log = self.dir.0.join("redis.log");
        let mut child = Command::new(find_binary("redis-server"))
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--dir", &self.dir.0.display().to_string()])
            .args(["--logfile", &log.display().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        wait_for_port(
            self.port,
            &mut child,
            "redis-server",
            &log,
            Duration::from_secs(15),
        );
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Both servers.
pub struct Services {
    pub db: MariaDb,
    pub redis: Redis,
}

impl Services {
    pub fn start() -> Self {
        Self {
            db: MariaDb::start(),
            redis: Redis::start(),
        }
    }

    /// The environment for `shop` pointing at these servers, on `port`.
    pub fn env(&self, port: u16) -> Vec<(String, String)> {
        [
            ("PORT", port.to_string()),
            ("DATABASE_URL", self.db.url()),
            ("REDIS_URL", self.redis.url()),
            ("LOG_LEVEL", "info,sqlx=warn".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
            ("WORKERS", "2".to_owned()),
            ("DB_POOL_SIZE", "3".to_owned()),
            ("DB_MAX_OVERFLOW", "2".to_owned()),
            ("DB_POOL_TIMEOUT_SECONDS", "2".to_owned()),
            ("DB_QUERY_TIMEOUT_SECONDS", "30".to_owned()),
            ("REDIS_POOL_SIZE", "2".to_owned()),
            ("REDIS_TIMEOUT_SECONDS", "1".to_owned()),
            ("CACHE_TTL_SECONDS", "60".to_owned()),
            ("SHUTDOWN_GRACE_SECONDS", "15".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Runs `shop migrate` and asserts it succeeded.
    pub fn migrate(&self) {
        let out = run_shop(&["migrate"], &self.env(free_port()));
        assert!(
            out.status.success(),
            "shop migrate failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts `shop serve` with the default env plus `extra`, and waits until healthy.
    pub async fn shop(&self, extra: &[(&str, &str)]) -> Shop {
        let port = free_port();
        let mut env = self.env(port);
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        Shop::spawn(port, &env).await
    }
}

/// Runs the `shop` binary to completion with exactly `env` (plus PATH).
pub fn run_shop(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shop"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run shop")
}

/// A running `shop serve`.
pub struct Shop {
    child: Option<Child>,
    pub port: u16,
    dir: TempDir,
}

impl Shop {
    pub async fn spawn(port: u16, env: &[(String, String)]) -> Self {
        let dir = TempDir::new("shop");
        let log = dir.0.join("shop.log");
        let child = Command::new(env!("CARGO_BIN_EXE_shop"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(Stdio::from(
                std::fs::File::options()
                    .append(true)
                    .open(&log)
                    .expect("log file"),
            ))
            .spawn()
            .expect("spawn shop");
        let mut shop = Self {
            child: Some(child),
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http(port, "GET", "/health", None).await
                && r.status == 200
            {
                break;
            }
            if let Some(Ok(Some(status))) = shop.child.as_mut().map(Child::try_wait) {
                panic!("shop exited early ({status}):\n{}", shop.log());
            }
            assert!(
                Instant::now() < deadline,
                "shop not healthy in time:\n{}",
                shop.log()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        shop
    }

    /// What the process logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("shop.log")).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        if let Some(child) = &self.child {
            let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
            kill(pid, Signal::SIGTERM).expect("send SIGTERM");
        }
    }

    /// Waits for the process to exit (async-friendly polling), bounded.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM and wait; asserts a clean exit.
    pub async fn stop(&mut self) {
        self.sigterm();
        let status = self.wait_exit(Duration::from_secs(20)).await;
        assert!(
            status.is_some_and(|s| s.success()),
            "shop did not exit cleanly ({status:?}):\n{}",
            self.log()
        );
    }

    pub async fn get(&self, path: &str) -> Resp {
        http(self.port, "GET", path, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.log()))
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Resp {
        http(self.port, "POST", path, Some(body.to_string()))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", self.log()))
    }

    /// The value of one exact series (name plus rendered labels) in /metrics, 0 if absent.
    pub async fn metric(&self, series: &str) -> f64 {
        metric_value(&self.get("/metrics").await.body, series)
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Finds `series` (e.g. `orders_total{outcome="success"}`) in a Prometheus text page.
pub fn metric_value(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(series)?;
            rest.strip_prefix(' ')?.trim().parse().ok()
        })
        .unwrap_or(0.0)
}

/// An HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub async fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<Resp, String> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok(Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

//! The binary's command line and configuration errors (no servers needed).

mod common;

use common::run_shop;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const OK_URLS: &[(&str, &str)] = &[
    ("DATABASE_URL", "mysql://shop:hunter2@127.0.0.1:1/shop"),
    ("REDIS_URL", "redis://127.0.0.1:1/0"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
    let mut v = OK_URLS.to_vec();
    v.extend_from_slice(extra);
    env(&v)
}

#[test]
fn bad_configuration_exits_1_naming_the_variable() {
    for (extra, needle) in [
        (vec![("PORT", "eighty")], "PORT"),
        (vec![("RUN_MODE", "prod")], "RUN_MODE"),
        (vec![("WORKER_CONNECTIONS", "0")], "WORKER_CONNECTIONS"),
        (vec![("PAYMENT_FAILURE_RATE", "2")], "PAYMENT_FAILURE_RATE"),
        (vec![("LOG_FORMAT", "yaml")], "LOG_FORMAT"),
        (
            vec![("DATABASE_URL_FILE", "/run/secrets/db")],
            "DATABASE_URL/DATABASE_URL_FILE",
        ),
    ] {
        let out = run_shop(&["serve"], &with(&extra));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "secret leaked: {stderr}");
    }
    let out = run_shop(&[], &env(&[("REDIS_URL", "redis://127.0.0.1:1")]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn migrate_needs_only_the_database_settings() {
    let out = run_shop(&["migrate"], &env(&[("DATABASE_URL", "postgres://x/y")]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn usage_errors_exit_2() {
    let out = run_shop(&["frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: shop"));
    let out = run_shop(&["serve", "extra"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_shop(&["help"], &[]);
    assert!(out.status.success());
}

#[test]
fn healthcheck_fails_when_nothing_listens() {
    let port = common::free_port().to_string();
    let out = run_shop(&["healthcheck"], &env(&[("PORT", &port)]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

/// `serve` starts without its dependencies (pools connect lazily) and reports them not
/// ready; idle keep-alive connections are closed after KEEPALIVE_TIMEOUT_SECONDS; SIGTERM
/// with nothing in flight exits 0 at once.
#[tokio::test]
async fn serves_without_dependencies_and_applies_the_keepalive_timeout() {
    common::bounded(60, async {
        let port = common::free_port();
        let mut vars = with(&[
            ("KEEPALIVE_TIMEOUT_SECONDS", "1"),
            ("DB_POOL_TIMEOUT_SECONDS", "1"),
        ]);
        vars.push(("PORT".to_owned(), port.to_string()));
        let mut shop = common::Shop::spawn(port, &vars).await;
        let r = shop.get("/ready").await;
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.json()["checks"]["database"], "error");
        assert_eq!(r.json()["checks"]["redis"], "error");
        let out = run_shop(&["healthcheck"], &env(&[("PORT", &port.to_string())]));
        assert!(out.status.success(), "{out:?}");

        // One request on a raw keep-alive connection, then silence.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = vec![0u8; 4096];
        let n = stream.read(&mut buf).await.expect("read");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        let started = std::time::Instant::now();
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the server closed the idle connection")
            .unwrap_or(0);
        assert_eq!(n, 0, "expected EOF");
        let idle = started.elapsed();
        assert!(
            idle >= std::time::Duration::from_millis(800)
                && idle < std::time::Duration::from_secs(5),
            "closed after {idle:?}"
        );

        let started = std::time::Instant::now();
        shop.stop().await;
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    })
    .await;
}

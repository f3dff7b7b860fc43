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

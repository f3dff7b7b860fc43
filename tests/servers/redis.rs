//! `scripts/redis_connection_test.sh` against a real Redis.

use std::process::Command;

use super::{projects, redis};

/// Issue 12: the connection test always passed `--tls`, which a Redis without a certificate
/// (the one compose runs, and the app's) refuses. For every project with a cache whose
/// manifest does not say `tls: true`, the committed script passes against a plain Redis.
/// On the commit before, app's and ecommerce's scripts failed here (`--tls` handshake).
#[test]
fn redis_connection_test_passes_against_the_projects_plain_redis() {
    let server = redis();
    let mut checked = Vec::new();
    for dir in projects() {
        let script = dir.join("deploy/scripts/redis_connection_test.sh");
        if !script.is_file() {
            continue;
        }
        let manifest = std::fs::read_to_string(dir.join("cfgen.yaml")).unwrap();
        if manifest.contains("tls: true") {
            continue;
        }
        let out = Command::new("bash")
            .arg(&script)
            .env("REDIS_HOST", "127.0.0.1")
            .env("REDIS_PORT", server.port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr),
            server.log()
        );
        checked.push(dir.file_name().unwrap().to_string_lossy().into_owned());
    }
    assert!(checked.len() >= 3, "projects with a cache: {checked:?}");
}

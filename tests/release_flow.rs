//! The release flow of the generated `scripts/deploy.sh`, run against a stateful
//! fake `kubectl` (and `kustomize`) on PATH and an HTTP listener on loopback that
//! plays the environment's address and the alert endpoints: a failed smoke test
//! rolls the environment back to the digest it ran before and alerts; a passing
//! one leaves the new digest live and alerts nobody.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

const OLD: &str =
    "ghcr.io/acme/api@sha256:1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str =
    "ghcr.io/acme/api@sha256:2222222222222222222222222222222222222222222222222222222222222222";

const MANIFEST: &str = "version: 2
name: api
image: ghcr.io/acme/api:1.0
processes:
  web: { port: 8000 }
  worker: { command: [api, work] }
environments:
  staging: { host: staging.api.example.com }
  production: { host: api.example.com }
targets: [kubernetes, scripts]
";

const SCRIPTS: &str = r#"deployment_scripts:
  deploy:
    - name: apply
      command: "kubectl apply -f k8s/"
    - name: wait
      command: "kubectl rollout status deployment/api-web"
  post_deploy:
    - name: smoke
      command: "curl --fail --silent --show-error --max-time 5 --output /dev/null \"$BASE_URL/health\""
      required: true
"#;

const MONITORING: &str = "monitoring_config:
  alerts:
    channels: [slack, webhook]
";

/// Records every call; `get` prints a Deployment's image, `apply -k` sets the image the
/// fake kustomize pinned on every Deployment of the folder, `set image` sets one.
const FAKE_KUBECTL: &str = r#"#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_KUBE_STATE/calls"
args=()
while (($#)); do
  case "$1" in
    --namespace|-n) shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"
case "$1 ${2:-}" in
  "get deployment")
    [[ ! -f "$FAKE_KUBE_STATE/deployment.$3" ]] || cat "$FAKE_KUBE_STATE/deployment.$3"
    ;;
  "apply -k")
    image="$(sed -n 's/^# fake-image: //p' "$3/kustomization.yaml" | tail -n 1)"
    image="${image#*=}"
    for f in "$3"/deployment-*.yaml; do
      name="$(sed -n 's/^  name: //p' "$f" | head -n 1)"
      printf '%s' "$image" >"$FAKE_KUBE_STATE/deployment.$name"
    done
    ;;
  "set image")
    name="${3#deployment/}"
    printf '%s' "${4#*=}" >"$FAKE_KUBE_STATE/deployment.$name"
    ;;
  *) ;;
esac
"#;

const FAKE_KUSTOMIZE: &str = r#"#!/usr/bin/env bash
set -euo pipefail
[[ "$1 $2 $3" == "edit set image" ]]
printf '# fake-image: %s\n' "$4" >>kustomization.yaml
"#;

/// What the listener received: (method, path, body).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// An HTTP listener on loopback: `GET /health` answers `health`'s status, anything else 200.
fn listen(health: Arc<AtomicU16>) -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let log = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_owned();
            let path = parts.next().unwrap_or_default().to_owned();
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = header.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let status = if method == "GET" && path == "/health" {
                health.load(Ordering::SeqCst)
            } else {
                200
            };
            log.lock()
                .unwrap()
                .push((method, path, String::from_utf8_lossy(&body).into_owned()));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, received)
}

fn write_exe(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Run {
    success: bool,
    stderr: String,
    calls: String,
    live: Vec<String>,
    alerts: Vec<(String, String, String)>,
}

/// Builds the project, records OLD as live on both Deployments, deploys NEW to staging
/// with the smoke test answered by `health`.
fn deploy(health: u16) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("api");
    std::fs::create_dir_all(project.join("config/deployment")).unwrap();
    std::fs::write(project.join("cfgen.yaml"), MANIFEST).unwrap();
    std::fs::write(project.join("config/deployment/scripts.yaml"), SCRIPTS).unwrap();
    std::fs::write(
        project.join("config/deployment/monitoring.yaml"),
        MONITORING,
    )
    .unwrap();
    let out = crate::common::cfgen(&project)
        .arg("build")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bin = tmp.path().join("bin");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    write_exe(&bin.join("kubectl"), FAKE_KUBECTL);
    write_exe(&bin.join("kustomize"), FAKE_KUSTOMIZE);
    for name in ["api-web", "api-worker"] {
        std::fs::write(state.join(format!("deployment.{name}")), OLD).unwrap();
    }

    let (port, received) = listen(Arc::new(AtomicU16::new(health)));
    let base = format!("http://127.0.0.1:{port}");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .arg(project.join("deploy/scripts/deploy.sh"))
        .arg("staging")
        .env("PATH", path)
        .env("FAKE_KUBE_STATE", &state)
        .env("IMAGE", NEW)
        .env("BASE_URL", &base)
        .env("ALERT_SLACK_WEBHOOK_URL", format!("{base}/slack"))
        .env("ALERT_WEBHOOK_URL", format!("{base}/webhook"))
        .env_remove("GITHUB_RUN_ID")
        .output()
        .unwrap();
    let live = ["api-web", "api-worker"]
        .iter()
        .map(|n| std::fs::read_to_string(state.join(format!("deployment.{n}"))).unwrap())
        .collect();
    let alerts = received
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _, _)| m == "POST")
        .cloned()
        .collect();
    Run {
        success: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        calls: std::fs::read_to_string(state.join("calls")).unwrap_or_default(),
        live,
        alerts,
    }
}

#[test]
fn a_failed_smoke_test_rolls_back_to_the_recorded_digest_and_alerts() {
    let run = deploy(503);
    assert!(!run.success, "the deploy must fail:\n{}", run.stderr);
    assert_eq!(run.live, [OLD, OLD], "{}\n{}", run.stderr, run.calls);
    assert!(
        run.calls
            .contains(&format!("set image deployment/api-web web={OLD}")),
        "{}",
        run.calls
    );
    assert!(
        run.calls.contains("rollout status deployment/api-worker"),
        "the rollback is waited for:\n{}",
        run.calls
    );
    let paths: Vec<&str> = run.alerts.iter().map(|(_, p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/slack", "/webhook"], "{}", run.stderr);
    for (_, path, body) in &run.alerts {
        serde_json::from_str::<serde_json::Value>(body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
        assert!(body.contains("rolled back"), "{path}: {body}");
        assert!(
            body.contains("smoke"),
            "{path} names the failed step: {body}"
        );
    }
}

#[test]
fn a_passing_deploy_keeps_the_new_digest_and_alerts_nobody() {
    let run = deploy(200);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.live, [NEW, NEW], "{}\n{}", run.stderr, run.calls);
    assert!(!run.calls.contains("set image"), "{}", run.calls);
    assert!(run.alerts.is_empty(), "{:?}", run.alerts);
}

/// The seed's scripts.yaml migrates after the rollout (`kubectl exec … alembic upgrade
/// head`): a located warning at that command, pointing at the deploy job that already runs it.
#[test]
fn a_migration_after_the_rollout_is_a_located_warning() {
    let outcome = cfgen::validate::check_project(&crate::common::example());
    let found: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule::migration-after-rollout")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let d = found[0];
    assert!(!d.is_error());
    let (file, line, col) = d.position().expect("located");
    assert!(file.ends_with("config/deployment/scripts.yaml"), "{file}");
    assert_eq!((line, col), (24, 16));
    assert!(d.message.contains("alembic upgrade head"), "{}", d.message);
    assert!(
        d.help
            .as_deref()
            .unwrap_or_default()
            .contains("jobs.migrate"),
        "{:?}",
        d.help
    );
}

/// The seed's docker.yaml names `node:18-alpine` and `nginx:1.24-alpine`: a located warning
/// at each, with the supported line from cfgen's dated table.
#[test]
fn end_of_life_images_are_located_warnings() {
    let outcome = cfgen::validate::check_project(&crate::common::example());
    let found: Vec<(usize, usize, &str)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule::image-end-of-life")
        .map(|d| {
            let (file, line, col) = d.position().expect("located");
            assert!(file.ends_with("config/deployment/docker.yaml"), "{file}");
            assert!(!d.is_error());
            assert!(
                d.help
                    .as_deref()
                    .unwrap_or_default()
                    .contains("checked 2026-12")
            );
            (line, col, d.message.as_str())
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (6, 11));
    assert!(found[0].2.contains("Node.js 18"), "{}", found[0].2);
    assert_eq!((found[1].0, found[1].1), (7, 12));
    assert!(found[1].2.contains("nginx 1.24"), "{}", found[1].2);
}

/// For every committed project: the workflow's build context and Dockerfile exist from the
/// repository root (where GitHub runs it and where `uses:` steps resolve paths), and each
/// `run:` of a generated script exists from the steps' working directory. app/ built
/// `context: ..` with `file: deploy/Dockerfile`, which no single folder satisfies.
#[test]
fn workflow_paths_resolve_from_the_repository_root() {
    let root = crate::common::repo();
    let mut projects: Vec<_> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    projects.push(root.join("app"));
    for project in projects {
        let config = cfgen::validate::check_project(&project)
            .project
            .unwrap()
            .config;
        if !config
            .manifest
            .wants(cfgen::model::manifest::Target::Workflow)
        {
            continue;
        }
        // the workflow's own repository root (the examples are their own roots)
        let root = cfgen::plan::repository::of_project(&project, &config).root;
        let project = std::fs::canonicalize(&project).unwrap();
        let name = cfgen::plan::repository::file_name(&config);
        let text = std::fs::read_to_string(root.join(".github/workflows").join(name)).unwrap();
        let workflow: serde_json::Value = cfgen::verify::parse_yaml("deploy.yml", &text).unwrap();
        let workdir = workflow["defaults"]["run"]["working-directory"]
            .as_str()
            .unwrap_or(".");
        assert_eq!(root.join(workdir), project, "{}", project.display());
        let Some(build) = workflow["jobs"]["build"]["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == "push"))
        else {
            continue;
        };
        let context = build["with"]["context"].as_str().unwrap();
        let file = build["with"]["file"].as_str().unwrap();
        assert!(
            root.join(context).is_dir(),
            "{}: {context}",
            project.display()
        );
        assert!(root.join(file).is_file(), "{}: {file}", project.display());
        for job in workflow["jobs"].as_object().unwrap().values() {
            for step in job["steps"].as_array().into_iter().flatten() {
                let Some(run) = step["run"].as_str() else {
                    continue;
                };
                let script = run.split_whitespace().next().unwrap_or_default();
                if script.ends_with(".sh") {
                    assert!(root.join(workdir).join(script).is_file(), "{run}");
                }
            }
        }
    }
}

/// A project at the root of a repository whose build context climbs out of it is a located
/// error; the same project one folder down builds from the repository root.
#[test]
fn a_build_context_outside_the_repository_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    let manifest = crate::common::MINIMAL_MANIFEST.replace(
        "build: { runtime: python, entrypoint: \"app.main:app\" }",
        "build: { runtime: python, entrypoint: \"app.main:app\", context: \"..\" }",
    );
    std::fs::write(tmp.path().join("cfgen.yaml"), &manifest).unwrap();
    let outcome = cfgen::validate::check_project(tmp.path());
    let d = outcome
        .diagnostics
        .iter()
        .find(|d| d.code == "rule::context-outside-repository")
        .expect("the rule fires");
    assert!(d.is_error());
    let (file, line, _) = d.position().unwrap();
    assert!(file.ends_with("cfgen.yaml") && line == 4, "{file}:{line}");

    let project = tmp.path().join("api");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("cfgen.yaml"), &manifest).unwrap();
    let out = crate::common::cfgen(&project)
        .arg("build")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // at the repository root, not in the project's output folder
    assert!(!project.join("deploy/.github/workflows").exists());
    let text =
        std::fs::read_to_string(tmp.path().join(".github/workflows/api-deploy.yml")).unwrap();
    let workflow: serde_json::Value = cfgen::verify::parse_yaml("deploy.yml", &text).unwrap();
    assert_eq!(workflow["defaults"]["run"]["working-directory"], "api");
    let push = workflow["jobs"]["build"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "push")
        .unwrap();
    assert_eq!(push["with"]["context"], ".");
    assert_eq!(push["with"]["file"], "api/deploy/Dockerfile");
}

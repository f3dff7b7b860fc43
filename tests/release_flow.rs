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
printf '%s\n' "${KUBECTL_APPLYSET:+KUBECTL_APPLYSET=$KUBECTL_APPLYSET }$*" >>"$FAKE_KUBE_STATE/calls"
args=()
while (($#)); do
  case "$1" in
    --namespace|-n) shift 2 ;;
    --prune|--applyset=*) shift ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"
case "$1 ${2:-}" in
  "get deployment")
    [[ ! -f "$FAKE_KUBE_STATE/deployment.$3" ]] || cat "$FAKE_KUBE_STATE/deployment.$3"
    ;;
  "get rollout")
    if [[ "$*" == *generation* ]]; then
      printf '3 3 %s' "$(cat "$FAKE_KUBE_STATE/phase.$3")"
    else
      [[ ! -f "$FAKE_KUBE_STATE/rollout.$3" ]] || cat "$FAKE_KUBE_STATE/rollout.$3"
    fi
    ;;
  "apply -k")
    image="$(sed -n 's/^# fake-image: //p' "$3/kustomization.yaml" | tail -n 1)"
    image="${image#*=}"
    for f in "$3"/deployment-*.yaml "$3"/rollout-*.yaml; do
      [[ -f $f ]] || continue
      kind="$(basename "$f")"; kind="${kind%%-*}"
      name="$(sed -n 's/^  name: //p' "$f" | head -n 1)"
      printf '%s' "$image" >"$FAKE_KUBE_STATE/$kind.$name"
      # the analysis of the preview decides the Rollout's phase
      [[ $kind != rollout ]] || printf '%s' "${FAKE_ANALYSIS:-Healthy}" >"$FAKE_KUBE_STATE/phase.$name"
    done
    ;;
  "patch application")
    image="$(sed -n 's/.*"images":\["\([^"]*\)"\].*/\1/p' <<<"$*")"
    printf '%s' "$image" >"$FAKE_KUBE_STATE/application.$3"
    ;;
  "get application")
    printf 'Synced Healthy ["%s"]' "$(cat "$FAKE_KUBE_STATE/application.$3")"
    ;;
  "patch rollout")
    image="$(sed -n 's/.*"value":"\([^"]*\)".*/\1/p' <<<"$*")"
    printf '%s' "$image" >"$FAKE_KUBE_STATE/rollout.$3"
    printf 'Healthy' >"$FAKE_KUBE_STATE/phase.$3"
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
    deploy_with(health, None)
}

/// [`deploy`]; with `analysis`, the project is released blue-green (`web` a Rollout) and
/// the preview's analysis leaves the Rollout in that phase (`Healthy` or `Degraded`).
fn deploy_with(health: u16, analysis: Option<&str>) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("api");
    std::fs::create_dir_all(project.join("config/deployment")).unwrap();
    let manifest = match analysis {
        Some(_) => format!("{MANIFEST}release: {{ strategy: blue-green }}\n"),
        None => MANIFEST.to_owned(),
    };
    std::fs::write(project.join("cfgen.yaml"), manifest).unwrap();
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
    let web = if analysis.is_some() {
        "rollout"
    } else {
        "deployment"
    };
    std::fs::write(state.join(format!("{web}.api-web")), OLD).unwrap();
    std::fs::write(state.join("deployment.api-worker"), OLD).unwrap();
    std::fs::write(state.join("phase.api-web"), "Healthy").unwrap();

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
        .env("FAKE_ANALYSIS", analysis.unwrap_or("Healthy"))
        .env("WAIT_ROLLOUT_INTERVAL", "0")
        .env("IMAGE", NEW)
        .env("BASE_URL", &base)
        .env("ALERT_SLACK_WEBHOOK_URL", format!("{base}/slack"))
        .env("ALERT_WEBHOOK_URL", format!("{base}/webhook"))
        .env_remove("GITHUB_RUN_ID")
        .output()
        .unwrap();
    let live = [format!("{web}.api-web"), "deployment.api-worker".to_owned()]
        .iter()
        .map(|n| std::fs::read_to_string(state.join(n)).unwrap())
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
    // the apply prunes what left the config, scoped to the environment's ApplySet
    assert!(
        run.calls.lines().any(|l| l.starts_with(
            "KUBECTL_APPLYSET=true --namespace api-staging apply --prune \
             --applyset=configmaps/api-applyset -k /"
        )),
        "{}",
        run.calls
    );
    assert_eq!(run.live, [NEW, NEW], "{}\n{}", run.stderr, run.calls);
    assert!(!run.calls.contains("set image"), "{}", run.calls);
    assert!(run.alerts.is_empty(), "{:?}", run.alerts);
}

/// Blue-green: the analysis of the preview fails, the Rollout is Degraded (aborted), so the
/// wait step fails; the Rollout's template goes back to the recorded digest (a JSON patch:
/// kubectl set image knows no Rollout), the worker's Deployment too, and the alert is sent.
#[test]
fn blue_green_a_failed_analysis_rolls_back_to_the_recorded_digest_and_alerts() {
    let run = deploy_with(200, Some("Degraded"));
    assert!(!run.success, "the deploy must fail:\n{}", run.stderr);
    assert_eq!(run.live, [OLD, OLD], "{}\n{}", run.stderr, run.calls);
    assert!(
        run.calls
            .contains("get rollout api-web --output jsonpath={.metadata.generation}"),
        "the wait polls the Rollout with plain kubectl:\n{}",
        run.calls
    );
    assert!(
        run.calls.contains("patch rollout api-web --type json"),
        "{}",
        run.calls
    );
    assert!(
        run.calls
            .contains(&format!("set image deployment/api-worker worker={OLD}")),
        "{}",
        run.calls
    );
    assert!(
        !run.calls.contains("rollout status deployment/api-web"),
        "{}",
        run.calls
    );
    assert!(
        run.stderr.contains("rollout/api-web is Degraded"),
        "{}",
        run.stderr
    );
    let paths: Vec<&str> = run.alerts.iter().map(|(_, p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/slack", "/webhook"], "{}", run.stderr);
    assert!(
        run.alerts
            .iter()
            .all(|(_, _, b)| b.contains("rolled back") && b.contains("wait"))
    );
}

/// Blue-green: the analysis passes, the Rollout is Healthy with the new digest, nothing is
/// rolled back and nobody is alerted.
#[test]
fn blue_green_a_passing_analysis_keeps_the_new_digest_and_alerts_nobody() {
    let run = deploy_with(200, Some("Healthy"));
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.live, [NEW, NEW], "{}\n{}", run.stderr, run.calls);
    assert!(!run.calls.contains("patch rollout"), "{}", run.calls);
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
        // (examples/platform-policy is a shared policy folder, not a project)
        .filter(|p| p.join("cfgen.yaml").is_file())
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

/// Blue-green with no process that has a port has nothing to preview, check and switch: a
/// located error at `release.strategy`.
#[test]
fn blue_green_without_a_port_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = "version: 2
name: api
image: ghcr.io/acme/api:1.0
processes:
  worker: { command: [api, work] }
environments:
  staging: {}
release:
  strategy: blue-green
";
    std::fs::write(tmp.path().join("cfgen.yaml"), manifest).unwrap();
    let outcome = cfgen::validate::check_project(tmp.path());
    let d = outcome
        .diagnostics
        .iter()
        .find(|d| d.code == "rule::blue-green-nothing-to-switch")
        .expect("the rule fires");
    assert!(d.is_error());
    let (file, line, col) = d.position().unwrap();
    assert!(file.ends_with("cfgen.yaml"), "{file}");
    assert_eq!((line, col), (9, 13));
    assert!(d.help.as_deref().unwrap_or_default().contains("port"));
}

/// Blue-green without the Kubernetes target renders no Rollout: a located error.
#[test]
fn blue_green_without_kubernetes_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = format!("{MANIFEST}release: {{ strategy: blue-green }}\n")
        .replace("targets: [kubernetes, scripts]", "targets: [scripts]");
    std::fs::write(tmp.path().join("cfgen.yaml"), manifest).unwrap();
    let outcome = cfgen::validate::check_project(tmp.path());
    let d = outcome
        .diagnostics
        .iter()
        .find(|d| d.code == "rule::blue-green-without-kubernetes")
        .expect("the rule fires");
    assert!(d.is_error());
    let (_, line, _) = d.position().unwrap();
    assert_eq!(line, 11);
}

/// The example is blue-green with every process a Rollout: the seed's rolling-update limits
/// are reported unused with that reason (not an error), and nothing renders a Deployment.
#[test]
fn blue_green_reports_the_rolling_update_limits_unused() {
    let outcome = cfgen::validate::check_project(&crate::common::example());
    assert!(
        !outcome.diagnostics.iter().any(|d| d.is_error()),
        "{:?}",
        outcome.diagnostics
    );
    let out = crate::common::cfgen(&crate::common::example())
        .args(["build", "--check", "--unused"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for key in ["max_surge", "max_unavailable"] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("rolling_update.{key}`")))
            .unwrap_or_else(|| panic!("{key} unused:\n{text}"));
        assert!(
            line.contains("blue-green release") && line.contains("has no effect"),
            "{line}"
        );
    }
    let staging = crate::common::example().join("deploy/k8s/staging");
    assert!(staging.join("rollout-app.yaml").is_file());
    assert!(!staging.join("deployment-app.yaml").exists());
}

/// Argo CD (cfgen.yaml release.argocd): nothing is applied from the runner; the image is set
/// on the environment's Application and waited for; a failed smoke test sets the recorded
/// digest back on the Application (Argo CD would undo `kubectl set image`) and alerts.
#[test]
fn argocd_promotes_on_the_application_and_rolls_back_there() {
    for (health, success, image) in [(200, true, NEW), (503, false, OLD)] {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("api");
        std::fs::create_dir_all(project.join("config/deployment")).unwrap();
        let manifest = format!(
            "{MANIFEST}release:\n  argocd: {{ repo_url: \"https://git.example.com/acme/api.git\" }}\n"
        );
        std::fs::write(project.join("cfgen.yaml"), manifest).unwrap();
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
        let app =
            std::fs::read_to_string(project.join("deploy/k8s/gitops/application-staging.yaml"))
                .unwrap();
        assert!(app.contains("path: \"deploy/k8s/staging\""), "{app}");
        assert!(
            app.contains("selfHeal: true") && app.contains("prune: true"),
            "{app}"
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
            .env("WAIT_ROLLOUT_INTERVAL", "0")
            .env("IMAGE", NEW)
            .env("BASE_URL", &base)
            .env("ALERT_SLACK_WEBHOOK_URL", format!("{base}/slack"))
            .env("ALERT_WEBHOOK_URL", format!("{base}/webhook"))
            .env_remove("GITHUB_RUN_ID")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let calls = std::fs::read_to_string(state.join("calls")).unwrap_or_default();
        assert_eq!(out.status.success(), success, "{stderr}\n{calls}");
        assert!(!calls.lines().any(|l| l.contains(" apply ")), "{calls}");
        assert!(
            calls.contains("--namespace argocd patch application api-staging"),
            "{calls}"
        );
        assert_eq!(
            std::fs::read_to_string(state.join("application.api-staging")).unwrap(),
            image,
            "{stderr}\n{calls}"
        );
        let alerts = received
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _, _)| m == "POST")
            .count();
        assert_eq!(alerts, if success { 0 } else { 2 }, "{stderr}");
    }
}

/// Argo CD without the Kubernetes target has no folder to sync, and an environment named
/// `gitops` would share k8s/gitops/ with the Applications: located errors.
#[test]
fn argocd_that_cannot_work_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = format!(
        "{MANIFEST}release:\n  argocd: {{ repo_url: \"https://git.example.com/a.git\" }}\n"
    )
    .replace("targets: [kubernetes, scripts]", "targets: [scripts]")
    .replace("  production:", "  gitops: {}\n  production:");
    std::fs::write(tmp.path().join("cfgen.yaml"), manifest).unwrap();
    let outcome = cfgen::validate::check_project(tmp.path());
    let at = |code: &str| {
        let d = outcome
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{code}: {:?}", outcome.diagnostics));
        assert!(d.is_error());
        let (_, line, col) = d.position().unwrap();
        (line, col)
    };
    assert_eq!(at("rule::argocd-without-kubernetes"), (13, 3));
    assert_eq!(at("rule::environment-named-gitops"), (9, 3));
}

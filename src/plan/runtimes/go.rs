//! The go recipe: `CGO_ENABLED=0 go build -trimpath` of the main package,
//! with the module and build caches as BuildKit cache mounts; the static
//! binary alone on `scratch` with the CA bundle. `scratch` holds no HTTP
//! client (no shell at all), so the builder also compiles a tiny
//! standard-library probe (`cfgen-probe`) that the HEALTHCHECK runs.
//!
//! Why `scratch` rather than distroless-static: a static Go binary needs
//! nothing from a base image but the CA bundle, which the builder has; an
//! empty base has no packages to patch or scan, no base image to pull, pin
//! and bump, and no user database to need (the UID is numeric).

use serde::Serialize;

use super::{
    CommonView, ImageContext, Recipe, base_image, is_plain_relative_path, probe_lines, runs_probe,
};
use crate::model::Config;
use crate::plan::docker::DOCKERFILE;
use crate::plan::{Artifact, Check, Syntax};
use crate::validate::Project;

/// The Go build image when docker.yaml names none (the current Go release
/// line; the official image sets `GOTOOLCHAIN=local`, so a go.mod that needs
/// a newer Go fails the build instead of downloading one).
const DEFAULT_BUILDER: &str = "golang:1.27-bookworm";

/// The runtime base: empty.
const RUNTIME: &str = "scratch";

/// Where the binary is installed in the image.
const BIN_DIR: &str = "/usr/local/bin";

/// Where the probe is installed.
pub const PROBE: &str = "/usr/local/bin/cfgen-probe";

/// The probe's source: GET the URL given as the first argument, exit 0 on a
/// 200 answer within four seconds. Standard library only, so it builds
/// without the module proxy. (No single quote anywhere: the Dockerfile writes
/// it with `printf` in single quotes.)
const PROBE_SOURCE: &str = r#"package main

import (
    "io"
    "net"
    "os"
    "strings"
    "time"
)

func main() {
    url := ""
    if len(os.Args) > 1 {
        url = os.Args[1]
    }
    host, path, _ := strings.Cut(strings.TrimPrefix(url, "http://"), "/")
    conn, err := net.DialTimeout("tcp", host, 4*time.Second)
    if err != nil {
        os.Exit(1)
    }
    _ = conn.SetDeadline(time.Now().Add(4 * time.Second))
    if _, err := io.WriteString(conn, "GET /"+path+" HTTP/1.0\r\nHost: "+host+"\r\n\r\n"); err != nil {
        os.Exit(1)
    }
    status := make([]byte, 12)
    if _, err := io.ReadFull(conn, status); err != nil {
        os.Exit(1)
    }
    if strings.HasPrefix(string(status), "HTTP/1.") && string(status[9:12]) == "200" {
        os.Exit(0)
    }
    os.Exit(1)
}"#;

/// The go recipe.
pub struct Go;

/// The binary: named after the project.
fn bin(config: &Config) -> String {
    config.manifest.name.to_string()
}

/// The main package: `.` or a folder below the build context, `./cmd/api`.
fn is_package_path(s: &str) -> bool {
    s == "."
        || s.strip_prefix("./").is_some_and(|rest| {
            let rest = rest.trim_end_matches('/');
            !rest.is_empty()
                && is_plain_relative_path(rest)
                && !rest.contains('@')
                && !rest.ends_with(".go")
                && rest.split('/').all(|p| !p.is_empty() && p != ".")
        })
}

impl Recipe for Go {
    fn options(&self) -> &'static [&'static str] {
        &["entrypoint"]
    }

    fn entrypoint_problem(&self, entrypoint: Option<&str>) -> Option<(String, String)> {
        match entrypoint {
            None => Some((
                "which main package?".into(),
                "add `entrypoint: ./cmd/api` (the folder of the main package, relative to the build context), or `entrypoint: .` when it is the module's root".into(),
            )),
            Some(e) if !is_package_path(e) => Some((
                "expected a package folder such as `./cmd/api`".into(),
                "write the folder of the main package relative to the build context, starting with `./` (`./cmd/api`), or `.` for the module's root; not a file".into(),
            )),
            Some(_) => None,
        }
    }

    fn server_command(&self, config: &Config, _port: u16) -> Vec<String> {
        vec![format!("{BIN_DIR}/{}", bin(config))]
    }

    fn http_healthcheck(&self, _config: &Config, url: &str) -> Vec<String> {
        vec![PROBE.to_owned(), url.to_owned()]
    }

    fn artifacts(&self, project: &Project, image: &ImageContext<'_>) -> Vec<Artifact> {
        let config = &project.config;
        let builder = base_image(config.docker.base_images.go.as_ref(), DEFAULT_BUILDER);
        let bin = bin(config);
        let probe = runs_probe(image, PROBE);
        let view = View {
            // `scratch` is no image: nothing to pin.
            common: CommonView::new(config, image, &[&builder]),
            builder_image: builder.to_string(),
            runtime_image: RUNTIME,
            package: image
                .build
                .entrypoint
                .as_ref()
                .map_or_else(|| ".".to_owned(), ToString::to_string),
            bin_path: format!("{BIN_DIR}/{bin}"),
            bin,
            probe_lines: if probe {
                probe_lines(PROBE_SOURCE)
            } else {
                Vec::new()
            },
            probe_path: PROBE,
        };
        let ignore = IgnoreView {
            output_from_context: image.paths.output_from_context.clone(),
        };
        vec![
            Artifact::new(
                DOCKERFILE,
                "docker/Dockerfile.go.j2",
                view,
                Syntax::Dockerfile,
                Check::None,
            ),
            Artifact::new(
                format!("{DOCKERFILE}.dockerignore"),
                "docker/dockerignore.go.j2",
                ignore,
                Syntax::Ignore,
                Check::None,
            ),
        ]
    }
}

#[derive(Serialize)]
struct View {
    #[serde(flatten)]
    common: CommonView,
    builder_image: String,
    runtime_image: &'static str,
    package: String,
    bin: String,
    bin_path: String,
    /// The probe's source, one shell word per line (empty: no probe).
    probe_lines: Vec<String>,
    probe_path: &'static str,
}

#[derive(Serialize)]
struct IgnoreView {
    output_from_context: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{docker, project_with_policy};

    const MANIFEST: &str = r#"
version: 2
name: billing
image: ghcr.io/acme/billing
build:
  runtime: go
  entrypoint: ./cmd/billing
processes:
  api:
    port: 8080
environments:
  staging: { host: staging.billing.example.com }
"#;

    #[test]
    fn the_probe_source_has_no_single_quote() {
        assert!(!PROBE_SOURCE.contains('\''));
        assert!(!PROBE_SOURCE.contains('%'));
    }

    #[test]
    fn package_paths() {
        for ok in [".", "./cmd/api", "./cmd/api/", "./server"] {
            assert!(is_package_path(ok), "{ok}");
        }
        for bad in [
            "app.main:app",
            "server.js",
            "cmd/api",
            "./main.go",
            "./",
            "./../api",
            "/src/cmd/api",
            "github.com/acme/api/cmd/api",
            "./cmd//api",
            "./cmd/./api",
        ] {
            assert!(!is_package_path(bad), "{bad}");
        }
        let (label, _) = Go.entrypoint_problem(Some("server.js")).unwrap();
        assert!(label.contains("package"), "{label}");
        assert!(Go.entrypoint_problem(None).is_some());
    }

    #[test]
    fn a_static_binary_on_scratch_probed_by_its_own_probe() {
        let project = project_with_policy(MANIFEST, Some(&[]));
        let artifacts = docker::plan(&project);
        let view = artifacts[0].context_json();
        assert_eq!(view["builder_image"], json!(DEFAULT_BUILDER));
        assert_eq!(view["runtime_image"], json!("scratch"));
        assert_eq!(view["package"], json!("./cmd/billing"));
        assert_eq!(view["bin_path"], json!("/usr/local/bin/billing"));
        assert_eq!(view["cmd"], json!(r#"["/usr/local/bin/billing"]"#));
        assert_eq!(
            view["healthcheck_cmd"],
            json!(r#"["/usr/local/bin/cfgen-probe", "http://127.0.0.1:8080/health"]"#)
        );
        assert_eq!(
            view["probe_lines"].as_array().unwrap().len(),
            PROBE_SOURCE.lines().count()
        );
        // Only the builder is an image to pin.
        assert_eq!(view["pinned_by_digest"], json!(false));
        assert_eq!(
            artifacts[1].context_json()["output_from_context"],
            json!("deploy")
        );
    }

    #[test]
    fn no_probe_for_a_healthcheck_of_the_users() {
        let manifest = MANIFEST.replace(
            "    port: 8080",
            "    port: 8080\n    healthcheck: [/usr/local/bin/billing, healthcheck]",
        );
        let project = project_with_policy(&manifest, Some(&[]));
        let view = docker::plan(&project)[0].context_json().clone();
        assert_eq!(view["probe_lines"], json!([]));
    }
}

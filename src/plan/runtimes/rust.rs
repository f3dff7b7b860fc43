//! The rust recipe: `cargo build --release` of one binary with BuildKit
//! cache mounts, the binary alone on a slim runtime image. The runtime image
//! has no HTTP client, so the builder also compiles a tiny standard-library
//! probe (`cfgen-probe`) that the HEALTHCHECK runs.

use serde::Serialize;

use super::{CommonView, ImageContext, Recipe, base_image, probe_lines, runs_probe};
use crate::model::Config;
use crate::plan::docker::DOCKERFILE;
use crate::plan::{Artifact, Check, Syntax};
use crate::validate::Project;

/// The Rust build image when docker.yaml names none.
const DEFAULT_BUILDER: &str = "rust:1-slim-bookworm";
/// The runtime image when docker.yaml names none.
const DEFAULT_RUNTIME: &str = "debian:bookworm-slim";

/// Where the binary is installed in the image.
const BIN_DIR: &str = "/usr/local/bin";

/// Where the probe is installed.
pub const PROBE: &str = "/usr/local/bin/cfgen-probe";

/// The probe's source: GET the URL given as the first argument, exit 0 on a
/// 200 answer within four seconds. Standard library only, so `rustc` builds
/// it without a registry. (No single quote anywhere: the Dockerfile writes
/// it with `printf` in single quotes.)
const PROBE_SOURCE: &str = r#"use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
fn main() {
    let url = std::env::args().nth(1).unwrap_or_default();
    let rest = url.strip_prefix("http://").unwrap_or(&url);
    let (host, path) = match rest.split_once("/") {
        Some((h, p)) => (h, format!("/{p}")),
        None => (rest, String::from("/")),
    };
    let probe = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect(host)?;
        stream.set_read_timeout(Some(Duration::from_secs(4)))?;
        stream.set_write_timeout(Some(Duration::from_secs(4)))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
        let mut status = [0u8; 12];
        stream.read_exact(&mut status)?;
        Ok(status.starts_with(b"HTTP/1.") && &status[9..12] == b"200")
    };
    std::process::exit(if probe().unwrap_or(false) { 0 } else { 1 });
}"#;

/// The rust recipe.
pub struct Rust;

fn bin(config: &Config) -> String {
    config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.entrypoint.as_ref())
        .map_or_else(|| config.manifest.name.to_string(), ToString::to_string)
}

impl Recipe for Rust {
    fn options(&self) -> &'static [&'static str] {
        &["entrypoint", "package"]
    }

    fn entrypoint_problem(&self, entrypoint: Option<&str>) -> Option<(String, String)> {
        let e = entrypoint?;
        let binary = !e.is_empty()
            && e.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        (!binary).then(|| {
            (
                "expected a binary name".into(),
                "write the name of the binary target, e.g. `shop` (`[[bin]] name` or the package name)".into(),
            )
        })
    }

    fn server_command(&self, config: &Config, _port: u16) -> Vec<String> {
        vec![format!("{BIN_DIR}/{}", bin(config))]
    }

    fn http_healthcheck(&self, _config: &Config, url: &str) -> Vec<String> {
        vec![PROBE.to_owned(), url.to_owned()]
    }

    fn artifacts(&self, project: &Project, image: &ImageContext<'_>) -> Vec<Artifact> {
        let config = &project.config;
        let images = &config.docker.base_images;
        let builder = base_image(images.rust.as_ref(), DEFAULT_BUILDER);
        let runtime = base_image(images.rust_runtime.as_ref(), DEFAULT_RUNTIME);
        let bin = bin(config);
        // The probe is built only when the HEALTHCHECK runs it.
        let probe = runs_probe(image, PROBE);
        let view = View {
            common: CommonView::new(config, image, &[&builder, &runtime]),
            builder_image: builder.to_string(),
            runtime_image: runtime.to_string(),
            package: image
                .build
                .package
                .as_ref()
                .map_or_else(|| bin.clone(), ToString::to_string),
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
                "docker/Dockerfile.rust.j2",
                view,
                Syntax::Dockerfile,
                Check::None,
            ),
            Artifact::new(
                format!("{DOCKERFILE}.dockerignore"),
                "docker/dockerignore.rust.j2",
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
    runtime_image: String,
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
    use super::*;

    #[test]
    fn the_probe_source_has_no_single_quote() {
        assert!(!PROBE_SOURCE.contains('\''));
        assert!(!PROBE_SOURCE.contains('%'));
    }
}

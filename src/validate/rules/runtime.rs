//! The base images needed by the app's runtime are configured.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Docker, Manifest};
use crate::model::manifest::Runtime;

/// A python app needs `base_images.python`; a rust app needs `base_images.rust` and `rust_runtime`.
pub fn base_image_for_runtime(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let images = &ctx.config.docker.base_images;
    let needed: &[(&str, bool)] = match *ctx.config.manifest.app.runtime {
        Runtime::Python => &[("python", images.python.is_some())],
        Runtime::Rust => &[
            ("rust", images.rust.is_some()),
            ("rust_runtime", images.rust_runtime.is_some()),
        ],
    };
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(_, present)| !present)
        .map(|(key, _)| *key)
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let runtime = match *ctx.config.manifest.app.runtime {
        Runtime::Python => "python",
        Runtime::Rust => "rust",
    };
    let keys = missing
        .iter()
        .map(|k| format!("`base_images.{k}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let entries = missing
        .iter()
        .map(|k| format!("`{k}:`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let example = missing
        .iter()
        .map(|k| match *k {
            "python" => "`python: \"python:3.11-slim\"`",
            "rust" => "`rust: \"rust:1.95-slim-bookworm\"` (the build stage)",
            _ => "`rust_runtime: \"debian:bookworm-slim\"` (the runtime stage)",
        })
        .collect::<Vec<_>>()
        .join(" and ");
    let (source, span) = ctx.key(Docker, &["docker_config", "base_images"]);
    let d = Diagnostic::error(
        "rule::base-image",
        format!("the `{runtime}` runtime needs {keys}"),
        &source,
        span,
    )
    .with_label(format!("expected {entries} here"))
    .with_help(format!("add {example}"));
    vec![ctx.related(d, Manifest, &["app", "runtime"], "runtime chosen here")]
}

//! The base images needed by the app's runtime are configured.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Docker, Manifest};
use crate::model::manifest::Runtime;

/// A python app needs `base_images.python`; a rust app needs `base_images.rust` and `rust_runtime`.
pub fn base_image_for_runtime(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let images = &ctx.config.docker.base_images;
    let needed: &[(&str, bool)] = match ctx.config.manifest.app.runtime {
        Runtime::Python => &[("python", images.python.is_some())],
        Runtime::Rust => &[
            ("rust", images.rust.is_some()),
            ("rust_runtime", images.rust_runtime.is_some()),
        ],
    };
    needed
        .iter()
        .filter(|(_, present)| !present)
        .map(|(key, _)| {
            let (source, span) = ctx.key(Docker, &["docker_config", "base_images"]);
            let d = Diagnostic::error(
                "rule::base-image",
                format!("`base_images.{key}` is needed for the app's runtime"),
                &source,
                span,
            )
            .with_label(format!("expected a `{key}:` image here"))
            .with_help(match *key {
                "python" => "add `python: \"python:3.11-slim\"`",
                "rust" => "add `rust: \"rust:1.95-slim-bookworm\"`",
                _ => "add `rust_runtime: \"debian:bookworm-slim\"`",
            });
            ctx.related(d, Manifest, &["app", "runtime"], "runtime chosen here")
        })
        .collect()
}

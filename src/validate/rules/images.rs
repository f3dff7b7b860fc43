//! Images the config names (docker.yaml `base_images`, a prebuilt cfgen.yaml `image`) that
//! are past their end of life get a located warning with the supported line.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages::release as msg;
use crate::model::FileKind::{Docker, Manifest};
use crate::model::values::ImageRef;

/// When [`END_OF_LIFE`] was last checked against the projects' release pages; update it
/// with each release of cfgen.
pub const CHECKED: &str = "2026-12";

/// An end-of-life line of an image: the image (last path segment), the line (version
/// components a tag starts with), the product, the date it ended, and the supported lines.
pub struct EndOfLife {
    /// The image name (`node`, `library/node` and `docker.io/library/node` alike).
    pub image: &'static str,
    /// The line: `18` matches `18`, `18-alpine`, `18.20.4-bookworm`.
    pub line: &'static [u32],
    /// The product in prose.
    pub product: &'static str,
    /// When the line reached its end of life.
    pub ended: &'static str,
    /// What to use instead.
    pub supported: &'static str,
}

const NODE: &str = "22 (until 2027-04-30) or 24 (until 2028-04-30)";
const NGINX: &str = "the current stable line, 1.28 or newer";
const PYTHON: &str = "3.10 to 3.14 (3.12 or newer for new projects)";
const GO: &str = "the two newest releases, 1.26 or 1.27";

/// The table (as of [`CHECKED`]).
pub const END_OF_LIFE: &[EndOfLife] = &[
    eol("node", &[14], "Node.js", "2023-04-30", NODE),
    eol("node", &[16], "Node.js", "2023-09-11", NODE),
    eol("node", &[17], "Node.js", "2022-06-01", NODE),
    eol("node", &[18], "Node.js", "2025-04-30", NODE),
    eol("node", &[19], "Node.js", "2023-06-01", NODE),
    eol("node", &[20], "Node.js", "2026-04-30", NODE),
    eol("node", &[21], "Node.js", "2024-06-01", NODE),
    eol("node", &[23], "Node.js", "2025-06-01", NODE),
    eol("nginx", &[1, 20], "nginx", "2022-05-24", NGINX),
    eol("nginx", &[1, 21], "nginx", "2022-05-24", NGINX),
    eol("nginx", &[1, 22], "nginx", "2023-04-11", NGINX),
    eol("nginx", &[1, 23], "nginx", "2023-04-11", NGINX),
    eol("nginx", &[1, 24], "nginx", "2024-04-23", NGINX),
    eol("nginx", &[1, 25], "nginx", "2024-04-23", NGINX),
    eol("nginx", &[1, 26], "nginx", "2025-04-23", NGINX),
    eol("python", &[3, 7], "Python", "2023-06-27", PYTHON),
    eol("python", &[3, 8], "Python", "2024-10-07", PYTHON),
    eol("python", &[3, 9], "Python", "2025-10-31", PYTHON),
    eol("golang", &[1, 22], "Go", "2025-02-11", GO),
    eol("golang", &[1, 23], "Go", "2025-08-12", GO),
    eol("golang", &[1, 24], "Go", "2026-02-10", GO),
];

const fn eol(
    image: &'static str,
    line: &'static [u32],
    product: &'static str,
    ended: &'static str,
    supported: &'static str,
) -> EndOfLife {
    EndOfLife {
        image,
        line,
        product,
        ended,
        supported,
    }
}

/// The table entry an image falls under, if it is end of life.
#[must_use]
pub fn end_of_life(image: &ImageRef) -> Option<&'static EndOfLife> {
    let name = image.name.rsplit('/').next().unwrap_or(&image.name);
    let tag = image.tag.as_deref()?;
    let version = tag.split('-').next().unwrap_or(tag);
    let parts: Vec<u32> = version.split('.').map_while(|p| p.parse().ok()).collect();
    END_OF_LIFE
        .iter()
        .find(|e| e.image == name && parts.len() >= e.line.len() && parts.starts_with(e.line))
}

/// Every image the config names, checked against [`END_OF_LIFE`].
pub fn images_are_supported(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let base = &ctx.config.docker.base_images;
    let slots = [
        ("python", &base.python),
        ("rust", &base.rust),
        ("rust_runtime", &base.rust_runtime),
        ("node", &base.node),
        ("node_runtime", &base.node_runtime),
        ("go", &base.go),
        ("java", &base.java),
        ("java_runtime", &base.java_runtime),
        ("nginx", &base.nginx),
        ("postgres", &base.postgres),
        ("mysql", &base.mysql),
        ("redis", &base.redis),
    ];
    let mut warn = |image: &ImageRef, kind, keys: &[&str]| {
        if let Some(e) = end_of_life(image) {
            let line = e
                .line
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".");
            out.push(
                ctx.warning(
                    "rule::image-end-of-life",
                    msg::end_of_life_image(&image.to_string(), e.product, &line, e.ended),
                    kind,
                    keys,
                )
                .with_label(msg::END_OF_LIFE_LABEL)
                .with_help(msg::end_of_life_help(e.product, e.supported, CHECKED)),
            );
        }
    };
    for (slot, image) in slots {
        if let Some(image) = image {
            warn(
                image.peek(),
                Docker,
                &["docker_config", "base_images", slot],
            );
        }
    }
    if ctx.config.manifest.build.is_none() {
        warn(&ctx.config.manifest.image, Manifest, &["image"]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> ImageRef {
        s.parse().expect("an image reference")
    }

    #[test]
    fn lines_match_by_leading_version_components() {
        let found = |s: &str| end_of_life(&image(s)).map(|e| (e.product, e.ended));
        assert_eq!(found("node:18-alpine"), Some(("Node.js", "2025-04-30")));
        assert_eq!(
            found("docker.io/library/node:18.20.4"),
            Some(("Node.js", "2025-04-30"))
        );
        assert_eq!(found("nginx:1.24-alpine"), Some(("nginx", "2024-04-23")));
        assert_eq!(found("python:3.9-slim"), Some(("Python", "2025-10-31")));
        assert_eq!(found("node:24-bookworm-slim"), None);
        assert_eq!(found("node:180"), None);
        assert_eq!(found("nginx:1.2"), None);
        assert_eq!(found("nginx:1.28-alpine"), None);
        assert_eq!(found("python:3.11-slim"), None);
        assert_eq!(found("node:lts"), None);
        assert_eq!(found("node"), None);
    }
}

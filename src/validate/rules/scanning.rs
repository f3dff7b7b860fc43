//! The image scan is asked for in two files; they must agree.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Docker, Security};

/// `docker_config.build.security_scanning` and `security_config.container.scan_images`
/// both say whether CI scans the image. security.yaml decides (it also holds the
/// severity gate); docker.yaml must not say otherwise.
pub fn scan_settings_agree(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let (build, policy) = (
        &ctx.config.docker.build.security_scanning,
        &ctx.config.security.container.scan_images,
    );
    // Where one file is silent, the other's answer stands.
    if !(build.is_written() && policy.is_written()) {
        return Vec::new();
    }
    let (build, policy) = (*build.peek(), *policy.peek());
    if build == policy {
        return Vec::new();
    }
    let e = ctx
        .error(
            "rule::scan-disagrees",
            format!(
                "`docker_config.build.security_scanning` is {build} but `security_config.container.scan_images` is {policy}"
            ),
            Docker,
            &["docker_config", "build", "security_scanning"],
        )
        .with_label(if build {
            "asks for an image scan"
        } else {
            "turns the image scan off"
        })
        .with_help(format!(
            "security.yaml decides whether CI scans the image; set `security_scanning: {policy}` here, or change `scan_images`"
        ));
    vec![ctx.related(
        e,
        Security,
        &["security_config", "container", "scan_images"],
        "the policy",
    )]
}

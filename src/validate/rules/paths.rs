//! The output folder is a relative path inside the project that overlaps
//! neither `config/` nor `cfgen.yaml`: cfgen writes and prunes there, so a
//! pull request must not be able to point it at `/etc`, at `..`, or at the
//! config it reads.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages;
use crate::model::FileKind::Manifest;
use crate::model::{CONFIG_DIR, MANIFEST_FILE};

/// Why `output` (the manifest's value) is not a folder inside the project
/// apart from the config, if it is not.
#[must_use]
pub fn refuse_output(output: &str) -> Option<String> {
    if output.trim().is_empty() {
        return Some("it is empty, which names the project folder itself".into());
    }
    if output.chars().any(char::is_control) {
        return Some("it holds a control character".into());
    }
    if output.starts_with('/') || output.starts_with('\\') || output.get(1..2) == Some(":") {
        return Some("it is an absolute path".into());
    }
    if output.contains('\\') {
        return Some("it holds a backslash; separate folders with `/`".into());
    }
    let mut parts = Vec::new();
    for part in output.split('/') {
        match part {
            "" | "." => {}
            ".." => return Some("`..` leads out of the project folder".into()),
            name => parts.push(name),
        }
    }
    let Some(first) = parts.first() else {
        return Some("it names the project folder itself".into());
    };
    let config_top = CONFIG_DIR.split('/').next().unwrap_or(CONFIG_DIR);
    if *first == config_top {
        return Some(format!(
            "it overlaps `{config_top}/`, where the config files live"
        ));
    }
    if *first == MANIFEST_FILE {
        return Some(format!("it overlaps `{MANIFEST_FILE}`"));
    }
    if parts.contains(&".git") {
        return Some("it lies inside `.git`".into());
    }
    None
}

/// `output` in `cfgen.yaml` is a relative path inside the project, apart from the config.
pub fn output_inside_project(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    output_rule(ctx, &ctx.config.manifest.output)
}

/// The rule on the manifest's `output` string, located at its value.
fn output_rule(ctx: &Ctx<'_>, output: &str) -> Vec<Diagnostic> {
    let Some(reason) = refuse_output(output) else {
        return Vec::new();
    };
    vec![
        ctx.error(
            "rule::output-outside",
            messages::output_not_in_project(output, &reason),
            Manifest,
            &["output"],
        )
        .with_label(messages::OUTPUT_NOT_IN_PROJECT_LABEL)
        .with_help(messages::OUTPUT_NOT_IN_PROJECT_HELP),
    ]
}

/// With the workflow target, the build context lies inside the repository the workflow
/// checks out: an error inside a repository, a warning where cfgen found none (it takes
/// the project folder as the root then).
pub fn build_context_inside_repository(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    use crate::model::manifest::Target;
    use crate::plan::release::{join_relative, project_in_repository, repository_root};
    let m = &ctx.config.manifest;
    if !m.wants(Target::Workflow) || m.build.is_none() {
        return Vec::new();
    }
    let context = crate::plan::docker::build_context(ctx.config);
    let project = project_in_repository(ctx.dir);
    if join_relative(&project, context).is_some() {
        return Vec::new();
    }
    let root = repository_root(ctx.dir);
    let shown = root.as_ref().map_or_else(
        || ctx.dir.display().to_string(),
        |r| r.display().to_string(),
    );
    let message = messages::release::context_outside_repository(context, &shown, root.is_some());
    let d = if root.is_some() {
        ctx.error(
            "rule::context-outside-repository",
            message,
            Manifest,
            &["build", "context"],
        )
    } else {
        ctx.warning(
            "rule::context-outside-repository",
            message,
            Manifest,
            &["build", "context"],
        )
    };
    vec![
        d.with_label(messages::release::CONTEXT_OUTSIDE_REPOSITORY_LABEL)
            .with_help(messages::release::CONTEXT_OUTSIDE_REPOSITORY_HELP),
    ]
}

#[cfg(test)]
mod tests {
    use super::refuse_output;

    #[test]
    fn outputs_outside_the_project_or_over_the_config_are_refused() {
        for bad in [
            "",
            " ",
            ".",
            "./",
            "/",
            "/etc",
            "../../somewhere",
            "deploy/../..",
            "config",
            "config/deployment",
            "./config/x",
            "cfgen.yaml",
            "a/.git/hooks",
            "C:\\out",
            "de\nploy",
        ] {
            assert!(refuse_output(bad).is_some(), "{bad:?} accepted");
        }
        for good in [
            "deploy",
            "./deploy",
            "out/deploy",
            "deploy/",
            ".deploy",
            "configs",
        ] {
            assert_eq!(refuse_output(good), None, "{good:?} refused");
        }
    }
}

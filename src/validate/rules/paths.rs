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
    use crate::plan::release::join_relative;
    use crate::plan::repository;
    let m = &ctx.config.manifest;
    if !m.wants(Target::Workflow) || m.build.is_none() {
        return Vec::new();
    }
    let context = crate::plan::docker::build_context(ctx.config);
    let location = repository::of_project(ctx.dir, ctx.config);
    if join_relative(&location.project_dir, context).is_some() {
        return Vec::new();
    }
    let declared = m
        .workflow
        .as_ref()
        .is_some_and(|w| w.repository_root.is_some());
    let found = declared || repository::git_root(ctx.dir).is_some();
    let shown = location.root.display().to_string();
    let message = messages::release::context_outside_repository(context, &shown, found);
    let d = if found {
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

/// With the workflow target: `workflow.repository_root` is the project folder or an ancestor
/// inside the repository, and the workflow's folders there (`.github`, `.github/workflows`)
/// and file are plain folders and a regular file, never links (cfgen writes there).
pub fn workflow_location(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    use crate::model::manifest::Target;
    use crate::plan::repository::{self, Refused};
    let m = &ctx.config.manifest;
    if !m.wants(Target::Workflow) {
        return Vec::new();
    }
    let declared = m
        .workflow
        .as_ref()
        .and_then(|w| w.repository_root.as_deref())
        .map(String::as_str);
    let location = match repository::locate(ctx.dir, declared) {
        Ok(location) => location,
        Err(refused) => {
            let why = match refused {
                Refused::NotAncestor => messages::workflow::ROOT_NOT_ANCESTOR.to_owned(),
                Refused::AboveRepository(repo) => {
                    messages::workflow::root_above_repository(&repo.display().to_string())
                }
                Refused::NoRepository => messages::workflow::ROOT_NO_REPOSITORY.to_owned(),
            };
            return vec![
                ctx.error(
                    "rule::workflow-root",
                    messages::workflow::bad_repository_root(declared.unwrap_or_default(), &why),
                    Manifest,
                    &["workflow", "repository_root"],
                )
                .with_label(messages::workflow::BAD_ROOT_LABEL)
                .with_help(messages::workflow::BAD_ROOT_HELP),
            ];
        }
    };
    let file = repository::file_name(ctx.config);
    let mut path = location.root.clone();
    for (i, part) in [".github", "workflows", file.as_str()].iter().enumerate() {
        path.push(part);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            break;
        };
        let kind = meta.file_type();
        let plain = if i < 2 { kind.is_dir() } else { kind.is_file() };
        if plain {
            continue;
        }
        let found = if kind.is_symlink() {
            "a symbolic link"
        } else if kind.is_dir() {
            "a folder"
        } else if kind.is_file() {
            "a regular file"
        } else {
            "a special file (FIFO, socket or device)"
        };
        let keys: &[&str] = if declared.is_some() {
            &["workflow", "repository_root"]
        } else {
            &["name"]
        };
        return vec![
            ctx.error(
                "rule::workflow-path",
                messages::workflow::workflow_path_not_plain(&path.display().to_string(), found),
                Manifest,
                keys,
            )
            .with_label(messages::workflow::WORKFLOW_PATH_LABEL)
            .with_help(messages::workflow::WORKFLOW_PATH_HELP),
        ];
    }
    Vec::new()
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

//! The wording of environment overlays and `cfgen explain`.

/// `config/environments/<env>` or one of its files is not a folder or file cfgen reads.
#[must_use]
pub fn overlay_not_a_folder(path: &str) -> String {
    format!("`{path}` is not a folder: each environment's overlays are a folder of YAML files")
}

/// The overlay folder could not be listed.
#[must_use]
pub fn overlay_unreadable(path: &str) -> String {
    format!("cannot list `{path}`")
}

/// More entries than cfgen reads in an overlay folder.
#[must_use]
pub fn overlay_too_many(path: &str, limit: usize) -> String {
    format!("`{path}` holds more than {limit} entries; cfgen reads at most {limit}")
}

/// An overlay folder whose environment the manifest does not declare.
#[must_use]
pub fn overlay_unknown_environment(env: &str) -> String {
    format!("overlays for `{env}`, an environment cfgen.yaml does not declare")
}

/// How to fix [`overlay_unknown_environment`].
#[must_use]
pub fn overlay_unknown_environment_help(env: &str, fix: Option<&str>) -> String {
    match fix {
        Some(fix) => format!(
            "did you mean `{fix}`? Rename the folder to `{fix}`, or declare `{env}` under `environments` in cfgen.yaml"
        ),
        None => format!("declare `{env}` under `environments` in cfgen.yaml, or remove the folder"),
    }
}

/// A file in an overlay folder that is not one of the nine policy files.
#[must_use]
pub fn overlay_unknown_file(file: &str, env: &str) -> String {
    format!("`{file}` in the overlays of `{env}` is not a config file cfgen reads")
}

/// How to fix [`overlay_unknown_file`].
#[must_use]
pub fn overlay_unknown_file_help(file: &str, fix: Option<&str>) -> String {
    if file == crate::model::MANIFEST_FILE {
        return "the manifest has no overlay: write an environment's own settings under `environments.<env>` in cfgen.yaml".into();
    }
    match fix {
        Some(fix) => format!("did you mean `{fix}`?"),
        None => "an overlay is named like the file it overlays: docker.yaml, kubernetes.yaml, scripts.yaml, monitoring.yaml, logging.yaml, security.yaml, backup.yaml, performance.yaml or checklist.yaml".into(),
    }
}

/// A diagnostic that holds only in one environment.
#[must_use]
pub fn in_environment(message: &str, env: &str) -> String {
    format!("{message} (environment `{env}`)")
}

/// The related label at the base value an overlay overrides.
#[must_use]
pub fn overridden_base(env: &str) -> String {
    format!("the base value, which environment `{env}` overrides")
}

/// A value baked into the image set by an overlay.
#[must_use]
pub fn baked_into_image(path: &str, env: &str) -> String {
    format!("`{path}` is baked into the image, so it cannot differ in environment `{env}`")
}

/// How to fix [`baked_into_image`].
#[must_use]
pub fn baked_into_image_help() -> String {
    "the image is built once and promoted through the environments: set the value in the base file for every environment, and remove it from this overlay".into()
}

/// An overlay value that no artifact of its environment reads.
#[must_use]
pub fn overlay_unused(path: &str, env: &str) -> String {
    format!("`{path}` changes nothing in environment `{env}`")
}

/// Why [`overlay_unused`] and what to do.
#[must_use]
pub fn overlay_unused_help() -> String {
    "an environment's own output is its k8s/<env>/ folder and its deploy job: the Dockerfile, compose, nginx and the scripts are shared by every environment. Remove the value from the overlay, or set it in the base file".into()
}

/// `cfgen explain PATH:LINE` on a file the project does not generate.
#[must_use]
pub fn explain_no_file(rel: &str) -> String {
    format!(
        "the project generates no `{rel}` (run `cfgen build` and name a file of its output folder)"
    )
}

/// `cfgen explain PATH:LINE` past the end of the file.
#[must_use]
pub fn explain_no_line(rel: &str, line: usize, count: usize) -> String {
    format!("`{rel}` has {count} lines; there is no line {line}")
}

/// `cfgen explain KEY` with a key that starts with no file's top-level key.
#[must_use]
pub fn explain_bad_key(key: &str) -> String {
    format!(
        "`{key}` does not start with a config file's top-level key (`docker_config`, `kubernetes_config`, `deployment_scripts`, `monitoring_config`, `logging_config`, `security_config`, `backup_config`, `performance_config` or `deployment_checklist`)"
    )
}

/// `cfgen explain --env` with an undeclared environment.
#[must_use]
pub fn explain_no_environment(env: &str, closest: Option<&str>) -> String {
    match closest {
        Some(fix) => format!("cfgen.yaml declares no environment `{env}`; did you mean `{fix}`?"),
        None => format!("cfgen.yaml declares no environment `{env}`"),
    }
}

/// `cfgen explain KEY` with a key no layer sets and without a fixed default.
#[must_use]
pub fn explain_no_key(key: &str, file: &str) -> String {
    format!(
        "no file sets `{key}` and it has no fixed default: cfgen derives it when it is absent (its description in the schema of `{file}` says how), or there is no such key"
    )
}

/// `cfgen explain` on a file outside the project's output folder.
#[must_use]
pub fn explain_not_output(file: &str) -> String {
    format!(
        "`{file}` is not in its project's output folder: `cfgen explain FILE:LINE` explains generated files"
    )
}

/// `cfgen explain FILE:LINE` on a path that is not a file.
#[must_use]
pub fn explain_missing_file(file: &str) -> String {
    format!(
        "there is no file `{file}`: `cfgen explain FILE:LINE` takes a generated file's path (from the current folder) and a line number"
    )
}

/// A header line.
pub const EXPLAIN_HEADER: &str = "the generated header: it names the files this file read";
/// Before each value that decides whether a file exists (on its header).
pub const EXPLAIN_EXISTS: &str = "the file exists because of";
/// Before each value that changes a line.
pub const EXPLAIN_SET_BY: &str = "set by";
/// A line no written value changes.
pub const EXPLAIN_FIXED: &str = "fixed by cfgen: no value written in the config changes this line (a default, or the template's own text)";
/// A line a default changes (the default of a key no file sets).
#[must_use]
pub fn explain_default_line(d: &crate::explain::DefaultValue) -> String {
    format!(
        "default `{}` = {}: no file sets it (write it in {} to change this line)",
        d.key, d.value, d.file
    )
}
/// A value read but not varied.
pub const EXPLAIN_UNVARIED: &str = "read by this file, not varied (one of a fixed set of names):";
/// A key no file sets.
pub const EXPLAIN_DEFAULT: &str = "default: no file sets it";
/// The layer that wins.
pub const EXPLAIN_WINS: &str = "effective";
/// A layer below it.
pub const EXPLAIN_OVERRIDDEN: &str = "overridden";
/// A layer whose mapping is merged into the effective value (with every layer above).
pub const EXPLAIN_MERGED: &str = "merged";

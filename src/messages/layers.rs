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

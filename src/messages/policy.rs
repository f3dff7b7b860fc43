//! The wording of shared platform policy (`extends` in cfgen.yaml).

/// A diagnostic at a value of a shared policy folder, naming the project that read it.
#[must_use]
pub fn through_policy(message: &str, project: &str) -> String {
    format!("{message} (shared policy extended by project `{project}`)")
}

/// A YAML file in a policy's `deployment/` that is not one of the nine.
#[must_use]
pub fn policy_unknown_file(file: &str) -> String {
    format!("`{file}` in a shared policy folder is not a config file cfgen reads")
}

/// What every `extends` refusal's help line starts from.
const EXTENDS_IS: &str = "`extends` names a policy folder of this repository, relative to the file that says it (`extends: ../platform-policy`): a folder holding `deployment/<file>.yaml` and `environments/<env>/<file>.yaml`, like a project's `config/`";

/// `extends` is not a string.
#[must_use]
pub fn extends_not_a_string() -> String {
    "`extends` must be the path of a policy folder".into()
}

/// `extends` is empty.
#[must_use]
pub fn extends_empty() -> String {
    "`extends` is empty".into()
}

/// `extends` is an absolute path.
#[must_use]
pub fn extends_absolute(path: &str) -> String {
    format!("`extends: {path}` is an absolute path; a policy folder is named relative to this file")
}

/// `extends` climbs out of the repository.
#[must_use]
pub fn extends_outside(path: &str) -> String {
    format!("`extends: {path}` leads out of the repository")
}

/// `extends` leads out of the repository through a symbolic link.
#[must_use]
pub fn extends_link_outside(path: &str) -> String {
    format!("`extends: {path}` leads out of the repository through a symbolic link")
}

/// `extends` names nothing.
#[must_use]
pub fn extends_missing(path: &str) -> String {
    format!("`extends: {path}` names no folder")
}

/// `extends` names a file.
#[must_use]
pub fn extends_not_a_folder(path: &str) -> String {
    format!("`extends: {path}` is not a folder")
}

/// `extends` names a folder with no policy in it.
#[must_use]
pub fn extends_empty_folder(path: &str) -> String {
    format!(
        "`extends: {path}` names a folder with no `deployment/`, `environments/` or `policy.yaml`"
    )
}

/// A chain of `extends` leads back to a folder already in it.
#[must_use]
pub fn extends_cycle(path: &str) -> String {
    format!("`extends: {path}` leads back to a folder this chain already extends")
}

/// A chain of `extends` is longer than the bound.
#[must_use]
pub fn extends_too_deep(path: &str, limit: usize) -> String {
    format!("`extends: {path}` would make a chain of more than {limit} policy folders")
}

/// How to fix an `extends` refusal, by its kind.
#[must_use]
pub fn extends_help(kind: &str) -> String {
    let fix = match kind {
        "absolute" | "outside" | "link-outside" => {
            "a policy outside the repository cannot be reviewed with it: copy it into the repository (a vendored folder, a submodule) and name that"
        }
        "missing" | "not-a-folder" | "empty-folder" => {
            "name the policy folder itself (the one holding `deployment/`), or remove `extends`"
        }
        "cycle" => {
            "remove the `extends` that closes the loop: a policy folder cannot extend itself"
        }
        "too-deep" => "merge the innermost policy folders into one",
        _ => "write the folder's path as a string",
    };
    format!("{fix}; {EXTENDS_IS}")
}

/// How to fix [`extends_missing`] when a folder beside it has a close name.
#[must_use]
pub fn extends_missing_help(fix: &str) -> String {
    format!("did you mean `{fix}`? {EXTENDS_IS}")
}

/// The related label at the start of a cycle.
#[must_use]
pub fn extends_cycle_start() -> String {
    "the chain extends the folder here first".into()
}

/// A key of a policy's `policy.yaml` other than `extends`.
#[must_use]
pub fn policy_file_unknown_key(key: &str) -> String {
    format!("unknown key `{key}` in a policy folder's policy.yaml")
}

/// How to fix [`policy_file_unknown_key`].
#[must_use]
pub fn policy_file_unknown_key_help(fix: Option<&str>) -> String {
    match fix {
        Some(fix) => format!("did you mean `{fix}`?"),
        None => {
            "a policy folder's policy.yaml holds only `extends`, the policy folder it builds on"
                .into()
        }
    }
}

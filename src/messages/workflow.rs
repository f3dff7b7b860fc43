//! Wording of the deploy workflow's place at the repository root.

/// `workflow.repository_root` is not the project folder or an ancestor inside the repository.
#[must_use]
pub fn bad_repository_root(value: &str, why: &str) -> String {
    format!("`workflow.repository_root: {value}` cannot be used: {why}")
}

/// Why: not `.` or `..` steps.
pub const ROOT_NOT_ANCESTOR: &str =
    "it must be this folder (`.`) or one of its ancestors (`..`, `../..`)";

/// Why: above the repository.
#[must_use]
pub fn root_above_repository(repo: &str) -> String {
    format!("it climbs above the repository `{repo}` (the nearest folder holding `.git`)")
}

/// Why: no repository bounds it.
pub const ROOT_NO_REPOSITORY: &str = "it climbs above the project folder, and cfgen found no \
    `.git` above it to bound the climb";

/// The label at the value.
pub const BAD_ROOT_LABEL: &str = "not the project folder or an ancestor inside the repository";

/// How to fix it.
pub const BAD_ROOT_HELP: &str = "give `.` (this folder is the repository root) or as many `..` \
    as lead to the folder holding `.git`; or drop the key to use that folder";

/// Something on the workflow's path at the repository root is not a plain folder or file.
#[must_use]
pub fn workflow_path_not_plain(path: &str, found: &str) -> String {
    format!(
        "`{path}` is {found}: cfgen writes the deploy workflow there and follows no link out of \
         the repository"
    )
}

/// The label at the manifest.
pub const WORKFLOW_PATH_LABEL: &str = "the workflow goes below this project's repository root";

/// How to fix it.
pub const WORKFLOW_PATH_HELP: &str = "make `.github/workflows/` a plain folder of the repository \
    (no symbolic link), or set `workflow.repository_root` to another root";

/// A file of the workflow's name exists at the repository root and cfgen did not write it.
#[must_use]
pub fn workflow_not_ours(path: &str) -> String {
    format!(
        "refusing to overwrite `{path}`: a workflow of that name exists and cfgen did not write \
         it (it is not in this project's `.cfgen-manifest`)"
    )
}

/// The label at the project name.
pub const WORKFLOW_NOT_OURS_LABEL: &str = "names the workflow `<name>-deploy.yml`";

/// How to fix it.
pub const WORKFLOW_NOT_OURS_HELP: &str = "rename or remove the hand-written workflow (or, if it \
    is an earlier cfgen's output that lost its `.cfgen-manifest`, delete it so cfgen writes it \
    again); another project of the repository with the same `name` needs a different one";

/// Two projects of one run write the same workflow file.
#[must_use]
pub fn workflow_collision(path: &str, other: &str) -> String {
    format!("the deploy workflow `{path}` is also the workflow of the project `{other}`")
}

/// The label at the project name.
pub const WORKFLOW_COLLISION_LABEL: &str = "the same `<name>-deploy.yml` as another project";

/// How to fix it.
pub const WORKFLOW_COLLISION_HELP: &str = "give each project of a repository its own `name` (the \
    workflow file is `<name>-deploy.yml`), or give one of them its own `workflow.repository_root`";

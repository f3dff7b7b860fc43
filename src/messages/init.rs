//! Wording of `cfgen init`.

use super::one_of;

/// `cfgen init` where a manifest exists.
#[must_use]
pub fn init_exists(path: &str) -> String {
    format!("`{path}` exists; `cfgen init` never overwrites a manifest")
}

/// `cfgen init` found no marker file and was given no runtime.
#[must_use]
pub fn init_no_runtime(dir: &str) -> String {
    format!(
        "no runtime given and none detected in `{dir}` (it has no `package.json`, `pyproject.toml`, `requirements.txt`, `go.mod`, `Cargo.toml`, `pom.xml` or `build.gradle`)"
    )
}

/// Help naming the runtimes this cfgen has.
#[must_use]
pub fn init_runtime_help(available: &[String]) -> String {
    format!(
        "pass `--runtime` with one this cfgen has a recipe for: {}; for your own Dockerfile, write `build: {{ dockerfile: Dockerfile }}` in cfgen.yaml instead",
        one_of(available)
    )
}

/// A runtime this cfgen has no recipe for.
#[must_use]
pub fn init_runtime_unavailable(runtime: &str, file: Option<&str>) -> String {
    match file {
        Some(file) => format!(
            "`{file}` makes this a {runtime} project, but this cfgen has no {runtime} recipe yet; no manifest was written"
        ),
        None => format!("this cfgen has no `{runtime}` recipe; no manifest was written"),
    }
}

/// A dependency engine `init` does not know.
#[must_use]
pub fn init_bad_engine(slot: &str, engine: &str) -> String {
    let known = if slot == "cache" {
        "`redis`"
    } else {
        "`postgres`, `mysql` or `mariadb`"
    };
    format!("no {slot} engine `{engine}`; the {slot} engines are {known}")
}

/// `cfgen init` wrote the manifest.
#[must_use]
pub fn init_done(path: &str, facts: &str) -> String {
    format!("wrote `{path}`: {facts}")
}

/// The next step after `cfgen init`.
#[must_use]
pub fn init_next(dir: &str) -> String {
    format!(
        "next: set `image:` to your registry, then run `cfgen build {dir}` (the artifacts go to `{}/deploy/`)",
        dir.trim_end_matches('/')
    )
}

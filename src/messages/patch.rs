//! The wording of `patches:` in cfgen.yaml.

/// A patch with both or neither of `merge` and `strategic`.
#[must_use]
pub fn patch_mode(both: bool) -> String {
    if both {
        "this patch has both `merge` and `strategic`".into()
    } else {
        "this patch has neither `merge` nor `strategic`".into()
    }
}

/// How to fix [`patch_mode`].
pub const PATCH_MODE_HELP: &str = "give one of them: `merge` (an RFC 7386 JSON merge patch: lists replace) or `strategic` (named lists such as `containers` and `env` merge by `name`)";

/// A target that is neither `kind` with `name` nor `service`.
pub const PATCH_TARGET: &str =
    "a patch target is a Kubernetes object (`kind` and `name`) or a compose service (`service`)";

/// How to fix [`PATCH_TARGET`].
pub const PATCH_TARGET_HELP: &str = "write `target: { kind: Deployment, name: <object name> }` or `target: { service: <compose service> }`";

/// A compose service patched by one environment.
pub const PATCH_ENV_SERVICE: &str =
    "an environment cannot patch a compose service: compose is not rendered per environment";

/// How to fix [`PATCH_ENV_SERVICE`].
pub const PATCH_ENV_SERVICE_HELP: &str =
    "move this patch to the project's `patches` (top level of cfgen.yaml)";

/// A patch body that is not a mapping.
pub const PATCH_NOT_A_MAP: &str = "a patch is a mapping of the fields it changes";

/// A patch whose target matches no generated object.
#[must_use]
pub fn patch_no_target(target: &str, env: Option<&str>) -> String {
    match env {
        Some(env) => format!("no generated object of environment `{env}` is {target}"),
        None => format!("no generated object is {target}"),
    }
}

/// How to fix [`patch_no_target`].
#[must_use]
pub fn patch_no_target_help(closest: Option<&str>, some: &[String]) -> String {
    match closest {
        Some(c) => format!("did you mean {c}?"),
        None if some.is_empty() => "this run generated no object a patch could target".into(),
        None => format!("the generated objects include {}", some.join(", ")),
    }
}

/// A patch that changes a field cfgen owns.
#[must_use]
pub fn patch_owned(field: &str) -> String {
    format!("a patch cannot change `{field}`: cfgen owns it")
}

/// How to fix [`patch_owned`].
pub const PATCH_OWNED_HELP: &str = "the object's kind, name, namespace and the labels cfgen sets decide where it is written and what cfgen prunes; change them through cfgen.yaml (the project `name`, an environment's `namespace`), or add a label of your own";

/// A patched object its type rejects.
#[must_use]
pub fn patch_invalid(target: &str, file: &str) -> String {
    format!("after this patch, {target} in {file} is not a valid object")
}

/// How to fix [`patch_invalid`].
pub const PATCH_INVALID_HELP: &str = "a patch is checked against the object's type (the Kubernetes API, the compose specification): correct the field's name or value; `null` removes a key";

/// The written text of a patched object did not read back as the object (a cfgen bug).
#[must_use]
pub fn patch_written_wrong(file: &str) -> String {
    format!("the patched {file} did not read back as the patched object (a bug in cfgen)")
}

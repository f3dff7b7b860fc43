//! Wording of the log-shipping and file-backup diagnostics and notes.

/// `collection.agent` names a collector cfgen renders no configuration for.
#[must_use]
pub fn agent_not_rendered(agent: &str) -> String {
    format!(
        "log collector `{agent}` is not rendered: cfgen writes fluentd and fluent-bit configurations only"
    )
}

/// The fix for [`agent_not_rendered`].
pub const AGENT_HELP: &str = "set `agent` to one of `fluentd`, `fluent-bit`, or remove `collection` and run your own collector";

/// `collection.destination` names a store cfgen ships nothing to.
#[must_use]
pub fn destination_not_rendered(destination: &str) -> String {
    format!(
        "log destination `{destination}` is not rendered: cfgen's collectors ship to Elasticsearch only"
    )
}

/// The fix for [`destination_not_rendered`].
pub const DESTINATION_HELP: &str =
    "set `destination` to `elasticsearch` (allowed: `elasticsearch`), or remove `collection`";

/// Why the file-backup values stay unused when no process declares a data volume.
pub const NO_DATA_VOLUME: &str = "no process declares a data volume (processes.<name>.volumes)";

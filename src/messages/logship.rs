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

/// Two data volumes of a process at one path.
#[must_use]
pub fn volume_path_twice(process: &str, volume: &str, other: &str) -> String {
    format!("volumes `{other}` and `{volume}` of process `{process}` are mounted at the same path")
}

/// A ReadWriteOnce data volume on a process that runs more than one pod.
#[must_use]
pub fn volume_rwo(process: &str, volume: &str, replicas: u32) -> String {
    format!(
        "volume `{volume}` of process `{process}` is ReadWriteOnce, but the process runs {}: pods on other nodes cannot mount it",
        if replicas > 1 {
            format!("{replicas} replicas")
        } else {
            "more than one pod when its autoscaler scales out".to_owned()
        }
    )
}

/// The fix for [`volume_rwo`].
pub const VOLUME_RWO_HELP: &str = "set `access: ReadWriteMany` (the StorageClass must offer it: NFS, CephFS, EFS…), or run one pod: `replicas: 1` and `autoscale: false` (in every environment)";

//! File backups (backup.yaml `files`) of the processes' persistent data volumes
//! (cfgen.yaml `processes.<name>.volumes`), with restic.
//!
//! Why restic rather than Velero's file-system backup: Velero is a cluster add-on (its server
//! and node agent, CRDs) that cfgen would have to assume or deploy, and it does nothing for a
//! compose host; restic is one static binary (Debian 12 ships 0.14), runs the same way in a
//! Kubernetes CronJob and from a compose host's cron, encrypts every repository with its
//! password, is incremental by design (content-defined chunks, deduplicated against every
//! earlier snapshot), and runs for real in this project's tests. The same script,
//! `scripts/backup_files.sh`, is what the CronJob runs.

use serde::Serialize;

use crate::model::Config;
use crate::model::manifest::{Autoscale, VolumeAccess};

/// Time of day (UTC) of the file backups: an hour after the database dump's default 02:00
/// (backup.yaml `files` has no time of its own).
pub const FILE_BACKUP_TIME: &str = "03:00";

/// The image the Kubernetes CronJob runs restic in.
pub const RESTIC_IMAGE: &str = "restic/restic:0.17.3";

/// Size of the repository claim when the repository is a path (patch it with kustomize).
pub const REPOSITORY_SIZE: &str = "20Gi";

/// A data volume of a process.
#[derive(Debug, Clone, Serialize)]
pub struct DataMount {
    /// The process.
    pub process: String,
    /// The volume's name.
    pub name: String,
    /// `<process>-<volume>`: the compose volume, the folder under the backup's `/data`.
    pub key: String,
    /// Mount path in the container.
    pub path: String,
    /// Claim size.
    pub size: String,
    /// `ReadWriteOnce` or `ReadWriteMany`.
    pub access: &'static str,
    /// The claim's name: `<project>-<process>-<volume>`.
    pub claim: String,
}

/// The data volumes of one process.
#[must_use]
pub fn process_volumes(
    config: &Config,
    name: &str,
    process: &crate::model::manifest::Process,
) -> Vec<DataMount> {
    process
        .volumes
        .iter()
        .map(|(vol, v)| DataMount {
            process: name.to_owned(),
            name: vol.to_string(),
            key: format!("{name}-{vol}"),
            path: (*v.path).clone(),
            size: v.size.to_string(),
            access: match v.access.as_deref().copied() {
                Some(VolumeAccess::ReadWriteMany) => "ReadWriteMany",
                _ => "ReadWriteOnce",
            },
            claim: format!("{}-{name}-{vol}", config.manifest.name),
        })
        .collect()
}

/// Every data volume of the project.
#[must_use]
pub fn volumes(config: &Config) -> Vec<DataMount> {
    config
        .manifest
        .processes
        .iter()
        .flat_map(|(n, p)| process_volumes(config, n.as_str(), p))
        .collect()
}

/// Whether a process runs more than one pod at some point (replicas or its autoscaler).
#[must_use]
pub fn many_pods(replicas: u32, autoscale: Option<&Autoscale>) -> bool {
    replicas > 1
        || match autoscale {
            None | Some(Autoscale::Enabled(true)) => true,
            Some(Autoscale::Enabled(false)) => false,
            Some(Autoscale::Limits { max }) => **max > 1,
        }
}

/// The file backup: what, when, how long, and where.
#[derive(Debug, Clone, Serialize)]
pub struct FileBackupView {
    /// The project.
    pub project: String,
    /// CronJob name, ConfigMap name.
    pub name: String,
    /// Cron schedule (UTC).
    pub schedule: String,
    /// backup.yaml `files.frequency`, for comments.
    pub frequency: String,
    /// Days snapshots are kept (`restic forget --keep-within <days>d --prune`).
    pub retention_days: u64,
    /// backup.yaml `files.incremental`: false re-reads every file (`--force`).
    pub incremental: bool,
    /// `--exclude` patterns.
    pub excludes: Vec<String>,
    /// The volumes backed up.
    pub volumes: Vec<DataMount>,
    /// The restic repository (`s3:…` or a path).
    pub repository: String,
    /// The repository is S3 (credentials from the Secret).
    pub s3: bool,
    /// The claim holding a path repository in Kubernetes.
    pub repository_claim: Option<String>,
    /// Its size.
    pub repository_size: &'static str,
    /// The Secret with `restic-password` (and the S3 keys).
    pub secret: String,
    /// The restic image (Kubernetes).
    pub image: &'static str,
    /// Start a missed run at most this late (seconds).
    pub starting_deadline_seconds: u64,
    /// A run's deadline (seconds).
    pub active_deadline_seconds: u64,
}

/// The file backup, when backup.yaml has `files` with a periodic frequency and some process
/// declares a data volume.
#[must_use]
pub fn view(config: &Config) -> Option<FileBackupView> {
    let vols = volumes(config);
    if vols.is_empty() {
        return None;
    }
    let files = config.backup.files.as_ref()?;
    let time = FILE_BACKUP_TIME.parse().expect("a valid time");
    let schedule = super::kubernetes::cron_schedule(*files.frequency, time)?;
    let interval = files.frequency.interval()?.as_secs();
    let project = config.manifest.name.to_string();
    let repository = config.manifest.file_backup.as_ref().map_or_else(
        || format!("/var/backups/{project}/files"),
        |f| (*f.repository).clone(),
    );
    let s3 = repository.starts_with("s3:");
    Some(FileBackupView {
        name: format!("{project}-file-backup"),
        schedule,
        frequency: serde_json::to_value(*files.frequency)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        retention_days: files.retention.as_secs().div_ceil(86_400).max(1),
        incremental: *files.incremental,
        excludes: (*files.exclude_patterns).clone(),
        volumes: vols,
        repository_claim: (!s3).then(|| format!("{project}-file-backups")),
        repository_size: REPOSITORY_SIZE,
        repository,
        s3,
        secret: format!("{project}-file-backup"),
        image: RESTIC_IMAGE,
        starting_deadline_seconds: (interval / 2).min(3600),
        active_deadline_seconds: (interval / 2).min(6 * 3600),
        project,
    })
}

/// `scripts/backup_files.sh`, when there is a file backup.
#[must_use]
pub fn scripts(project: &crate::validate::Project) -> Vec<super::Artifact> {
    let config = &project.config;
    if !config
        .manifest
        .wants(crate::model::manifest::Target::Scripts)
    {
        return Vec::new();
    }
    let (view, reads) = crate::provenance::record(|| view(config));
    let Some(view) = view else {
        return Vec::new();
    };
    let mut a = super::Artifact::new(
        "scripts/backup_files.sh",
        "scripts/backup_files.sh.j2",
        &view,
        super::Syntax::Shell,
        super::Check::None,
    )
    .executable();
    a.reads = reads;
    vec![a]
}

//! The database backup CronJob: schedule from `backup_config.database`, the
//! dump script in a ConfigMap, dumps on a PersistentVolumeClaim.

use serde::Serialize;

use super::{Folder, Hardening, Skip, hardening, workload_skips};
use crate::model::Config;
use crate::model::backup::Frequency;
use crate::model::security::ServiceMesh;
use crate::model::values::{ClockTime, DnsLabel, ImageRef};

/// The image the backup runs in when docker.yaml names no `mysql` base image:
/// the official MySQL image ships `mysqldump`, `gzip`, `openssl`, `find` and bash.
pub const DEFAULT_MYSQL_IMAGE: &str = "mysql:8.4";

/// Size of the backup claim (the config does not give one; patch it with kustomize).
pub const BACKUP_VOLUME_SIZE: &str = "20Gi";

/// The backup CronJob and what it mounts.
#[derive(Debug, Clone, Serialize)]
pub struct BackupView {
    /// Object name of the CronJob (and its ConfigMap, NetworkPolicy).
    pub name: String,
    /// Cron schedule (UTC).
    pub schedule: String,
    /// What the schedule means, for the comment.
    pub schedule_text: String,
    /// Image with the engine's dump client (`mysqldump` or `pg_dump`).
    pub image: String,
    /// Give up on a run after this long (half the interval, at most 6 hours).
    pub active_deadline_seconds: u64,
    /// Start a missed run at most this late.
    pub starting_deadline_seconds: u64,
    /// Dumps go to a PersistentVolumeClaim (`storage.persistent_volumes`).
    pub pvc: bool,
    /// The claim's name.
    pub pvc_name: String,
    /// Its StorageClass (`None`: the cluster default).
    pub storage_class: Option<String>,
    /// Its size.
    pub size: &'static str,
    /// What is dumped and how (the same as `scripts/backup_database.sh`).
    #[serde(flatten)]
    pub dump: crate::plan::scripts::DumpView,
    /// The database's port, for the NetworkPolicy.
    pub port: u16,
    /// The Secret holding the encryption key (key `encryption-key`).
    pub key_secret: String,
    /// checkov skips on the CronJob.
    pub skips: Vec<Skip>,
}

/// The cron expression of a schedule: `frequency` at `time` (UTC). Hourly runs
/// at the minute of `time`; weekly on Sunday; monthly on the 1st; quarterly on
/// the 1st of January, April, July and October. `on_change` has no schedule.
#[must_use]
pub fn cron_schedule(frequency: Frequency, time: ClockTime) -> Option<String> {
    let (m, h) = (time.minute, time.hour);
    Some(match frequency {
        Frequency::OnChange => return None,
        Frequency::Hourly => format!("{m} * * * *"),
        Frequency::Daily => format!("{m} {h} * * *"),
        Frequency::Weekly => format!("{m} {h} * * 0"),
        Frequency::Monthly => format!("{m} {h} 1 * *"),
        Frequency::Quarterly => format!("{m} {h} 1 1,4,7,10 *"),
    })
}

fn describe(frequency: Frequency, time: ClockTime) -> String {
    match frequency {
        Frequency::Hourly => format!("hourly at minute {:02}", time.minute),
        Frequency::Daily => format!("daily at {time} UTC"),
        Frequency::Weekly => format!("weekly on Sunday at {time} UTC"),
        Frequency::Monthly => format!("monthly on the 1st at {time} UTC"),
        Frequency::Quarterly => format!("quarterly on the 1st of Jan/Apr/Jul/Oct at {time} UTC"),
        Frequency::OnChange => "on change".into(),
    }
}

/// The CronJob, when `storage.backup_enabled` and the database frequency is periodic.
#[must_use]
pub fn view(config: &Config, project: &DnsLabel, hardening: &Hardening) -> Option<BackupView> {
    let storage = &config.kubernetes.storage;
    if !storage.backup_enabled {
        return None;
    }
    let db = &config.backup.database;
    let schedule = cron_schedule(*db.frequency, *db.time)?;
    let interval = db.frequency.interval()?.as_secs();
    let dump = crate::plan::scripts::dump_view(config)?;
    let images = &config.docker.base_images;
    let (configured, default, slot) = if dump.engine == "postgres" {
        let version = config
            .manifest
            .dependencies
            .database
            .as_ref()
            .and_then(|d| d.version.as_ref())
            .map_or_else(|| "16".to_owned(), ToString::to_string);
        (
            images.postgres.as_ref(),
            format!("postgres:{version}"),
            "postgres",
        )
    } else {
        (
            images.mysql.as_ref(),
            DEFAULT_MYSQL_IMAGE.to_owned(),
            "mysql",
        )
    };
    let image: ImageRef = configured.map_or_else(
        || {
            default
                .parse()
                .expect("the default image reference is valid")
        },
        |i| (**i).clone(),
    );
    let mut skips = workload_skips(hardening);
    if image.digest.is_none() {
        skips.push(Skip {
            id: "CKV_K8S_43",
            reason: if configured.is_some() {
                format!("docker.yaml base_images.{slot} gives the backup image by tag")
            } else {
                format!("docker.yaml base_images.{slot} is not set: the default {default} is a tag")
            },
        });
    }
    Some(BackupView {
        name: format!("{project}-db-backup"),
        schedule,
        schedule_text: describe(*db.frequency, *db.time),
        image: image.to_string(),
        active_deadline_seconds: (interval / 2).min(6 * 3600),
        starting_deadline_seconds: (interval / 2).min(3600),
        pvc: *storage.persistent_volumes,
        pvc_name: format!("{project}-backups"),
        storage_class: storage.storage_class.as_ref().map(ToString::to_string),
        size: BACKUP_VOLUME_SIZE,
        port: dump.default_port,
        dump,
        key_secret: format!("{project}-backup-key"),
        skips,
    })
}

#[derive(Serialize)]
struct Objects {
    backup: BackupView,
    security: Hardening,
    istio: bool,
    /// For the script: TLS to the database is required.
    tls: bool,
}

/// The backup objects of an environment: the claim, the script, the CronJob
/// and its NetworkPolicy, when the project has a database to back up.
pub(super) fn objects(config: &Config, folder: &mut Folder<'_>) {
    let Some(db) = &config.manifest.dependencies.database else {
        return;
    };
    let _ = db;
    let security = hardening(config);
    let Some(backup) = view(config, &config.manifest.name, &security) else {
        return;
    };
    let objects = || Objects {
        backup: view(config, &config.manifest.name, &hardening(config))
            .unwrap_or_else(|| backup.clone()),
        security: hardening(config),
        istio: *config.security.access.service_mesh == ServiceMesh::Istio,
        tls: *config.security.data.encryption_in_transit,
    };
    if backup.pvc {
        folder.add("pvc.yaml", "kubernetes/pvc.yaml.j2", objects);
    }
    folder.add(
        "backup-script.yaml",
        "kubernetes/backup-script.yaml.j2",
        objects,
    );
    folder.add(
        "backup-cronjob.yaml",
        "kubernetes/backup-cronjob.yaml.j2",
        objects,
    );
    if *config.security.container.network_policies {
        folder.add(
            "networkpolicy-backup.yaml",
            "kubernetes/networkpolicy-backup.yaml.j2",
            objects,
        );
    }
}

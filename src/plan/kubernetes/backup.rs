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

/// The image the second-site copy runs in (the backup's engine image has no rclone): the
/// rclone project's own, at the version Debian 12 ships (1.60), which the tests run.
pub const RCLONE_IMAGE: &str = "rclone/rclone:1.60.1";

/// rclone's name for the second site; its settings are the `RCLONE_CONFIG_SECONDSITE_*`
/// environment variables.
pub const SECOND_SITE_REMOTE: &str = "secondsite";

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

/// The second backup site (backup.yaml `backup_sites: 2`, cfgen.yaml `backup.second_site`).
#[derive(Debug, Clone, Serialize)]
pub struct SecondSiteView {
    /// The bucket.
    pub bucket: String,
    /// The S3 endpoint URL.
    pub endpoint: String,
    /// Its TCP port (for the NetworkPolicy).
    pub port: u16,
    /// The bucket's region.
    pub region: String,
    /// The folder inside the bucket.
    pub prefix: String,
    /// The Secret with `access-key-id` and `secret-access-key`.
    pub secret: String,
    /// rclone's name for the site.
    pub remote: &'static str,
    /// The image of the copy container.
    pub image: &'static str,
}

/// The second site, when backup.yaml asks for two sites and cfgen.yaml names one.
#[must_use]
pub fn second_site(config: &Config) -> Option<SecondSiteView> {
    config.manifest.dependencies.database.as_ref()?;
    let dr = config.backup.disaster_recovery.as_ref()?;
    if *dr.backup_sites < 2 {
        return None;
    }
    let s3 = &config.manifest.backup.as_ref()?.second_site.as_ref()?.s3;
    let endpoint = s3.endpoint.to_string();
    let https = endpoint.starts_with("https://");
    let authority = endpoint
        .split_once("://")
        .map_or(endpoint.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let port = authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(if https { 443 } else { 80 });
    Some(SecondSiteView {
        bucket: s3.bucket.to_string(),
        endpoint,
        port,
        region: s3
            .region
            .as_ref()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
        prefix: s3
            .prefix
            .as_ref()
            .map_or_else(|| config.manifest.name.to_string(), ToString::to_string),
        secret: s3.secret.to_string(),
        remote: SECOND_SITE_REMOTE,
        image: RCLONE_IMAGE,
    })
}

/// How long one backup run may take (half the interval, at most 6 hours): the CronJob's
/// `activeDeadlineSeconds`, and so the longest a dump can wait for its copy.
#[must_use]
pub fn job_deadline_secs(interval_secs: u64) -> u64 {
    (interval_secs / 2).min(6 * 3600)
}

/// The engine image of the backup and the restore drill: docker.yaml's base image, else
/// the official image of the engine (with its version for PostgreSQL), and the checkov
/// skip a tag (no digest) needs.
pub(crate) fn engine_image(config: &Config, engine: &str) -> (String, Option<String>) {
    let images = &config.docker.base_images;
    let (configured, default, slot) = if engine == "postgres" {
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
    let skip = image.digest.is_none().then(|| {
        if configured.is_some() {
            format!("docker.yaml base_images.{slot} gives the backup image by tag")
        } else {
            format!("docker.yaml base_images.{slot} is not set: the default {default} is a tag")
        }
    });
    (image.to_string(), skip)
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

/// A schedule in prose, for comments.
#[must_use]
pub fn describe(frequency: Frequency, time: ClockTime) -> String {
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
    let (image, skip) = engine_image(config, dump.engine);
    let mut skips = workload_skips(hardening);
    if let Some(reason) = skip {
        skips.push(Skip {
            id: "CKV_K8S_43",
            reason,
        });
    }
    Some(BackupView {
        name: format!("{project}-db-backup"),
        schedule,
        schedule_text: describe(*db.frequency, *db.time),
        image,
        active_deadline_seconds: job_deadline_secs(interval),
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
    drill: Option<crate::plan::drill::DrillView>,
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
        drill: crate::plan::drill::view(config),
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
    if crate::plan::drill::view(config).is_some() {
        folder.add(
            "restore-drill-script.yaml",
            "kubernetes/restore-drill-script.yaml.j2",
            objects,
        );
        folder.add(
            "restore-drill-cronjob.yaml",
            "kubernetes/restore-drill-cronjob.yaml.j2",
            objects,
        );
    }
    if *config.security.container.network_policies {
        folder.add(
            "networkpolicy-backup.yaml",
            "kubernetes/networkpolicy-backup.yaml.j2",
            objects,
        );
    }
}

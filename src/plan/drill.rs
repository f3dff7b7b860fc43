//! The restore drill (backup.yaml `disaster_recovery`): at `testing_frequency`, the newest
//! dump is restored into a scratch database that the drill starts itself (never the live
//! one: the drill is given no connection to it), checked (schema present, the row counts
//! of the largest tables against the counts the backup recorded next to the dump) and
//! timed against the `rto`. One script, `scripts/restore_drill.sh`, for a compose host (it
//! starts the scratch server with `docker run --network none`) and for the Kubernetes
//! CronJob (the scratch server is a native sidecar of the Job's pod).

use serde::Serialize;

use crate::model::Config;
use crate::model::manifest::{DatabaseEngine, MysqlFlavour};
use crate::model::values::{ClockTime, Duration};
use crate::plan::kubernetes::backup::{DEFAULT_MYSQL_IMAGE, cron_schedule, engine_image};
use crate::plan::scripts::DumpView;

/// Where the drill writes its node_exporter textfile metrics on a compose host: Debian's
/// `prometheus-node-exporter` reads this folder, and compose's node-exporter reads it
/// through its read-only mount of the host's root (`/host`).
pub const TEXTFILE_DIR: &str = "/var/lib/prometheus/node-exporter";

/// How far the restored row count of a table may be from the count the backup recorded:
/// the backup counts right after the dump, so writes during the dump move it a little.
pub const ROW_TOLERANCE_PERCENT: u32 = 5;

/// How many of the largest tables the backup counts and the drill checks.
pub const CHECKED_TABLES: u32 = 10;

/// Extra time after the drill's period before a missing success is overdue.
pub const OVERDUE_SLACK_SECS: u64 = 24 * 3600;

/// The restore drill.
#[derive(Debug, Clone, Serialize)]
pub struct DrillView {
    /// Object name of the CronJob (and its ConfigMap).
    pub name: String,
    /// Cron schedule (UTC): the testing frequency, an hour after the dump of that day.
    pub schedule: String,
    /// What the schedule means, for comments.
    pub schedule_text: String,
    /// `testing_frequency` as written (`quarterly`).
    pub frequency: String,
    /// The longest time between two drills, in seconds.
    pub interval_secs: u64,
    /// A drill is overdue when its last success is older than this (period + 1 day).
    pub overdue_secs: u64,
    /// The recovery time objective, in seconds.
    pub rto_secs: u64,
    /// The same as written (`4h`).
    pub rto: String,
    /// The engine image: the scratch server and the clients.
    pub image: String,
    /// checkov's reason for an image without a digest.
    pub image_skip: Option<String>,
    /// The scratch server's port (on the pod's loopback).
    pub scratch_port: u16,
    /// Its administrative user.
    pub scratch_user: &'static str,
    /// The variable of the engine image that names the admin password's file.
    pub password_env: &'static str,
    /// The scratch server's data folder in the image.
    pub data_dir: &'static str,
    /// Its socket folder.
    pub run_dir: &'static str,
    /// Give up on a drill after this long (RTO + 1 hour).
    pub active_deadline_seconds: u64,
    /// See [`ROW_TOLERANCE_PERCENT`].
    pub row_tolerance_percent: u32,
    /// See [`CHECKED_TABLES`].
    pub tables: u32,
    /// See [`TEXTFILE_DIR`].
    pub textfile_dir: &'static str,
    /// The dump it restores.
    pub dump: DumpView,
}

/// The drill's image: docker.yaml's base image of the engine, else the engine's own
/// official image at the version of `dependencies.database` (the server compose runs).
fn image(config: &Config, dump: &DumpView) -> (String, Option<String>) {
    let db = config.manifest.dependencies.database.as_ref();
    let mariadb = db.is_some_and(|d| d.flavour.as_deref() == Some(&MysqlFlavour::Mariadb));
    let version = db.and_then(|d| d.version.as_ref()).map(ToString::to_string);
    if dump.engine == "postgres" || config.docker.base_images.mysql.is_some() {
        return engine_image(config, dump.engine);
    }
    let image = match (mariadb, version) {
        (true, v) => format!("mariadb:{}", v.as_deref().unwrap_or("11.4")),
        (false, Some(v)) => format!("mysql:{v}"),
        (false, None) => DEFAULT_MYSQL_IMAGE.to_owned(),
    };
    let skip = format!("docker.yaml base_images.mysql is not set: the default {image} is a tag");
    (image, Some(skip))
}

/// The drill, when the project has a database and backup.yaml disaster-recovery
/// objectives with a periodic `testing_frequency` (`on_change` is an error of validate).
#[must_use]
pub fn view(config: &Config) -> Option<DrillView> {
    let dr = config.backup.disaster_recovery.as_ref()?;
    let dump = crate::plan::scripts::dump_view(config)?;
    let frequency = *dr.testing_frequency;
    let interval_secs = frequency.interval()?.as_secs();
    let backup_time = *config.backup.database.time;
    let time = ClockTime {
        hour: (backup_time.hour + 1) % 24,
        minute: backup_time.minute,
    };
    let schedule = cron_schedule(frequency, time)?;
    let rto = *dr.rto;
    let (image, image_skip) = image(config, &dump);
    let postgres = matches!(
        config
            .manifest
            .dependencies
            .database
            .as_ref()
            .map(|d| *d.engine),
        Some(DatabaseEngine::Postgres)
    );
    Some(DrillView {
        name: format!("{}-restore-drill", config.manifest.name),
        schedule_text: crate::plan::kubernetes::backup::describe(frequency, time),
        schedule,
        frequency: serde_json::to_value(frequency)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        interval_secs,
        overdue_secs: interval_secs + OVERDUE_SLACK_SECS,
        rto_secs: rto.as_secs(),
        rto: rto.to_string(),
        image,
        image_skip,
        scratch_port: dump.default_port,
        scratch_user: if postgres { "postgres" } else { "root" },
        password_env: if postgres {
            "POSTGRES_PASSWORD_FILE"
        } else {
            "MYSQL_ROOT_PASSWORD_FILE"
        },
        data_dir: if postgres {
            "/var/lib/postgresql/data"
        } else {
            "/var/lib/mysql"
        },
        run_dir: if postgres {
            "/var/run/postgresql"
        } else {
            "/var/run/mysqld"
        },
        active_deadline_seconds: rto.as_secs() + 3600,
        row_tolerance_percent: ROW_TOLERANCE_PERCENT,
        tables: CHECKED_TABLES,
        textfile_dir: TEXTFILE_DIR,
        dump,
    })
}

/// The drill's overdue threshold as a duration, for messages.
#[must_use]
pub fn overdue(view: &DrillView) -> Duration {
    Duration::from_secs(view.overdue_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::backup::Frequency;

    /// Every periodic testing frequency maps to a fixed schedule an hour after the dump
    /// (the seed's dump is at 02:00), and `on_change` renders no drill.
    #[test]
    fn every_testing_frequency_maps_to_a_fixed_schedule() {
        let mut project = crate::plan::example_project();
        let cases = [
            (Frequency::Hourly, Some("0 * * * *")),
            (Frequency::Daily, Some("0 3 * * *")),
            (Frequency::Weekly, Some("0 3 * * 0")),
            (Frequency::Monthly, Some("0 3 1 * *")),
            (Frequency::Quarterly, Some("0 3 1 1,4,7,10 *")),
            (Frequency::OnChange, None),
        ];
        for (frequency, schedule) in cases {
            let dr = project
                .config
                .backup
                .disaster_recovery
                .as_mut()
                .expect("the seed's disaster_recovery");
            dr.testing_frequency.set(frequency);
            let view = view(&project.config);
            assert_eq!(
                view.as_ref().map(|v| v.schedule.as_str()),
                schedule,
                "{frequency:?}"
            );
            if let Some(v) = view {
                assert_eq!(v.overdue_secs, v.interval_secs + OVERDUE_SLACK_SECS);
                assert_eq!((v.rto_secs, v.rto.as_str()), (4 * 3600, "4h"));
            }
        }
    }
}

//! `config/deployment/backup.yaml`: backup schedules and disaster-recovery objectives.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::AtLeast;
use crate::provenance::Tracked;

use super::values::{ClockTime, Duration};

/// The file `backup.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen backup.yaml")]
pub struct BackupFile {
    /// What is backed up, how often, and the recovery objectives.
    pub backup_config: BackupConfig,
}

/// What is backed up, how often, and the recovery objectives.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Database dumps.
    pub database: DatabaseBackup,
    /// File backups. (none when absent)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "FilesBackup")]
    pub files: Option<FilesBackup>,
    /// Configuration backups. (none when absent)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ConfigurationBackup")]
    pub configuration: Option<ConfigurationBackup>,
    /// Disaster-recovery objectives; the schedules are checked against them. (none when absent)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DisasterRecovery")]
    pub disaster_recovery: Option<DisasterRecovery>,
}

/// How often something happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Whenever the thing changes (configuration in version control).
    OnChange,
    /// Every hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every quarter.
    Quarterly,
}

impl Frequency {
    /// The longest time between two runs, if periodic.
    #[must_use]
    pub fn interval(self) -> Option<Duration> {
        let hours = match self {
            Self::OnChange => return None,
            Self::Hourly => 1,
            Self::Daily => 24,
            Self::Weekly => 24 * 7,
            Self::Monthly => 24 * 31,
            Self::Quarterly => 24 * 92,
        };
        Some(Duration::from_secs(hours * 3600))
    }
}

/// Database dumps.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseBackup {
    /// How often to dump.
    pub frequency: Tracked<Frequency>,
    /// Time of day (UTC) of daily and weekly dumps; the minute of hourly ones.
    pub time: Tracked<ClockTime>,
    /// How long dumps are kept.
    pub retention: Tracked<Duration>,
    /// Compress dumps (gzip).
    pub compression: Tracked<bool>,
    /// Encrypt dumps (AES-256 with a key file).
    pub encryption: Tracked<bool>,
    /// Check each dump after writing it (decompress, decrypt and look for the end marker).
    pub verification: Tracked<bool>,
}

/// File backups.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesBackup {
    /// How often to back up files.
    pub frequency: Tracked<Frequency>,
    /// How long file backups are kept.
    pub retention: Tracked<Duration>,
    /// Copy only what changed since the last backup.
    pub incremental: Tracked<bool>,
    /// Glob patterns left out of file backups.
    #[serde(default)]
    pub exclude_patterns: Tracked<Vec<String>>,
}

/// Configuration backups.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigurationBackup {
    /// How often configuration is backed up.
    pub frequency: Tracked<Frequency>,
    /// How long configuration backups are kept.
    pub retention: Tracked<Duration>,
    /// Configuration lives in version control (this repository).
    pub version_control: Tracked<bool>,
}

/// Disaster-recovery objectives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisasterRecovery {
    /// Recovery point objective: the most data, in time, that a disaster may lose. The database backup interval must not exceed it.
    pub rpo: Tracked<Duration>,
    /// Recovery time objective: the longest a restore may take. The restore drill measures its restore against it and fails when it takes longer.
    pub rto: Tracked<Duration>,
    /// Number of sites that hold a copy of each backup. `2`: every dump is also copied to cfgen.yaml's `backup.second_site` (an S3-compatible bucket), read back and kept as long as the database retention says; cfgen renders at most 2.
    pub backup_sites: Tracked<u32, AtLeast<1>>,
    /// How often the restore drill runs: the newest dump restored into a scratch database and checked, an hour after that day's dump (`on_change` has no schedule: an error).
    pub testing_frequency: Tracked<Frequency>,
}

impl Default for DatabaseBackup {
    /// Daily at 02:00 UTC, kept 30 days, compressed, encrypted and verified.
    fn default() -> Self {
        Self {
            frequency: Tracked::default_value(Frequency::Daily),
            time: "02:00".parse().expect("valid time"),
            retention: "30d".parse().expect("valid duration"),
            compression: Tracked::default_value(true),
            encryption: Tracked::default_value(true),
            verification: Tracked::default_value(true),
        }
    }
}

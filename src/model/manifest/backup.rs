//! `backup:` of cfgen.yaml: where the copies of the database dumps go that
//! backup.yaml's `disaster_recovery.backup_sites` asks for. The policy file
//! says how many sites; the manifest, which names the project's own places,
//! says which.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{Matches, pattern};
use crate::provenance::Tracked;

/// Where backups are kept besides the cluster's own storage.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupSites {
    /// The second site of `backup_sites: 2`: every dump is copied there after it is written and verified, read back, and kept as long as `backup_config.database.retention` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "SecondSite")]
    pub second_site: Option<SecondSite>,
}

/// The second backup site.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondSite {
    /// An S3-compatible bucket, written with rclone.
    pub s3: S3Site,
}

/// An S3-compatible bucket (AWS S3, MinIO, Ceph, …) that rclone copies the dumps to. Credentials never go here: they come from a Secret (Kubernetes) or the environment (a host) as rclone's `RCLONE_CONFIG_SECONDSITE_ACCESS_KEY_ID` and `RCLONE_CONFIG_SECONDSITE_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Site {
    /// The bucket's name, e.g. `acme-db-backups`.
    pub bucket: Tracked<String, Matches<BucketName>>,
    /// The S3 endpoint URL, e.g. `https://s3.eu-central-1.amazonaws.com` or `https://minio.backup.example.net`.
    pub endpoint: Tracked<String, Matches<EndpointUrl>>,
    /// The bucket's region (default `us-east-1`, which most S3-compatible servers accept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Tracked<String, Matches<Region>>>,
    /// A folder inside the bucket for this project's dumps (default: the project name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<Tracked<String, Matches<KeyPrefix>>>,
    /// The Kubernetes Secret holding the bucket's credentials under the keys `access-key-id` and `secret-access-key` (the operator creates it; on a host, export the two `RCLONE_CONFIG_SECONDSITE_…` variables instead).
    pub secret: Tracked<String, Matches<SecretName>>,
}

pattern!(
    /// An S3 bucket name: 3–63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit.
    BucketName,
    r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
);
pattern!(
    /// An `http(s)://` URL without whitespace, quotes, `\`, `$` or backticks (it reaches a shell).
    EndpointUrl,
    r"^https?://[^\s'\x22\\$`]+$"
);
pattern!(
    /// A region name: lowercase letters, digits and `-`.
    Region,
    r"^[a-z0-9-]+$"
);
pattern!(
    /// A relative key prefix: `/`-separated segments of letters, digits, `.`, `_` and `-`.
    KeyPrefix,
    r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"
);
pattern!(
    /// A Kubernetes object name (a DNS label without the length limit).
    SecretName,
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
);

//! The parts of the manifest that describe what runs: processes, jobs, their
//! resources and probes, env values, secrets and dependencies.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{AtLeast, AtMost, Checked, FilePath, ListenPort, Matches, NonEmpty};
use crate::model::values::{
    CpuQuantity, CronSchedule, DnsLabel, Duration, EnvName, HttpPath, MemoryQuantity, TimeZone,
};
use crate::provenance::Tracked;

/// A long-running process started from the image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// The command, exec form (`[program, arg…]`). Default: the runtime's server for the process with a port (e.g. uvicorn for python), the image's own command for images cfgen does not write. Required for other processes of a runtime image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Tracked<Vec<String>>>,
    /// TCP port it listens on inside the container (1024–65535). Without a port the process gets no Service, no Ingress and no HTTP probes (a worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Tracked<u16, ListenPort>>,
    /// Served to the outside by nginx and the Ingress on each environment's host. Default: `true` for a process with a port. At most one process is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<Tracked<bool>>,
    /// Replica count (the autoscaler's minimum). Default: `kubernetes_config.cluster.replicas`, or 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Tracked<u32, AtLeast<1>>>,
    /// Autoscaling: `true` (default; a HorizontalPodAutoscaler from `replicas` to twice as many, on CPU at `monitoring_config.infrastructure.cpu_threshold`), `false`, or `{ max: N }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Tracked<Autoscale>>,
    /// CPU and memory of this process's container. Default: `kubernetes_config.resources` in Kubernetes, `docker_config.runtime.resources` in compose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Resources")]
    pub resources: Option<Resources>,
    /// HTTP probe paths (processes with a port only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Probes")]
    pub probes: Option<Probes>,
    /// A command that exits 0 while the container is healthy (exec form), for compose and the image HEALTHCHECK. Default: a probe of `probes.liveness` with a tool the recipe's image contains; none for images cfgen does not write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Tracked<Vec<String>>>,
    /// Environment variables of this process only, over the project's `env`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<EnvName, Tracked<EnvValue>>,
    /// Persistent data volumes by name (a DNS label), e.g. `uploads: { path: /srv/uploads, size: 5Gi }`: a PersistentVolumeClaim mounted at `path` in Kubernetes, a named volume in compose. backup.yaml `files` backs them up (restic).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<DnsLabel, DataVolume>,
}

/// A persistent data volume of a process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataVolume {
    /// Absolute path it is mounted at inside the container; writable even under a read-only root filesystem.
    pub path: Tracked<String, Matches<FilePath>>,
    /// Size of the claim, e.g. `5Gi`.
    pub size: Tracked<MemoryQuantity>,
    /// Access mode of the claim: `ReadWriteOnce` (default; one node mounts it, so the process may run one pod only) or `ReadWriteMany` (every replica mounts it; needs a storage class that offers it, e.g. NFS, CephFS, EFS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Tracked<VolumeAccess>>,
}

/// The access mode of a data volume's claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VolumeAccess {
    /// Mounted read-write by one node.
    ReadWriteOnce,
    /// Mounted read-write by many nodes.
    ReadWriteMany,
}

/// Where the file backups of the data volumes go (restic repository).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileBackupTarget {
    /// The restic repository: `s3:https://host/bucket/path` (credentials from the Secret `<name>-file-backup`: keys `aws-access-key-id`, `aws-secret-access-key`; on a compose host `secrets/file-backup.env`), or an absolute path (a claim `<name>-file-backups` mounted there in Kubernetes, a folder of the compose host). Default: `/var/backups/<name>/files`.
    pub repository: Tracked<String>,
}

impl Process {
    /// Whether nginx and the Ingress serve it: `public`, which defaults to having a port.
    #[must_use]
    pub fn is_public(&self) -> bool {
        match &self.public {
            Some(p) => **p,
            None => self.port.is_some(),
        }
    }
}

/// Autoscaling of a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Autoscale {
    /// On with the defaults, or off.
    Enabled(bool),
    /// On, up to this many replicas.
    Limits {
        /// Most replicas (at least `replicas`).
        max: Checked<u32, AtLeast<1>>,
    },
}

/// CPU and memory requests and limits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Reserved for scheduling.
    pub requests: ResourceAmounts,
    /// Hard caps: throttled above the CPU, killed above the memory.
    pub limits: ResourceAmounts,
}

/// A CPU and memory amount.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceAmounts {
    /// CPU, e.g. `250m`.
    pub cpu: Tracked<CpuQuantity>,
    /// Memory, e.g. `256Mi`.
    pub memory: Tracked<MemoryQuantity>,
}

/// HTTP probe paths of a process with a port; each must be listed in `monitoring_config.application.health_endpoints` when that file is present.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Liveness: answers 200 while the process is alive.
    #[serde(default = "default_liveness")]
    pub liveness: Tracked<HttpPath>,
    /// Readiness: answers 200 only while the process can serve traffic.
    #[serde(default = "default_readiness")]
    pub readiness: Tracked<HttpPath>,
    /// Prometheus metrics in text format, scraped by Prometheus.
    #[serde(default = "default_metrics")]
    pub metrics: Tracked<HttpPath>,
}

impl Default for Probes {
    fn default() -> Self {
        Self {
            liveness: default_liveness(),
            readiness: default_readiness(),
            metrics: default_metrics(),
        }
    }
}

pub(super) fn default_liveness() -> Tracked<HttpPath> {
    Tracked::default_value("/health".parse().expect("valid path"))
}
pub(super) fn default_readiness() -> Tracked<HttpPath> {
    Tracked::default_value("/ready".parse().expect("valid path"))
}
pub(super) fn default_metrics() -> Tracked<HttpPath> {
    Tracked::default_value("/metrics".parse().expect("valid path"))
}

/// Settings of one process in one environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessOverride {
    /// Replica count of the process here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Tracked<u32, AtLeast<1>>>,
    /// CPU and memory of the process here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Resources")]
    pub resources: Option<Resources>,
}

/// A job: scheduled (a CronJob) or run once per deploy before traffic.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// The command, exec form (`[program, arg…]`).
    pub command: Tracked<Vec<String>, NonEmpty>,
    /// When it runs, a cron schedule (`0 3 * * *`). Without a schedule the job runs once per deploy, before the new version takes traffic: the Kubernetes Job the workflow waits for, the one-shot compose service the app waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Tracked<CronSchedule>>,
    /// Time zone of the schedule (default `Etc/UTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Tracked<TimeZone>>,
    /// What happens when a run is due while the previous one still runs (default `forbid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Tracked<Concurrency>>,
    /// Longest a run may take before it is stopped (`activeDeadlineSeconds`; default 1h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Tracked<Duration>>,
    /// Retries of a failed run (`backoffLimit`; default 2 for scheduled jobs, 0 for deploy jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Tracked<u32, AtMost<10>>>,
    /// Finished runs kept for inspection (scheduled jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "History")]
    pub history: Option<History>,
    /// CPU and memory of the job's container (default: as the processes').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Resources")]
    pub resources: Option<Resources>,
    /// Environment variables of this job only, over the project's `env`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<EnvName, Tracked<EnvValue>>,
}

/// A CronJob's concurrency policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Concurrency {
    /// Start the new run anyway.
    Allow,
    /// Skip the new run.
    Forbid,
    /// Stop the running one and start the new one.
    Replace,
}

/// Finished runs kept.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Successful runs kept (default 3).
    #[serde(default = "default_successful")]
    pub successful: Tracked<u32, AtMost<100>>,
    /// Failed runs kept (default 1).
    #[serde(default = "default_failed")]
    pub failed: Tracked<u32, AtMost<100>>,
}

fn default_successful() -> Tracked<u32, AtMost<100>> {
    Tracked::default_value(3)
}

fn default_failed() -> Tracked<u32, AtMost<100>> {
    Tracked::default_value(1)
}

/// The value of a plain environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// A string.
    Text(String),
    /// A whole number, passed as its decimal text.
    Number(i64),
    /// A boolean, passed as `true` or `false`.
    Flag(bool),
}

impl fmt::Display for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => f.write_str(s),
            Self::Number(n) => write!(f, "{n}"),
            Self::Flag(b) => write!(f, "{b}"),
        }
    }
}

/// How a secret reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretDelivery {
    /// As a file: `/run/secrets/<name>`; the app reads the path from `<NAME>_FILE`.
    File,
    /// As the environment variable `<NAME>` (from a Secret in Kubernetes, from `secrets/app.env` in compose).
    Env,
}

/// The dependencies the app connects to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependencies {
    /// A relational database; its URL reaches the app as the secret `DATABASE_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Database")]
    pub database: Option<Database>,
    /// A cache; its URL reaches the app as the secret `REDIS_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Cache")]
    pub cache: Option<Cache>,
}

/// A relational database.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// The engine.
    pub engine: Tracked<DatabaseEngine>,
    /// Major version (default: postgres `16`, mysql `8.4`, mariadb `11.4`); end-of-life lines are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Tracked<String>>,
    /// mysql only: `mysql` (default) or `mariadb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavour: Option<Tracked<MysqlFlavour>>,
    /// `true`: a database cfgen does not run (managed, or run by the platform); compose gets no database service. Kubernetes never runs one: it is always external there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<Tracked<bool>>,
    /// Database and user name (default: the project name with `_` for `-`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Tracked<DnsLabel>>,
}

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseEngine {
    /// PostgreSQL.
    Postgres,
    /// MySQL, or MariaDB with `flavour: mariadb`.
    Mysql,
}

impl DatabaseEngine {
    /// The engine's name in prose.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MySQL",
        }
    }
}

/// The MySQL flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MysqlFlavour {
    /// Oracle MySQL.
    Mysql,
    /// MariaDB.
    Mariadb,
}

/// A cache.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// The engine.
    pub engine: Tracked<CacheEngine>,
    /// Major version (default `7.4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Tracked<String>>,
    /// `true`: a cache cfgen does not run; compose gets no cache service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<Tracked<bool>>,
    /// `true`: the cache speaks TLS (a managed Redis with in-transit encryption, `rediss://`),
    /// so the connection test uses `redis-cli --tls`. Only an external cache can: the Redis
    /// compose runs has no certificate. Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tracked<bool>>,
}

/// A cache engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheEngine {
    /// Redis.
    Redis,
}

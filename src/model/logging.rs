//! `config/deployment/logging.yaml`: log levels, format, handlers, collection.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{AtLeast, FilePath, Matches};
use crate::provenance::Tracked;

use super::values::Duration;

/// The file `logging.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen logging.yaml")]
pub struct LoggingFile {
    /// How the app logs and where logs go.
    pub logging_config: LoggingConfig,
}

/// How the app logs and where logs go.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// Level per logger; `root` is the default, other keys name loggers (`app`, `sqlalchemy`…). Becomes `LOG_LEVEL`.
    pub levels: BTreeMap<String, Tracked<LogLevel>>,
    /// Named log formats.
    #[serde(default)]
    pub formatters: BTreeMap<String, Formatter>,
    /// Named log outputs.
    #[serde(default)]
    pub handlers: BTreeMap<String, Handler>,
    /// Log shipping from the cluster (none when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Collection")]
    pub collection: Option<Collection>,
}

/// A log level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Everything, including very verbose tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that was handled.
    Warning,
    /// A failed operation.
    Error,
    /// The process cannot go on.
    Critical,
}

impl LogLevel {
    /// The level as a `tracing`/`RUST_LOG` filter word.
    #[must_use]
    pub fn filter_word(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warn",
            Self::Error | Self::Critical => "error",
        }
    }
}

/// A log format.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Formatter {
    /// The format string (Python `logging` %-style). A format that is a JSON object selects JSON logs (`LOG_FORMAT=json`).
    pub format: Tracked<String>,
}

/// A log output.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Handler {
    /// Handler class.
    pub class: Tracked<HandlerClass>,
    /// Name of a formatter in `formatters`.
    pub formatter: Tracked<String>,
    /// Lowest level this handler emits (default: the logger's level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Tracked<LogLevel>>,
    /// Absolute path of the log file (file handlers). Under a read-only root filesystem cfgen mounts a writable volume at its folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<Tracked<String, Matches<FilePath>>>,
    /// Rotate the file at this size in bytes (rotating handlers).
    #[serde(rename = "maxBytes", default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<Tracked<u64, AtLeast<1>>>,
    /// Rotated files to keep (rotating handlers).
    #[serde(
        rename = "backupCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub backup_count: Option<Tracked<u32>>,
}

/// A Python `logging` handler class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HandlerClass {
    /// Writes to stderr/stdout, which the container runtime collects.
    #[serde(rename = "logging.StreamHandler")]
    Stream,
    /// Writes to a file.
    #[serde(rename = "logging.FileHandler")]
    File,
    /// Writes to a file rotated by size (`maxBytes`, `backupCount`).
    #[serde(rename = "logging.handlers.RotatingFileHandler")]
    RotatingFile,
    /// Writes to a file rotated by time.
    #[serde(rename = "logging.handlers.TimedRotatingFileHandler")]
    TimedRotatingFile,
}

impl HandlerClass {
    /// Whether the handler writes to a file.
    #[must_use]
    pub fn writes_file(self) -> bool {
        !matches!(self, Self::Stream)
    }
}

/// Log shipping from the cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// Collector running on each node.
    pub agent: Tracked<LogAgent>,
    /// Where the collector ships logs.
    pub destination: Tracked<LogDestination>,
    /// How long logs are kept at the destination.
    pub retention: Tracked<Duration>,
    /// Compress logs in transit and at rest.
    pub compression: Tracked<bool>,
}

/// A log collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogAgent {
    /// Fluentd.
    Fluentd,
    /// Fluent Bit.
    FluentBit,
    /// Vector.
    Vector,
    /// Grafana Promtail.
    Promtail,
}

/// A log store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogDestination {
    /// Elasticsearch.
    Elasticsearch,
    /// OpenSearch.
    Opensearch,
    /// Grafana Loki.
    Loki,
}

impl Default for LoggingConfig {
    /// `root` at INFO, JSON on stdout, no handler files, no collector.
    fn default() -> Self {
        Self {
            levels: [("root".to_owned(), Tracked::default_value(LogLevel::Info))]
                .into_iter()
                .collect(),
            formatters: BTreeMap::new(),
            handlers: BTreeMap::new(),
            collection: None,
        }
    }
}

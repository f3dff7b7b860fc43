//! `accept:` in `cfgen.yaml`: warnings the project accepts, each with its reason.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::NonEmpty;
use crate::provenance::Tracked;

/// A warning the project accepts: like `# noqa`, but typed (the warning's code)
/// and located (an entry that matches no warning is itself a warning, at the
/// entry). An accepted warning is not printed (`--verbose` lists it with its
/// reason), does not fail `--deny-warnings`, and is carried in `--format json`
/// (`accepted`) and `--format sarif` (a suppression with the reason as its
/// justification).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = accept_example())]
pub struct Accept {
    /// The warning's code as cfgen prints it, without the `cfgen::` prefix.
    pub code: Tracked<WarningCode>,
    /// Why the warning is accepted: shown with `--verbose` and in the machine formats.
    pub reason: Tracked<String, NonEmpty>,
    /// Only the warning located in this file, relative to `cfgen.yaml` (e.g. `config/deployment/backup.yaml`). Default: the warnings of `code` in every file of the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Tracked<String>>,
}

fn accept_example() -> serde_json::Value {
    serde_json::json!({
        "code": "rule::rpo",
        "reason": "the database is replicated; the daily dump is the second line of defence"
    })
}

/// The warnings a project can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum WarningCode {
    /// The backup schedule cannot meet `backup_config.disaster_recovery.rpo`.
    #[serde(rename = "rule::rpo")]
    Rpo,
    /// A logging handler writes a file under a read-only root filesystem without a writable volume there.
    #[serde(rename = "rule::log-file-read-only")]
    LogFileReadOnly,
    /// A policy file holds no settings.
    #[serde(rename = "schema::empty")]
    EmptyFile,
    /// An image the config names is past its end of life (cfgen's dated table).
    #[serde(rename = "rule::image-end-of-life")]
    ImageEndOfLife,
    /// A scripts.yaml step migrates a schema after the new version is rolled out.
    #[serde(rename = "rule::migration-after-rollout")]
    MigrationAfterRollout,
    /// Outside a repository, the build context lies outside the project folder the workflow takes as the root.
    #[serde(rename = "rule::context-outside-repository")]
    ContextOutsideRepository,
    /// Routed by Gateway API, a rate limit or body size limit that standard Gateway API cannot carry (an implementation's policy must).
    #[serde(rename = "rule::gateway-api-unsupported")]
    GatewayApiUnsupported,
}

impl WarningCode {
    /// Every code.
    pub const ALL: [Self; 7] = [
        Self::Rpo,
        Self::LogFileReadOnly,
        Self::EmptyFile,
        Self::ImageEndOfLife,
        Self::MigrationAfterRollout,
        Self::ContextOutsideRepository,
        Self::GatewayApiUnsupported,
    ];

    /// The code as diagnostics carry it.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Rpo => "rule::rpo",
            Self::LogFileReadOnly => "rule::log-file-read-only",
            Self::EmptyFile => "schema::empty",
            Self::ImageEndOfLife => "rule::image-end-of-life",
            Self::MigrationAfterRollout => "rule::migration-after-rollout",
            Self::ContextOutsideRepository => "rule::context-outside-repository",
            Self::GatewayApiUnsupported => "rule::gateway-api-unsupported",
        }
    }
}

//! `config/deployment/checklist.yaml`: the human deploy checklist.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provenance::Tracked;

/// The file `checklist.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen checklist.yaml")]
pub struct ChecklistFile {
    /// Items a human ticks around a deployment; rendered as the pull-request template.
    pub deployment_checklist: DeploymentChecklist,
}

/// Items a human ticks around a deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentChecklist {
    /// Before deploying.
    #[serde(default)]
    pub pre_deployment: Tracked<Vec<String>>,
    /// While deploying.
    #[serde(default)]
    pub deployment: Tracked<Vec<String>>,
    /// After deploying.
    #[serde(default)]
    pub post_deployment: Tracked<Vec<String>>,
}

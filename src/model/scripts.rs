//! `config/deployment/scripts.yaml`: the steps around a deployment.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::NonEmpty;
use crate::provenance::Tracked;

use super::values::Duration;

/// The file `scripts.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen scripts.yaml")]
pub struct ScriptsFile {
    /// Steps run before, during and after a deployment, in order.
    pub deployment_scripts: DeploymentScripts,
}

/// Steps run before, during and after a deployment, in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentScripts {
    /// Checks before anything changes (backups, health, dependencies).
    #[serde(default)]
    pub pre_deploy: Vec<Step>,
    /// The rollout itself.
    #[serde(default)]
    pub deploy: Vec<Step>,
    /// Verification after the rollout.
    #[serde(default)]
    pub post_deploy: Vec<Step>,
}

/// One step: a command with a name, a timeout and whether failure stops the deployment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Name shown in CI logs.
    pub name: Tracked<String, NonEmpty>,
    /// Shell command. A `scripts/<name>.sh` path must be a script cfgen generates or one that exists in the project.
    pub command: Tracked<String, NonEmpty>,
    /// Whether a failure stops the deployment; optional steps report and continue.
    #[serde(default = "default_required")]
    pub required: Tracked<bool>,
    /// Longest the step may run before it is killed (default `300s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Tracked<Duration>>,
}

fn default_required() -> Tracked<bool> {
    Tracked::default_value(true)
}

/// The scripts `cfgen build` can render under `scripts/` in the output folder;
/// steps may call them as `scripts/<name>`. Which of them a project gets
/// depends on what it has (`crate::plan::scripts::generated_scripts`).
pub const GENERATED_SCRIPTS: &[&str] = &[
    "backup_database.sh",
    "second_site_copy.sh",
    "restore_drill.sh",
    "health_check.sh",
    "dependency_check.sh",
    "api_health_check.sh",
    "db_connection_test.sh",
    "redis_connection_test.sh",
    "run_deploy_jobs.sh",
    "deploy.sh",
];

impl Step {
    /// The `scripts/<name>.sh` path the command runs, if it runs one
    /// (`scripts/x.sh`, `./scripts/x.sh`, `bash scripts/x.sh`).
    #[must_use]
    pub fn script(&self) -> Option<&str> {
        let mut words = self.command.split_whitespace();
        let first = words.next()?;
        let program = if matches!(first, "bash" | "sh") {
            words.next()?
        } else {
            first
        };
        let program = program.strip_prefix("./").unwrap_or(program);
        (program.starts_with("scripts/") && program.ends_with(".sh")).then_some(program)
    }
}

//! `release:` in `cfgen.yaml`: how a new version reaches the cluster (the
//! strategy that replaces the pods) and who applies the manifests (the deploy
//! job with `kubectl`, or Argo CD from git).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provenance::Tracked;

/// How a new version is released.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// `rolling` (default): a Deployment replaces its pods a few at a time (`kubernetes_config.cluster.rolling_update`). `blue-green`: an Argo Rollouts `Rollout` starts the new version beside the old one behind a preview Service, runs the health checks against it in the cluster and switches the active Service only when they pass (processes with a port; workers stay Deployments). Needs the Argo Rollouts controller in the cluster (README).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Tracked<Strategy>>,
    /// Deploy through Argo CD instead of `kubectl apply` from the deploy job: cfgen renders an Argo CD `Application` per environment (`k8s/<env>/gitops/application.yaml`) that syncs the committed `k8s/<env>` folder with prune and self-heal, and `deploy.sh` promotes the image by setting it on the Application. Absent: the deploy job applies with `kubectl apply --prune --applyset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<ArgoCd>,
}

/// A release strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// A Deployment with `RollingUpdate`.
    #[default]
    Rolling,
    /// An Argo Rollouts `Rollout` with `strategy.blueGreen`, promoted after in-cluster checks of the preview.
    BlueGreen,
}

/// Where Argo CD finds the committed manifests.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgoCd {
    /// The git repository Argo CD reads, as Argo CD knows it, e.g. `https://github.com/acme/shop.git`.
    pub repo_url: Tracked<String>,
    /// The branch, tag or commit Argo CD follows (default `main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<Tracked<String>>,
    /// The project folder inside the repository, `/`-separated, `.` for the root (default: where this manifest lies in its repository). The Application's path is `<path>/<output>/k8s/<env>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Tracked<String>>,
    /// The namespace Argo CD runs in, which holds the Applications (default `argocd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Tracked<crate::model::values::DnsLabel>>,
    /// The Argo CD project of the Applications (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<Tracked<crate::model::values::DnsLabel>>,
}

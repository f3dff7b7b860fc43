//! `workflow:` and `routing:` in `cfgen.yaml`: where the deploy workflow is written, and how
//! public traffic reaches the public process (Gateway API or an Ingress).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::values::DnsLabel;
use crate::provenance::Tracked;

/// Where the deploy workflow goes. GitHub runs workflows only from the repository root's
/// `.github/workflows/`, so cfgen writes `<repository root>/.github/workflows/<name>-deploy.yml`
/// (the one file it writes outside the project folder), running from the repository root
/// with the project folder as its steps' working directory.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// The repository root, relative to this file: `.` (this folder) or an ancestor (`..`, `../..`), inside the repository. Default: the nearest folder above holding `.git` (a folder or a worktree's file), or this folder when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_root: Option<Tracked<String>>,
}

/// How public traffic reaches the public process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = routing_example())]
pub struct Routing {
    /// `gateway-api` (a Gateway and HTTPRoutes, gateway.networking.k8s.io/v1; what `cfgen init` writes) or `ingress` (a networking.k8s.io/v1 Ingress with ingress-nginx annotations; what a manifest without `routing` gets).
    pub api: Tracked<RoutingApi>,
    /// gateway-api only: the GatewayClass the Gateway uses (default `eg`, Envoy Gateway's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_class: Option<Tracked<DnsLabel>>,
    /// gateway-api only: the namespace the gateway's proxies run in, which the NetworkPolicy admits traffic from (matched by its `kubernetes.io/metadata.name` label; default `envoy-gateway-system`, Envoy Gateway's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_namespace: Option<Tracked<DnsLabel>>,
}

fn routing_example() -> serde_json::Value {
    serde_json::json!({ "api": "gateway-api", "gateway_class": "eg" })
}

/// The Kubernetes API that routes public traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RoutingApi {
    /// Gateway API: a `Gateway` (with cert-manager's `cert-manager.io/cluster-issuer` annotation for TLS) and `HTTPRoute`s.
    #[serde(rename = "gateway-api")]
    GatewayApi,
    /// A `networking.k8s.io/v1` Ingress for ingress-nginx (retired upstream in 2026).
    #[serde(rename = "ingress")]
    Ingress,
}

/// The GatewayClass of Envoy Gateway's quickstart.
pub const DEFAULT_GATEWAY_CLASS: &str = "eg";

/// The namespace Envoy Gateway runs its proxies in.
pub const DEFAULT_PROXY_NAMESPACE: &str = "envoy-gateway-system";

//! `config/deployment/security.yaml`: image scanning, network, data and access security.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{AtLeast, Checked};
use crate::provenance::Tracked;

/// The file `security.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen security.yaml")]
pub struct SecurityFile {
    /// Security policy of the deployment.
    pub security_config: SecurityConfig,
}

/// Security policy of the deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Container security.
    pub container: ContainerSecurity,
    /// Network security.
    pub network: NetworkSecurity,
    /// Data protection.
    pub data: DataSecurity,
    /// Access control.
    pub access: AccessControl,
}

/// Container security.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContainerSecurity {
    /// Scan every image in CI before it is deployed.
    pub scan_images: Tracked<bool>,
    /// Lowest vulnerability severity that fails the scan.
    pub vulnerability_threshold: Tracked<VulnerabilitySeverity>,
    /// Harden the pod at runtime: RuntimeDefault seccomp profile, all capabilities dropped.
    pub runtime_security: Tracked<bool>,
    /// Render NetworkPolicies: default deny, then only ingress from the ingress controller and egress to DNS, MySQL and Redis.
    pub network_policies: Tracked<bool>,
}

/// A vulnerability severity, as scanners grade them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum VulnerabilitySeverity {
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
}

/// Network security.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSecurity {
    /// Where TLS ends.
    pub ssl_termination: Tracked<SslTermination>,
    /// How certificates are issued.
    pub certificate_management: Tracked<CertificateManagement>,
    /// Add security headers (HSTS, nosniff, frame options, referrer policy, CSP) at the proxy.
    pub security_headers: Tracked<bool>,
    /// Rate-limit clients at the proxy: `true` for 10 requests/s per client with a burst of 20, or the numbers.
    pub rate_limiting: Tracked<RateLimiting>,
}

/// Where TLS ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SslTermination {
    /// At the Kubernetes Ingress (and the compose nginx).
    Ingress,
    /// At a cloud load balancer in front of the cluster.
    LoadBalancer,
}

/// How certificates are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateManagement {
    /// cert-manager issues them (annotation `cert-manager.io/cluster-issuer`).
    CertManager,
    /// Provided by hand as a TLS Secret.
    Manual,
}

/// Proxy rate limiting.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RateLimiting {
    /// On with the defaults (10 requests/s, burst 20) or off.
    Enabled(bool),
    /// On with these numbers.
    Limits(RateLimits),
}

impl<'de> Deserialize<'de> for RateLimiting {
    /// Not serde's untagged buffer, through which `RateLimits` took a list of
    /// its numbers that the schema refuses (see [`crate::model::untagged`]).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::model::untagged::bool_or_map(d, Self::Enabled, Self::Limits)
    }
}

/// Rate limit numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// Sustained requests per second per client address.
    pub requests_per_second: Checked<u32, AtLeast<1>>,
    /// Requests allowed above the rate in a burst before answering 429.
    pub burst: u32,
}

impl RateLimiting {
    /// The limits in force, if rate limiting is on.
    #[must_use]
    pub fn limits(&self) -> Option<RateLimits> {
        match self {
            Self::Enabled(false) => None,
            Self::Enabled(true) => Some(RateLimits {
                requests_per_second: 10.into(),
                burst: 20,
            }),
            Self::Limits(l) => Some(l.clone()),
        }
    }
}

/// Data protection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DataSecurity {
    /// Volumes and backups encrypted at rest (the StorageClass must provide it; checked in the checklist).
    pub encryption_at_rest: Tracked<bool>,
    /// TLS for every connection, including to MySQL and Redis.
    pub encryption_in_transit: Tracked<bool>,
    /// Encrypt backup files (the backup script uses `openssl` with a key file).
    pub backup_encryption: Tracked<bool>,
    /// How often keys are rotated (documentation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_rotation: Option<Tracked<RotationPeriod>>,
}

/// A rotation period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RotationPeriod {
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every quarter.
    Quarterly,
    /// Every year.
    Yearly,
}

/// Access control.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessControl {
    /// Give the app its own ServiceAccount with a least-privilege Role and no API token mounted.
    pub rbac_enabled: Tracked<bool>,
    /// Service mesh the cluster runs.
    pub service_mesh: Tracked<ServiceMesh>,
    /// Require mutual TLS between workloads (a mesh PeerAuthentication in STRICT mode).
    #[serde(rename = "mTLS")]
    pub mtls: Tracked<bool>,
    /// How API clients authenticate (enforced by the app; documented in the checklist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Tracked<Authentication>>,
}

/// A service mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceMesh {
    /// No mesh.
    None,
    /// Istio.
    Istio,
    /// Linkerd.
    Linkerd,
}

/// An authentication scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Authentication {
    /// OAuth 2.0 bearer tokens.
    Oauth2,
    /// OpenID Connect.
    Oidc,
    /// Static API keys.
    Apikey,
    /// None.
    None,
}

fn on() -> Tracked<bool> {
    Tracked::default_value(true)
}

impl Default for ContainerSecurity {
    /// Scan at HIGH, harden the runtime, deny by default on the network.
    fn default() -> Self {
        Self {
            scan_images: on(),
            vulnerability_threshold: Tracked::default_value(VulnerabilitySeverity::High),
            runtime_security: on(),
            network_policies: on(),
        }
    }
}

impl Default for NetworkSecurity {
    /// TLS at the Ingress from cert-manager, security headers, the default rate limit.
    fn default() -> Self {
        Self {
            ssl_termination: Tracked::default_value(SslTermination::Ingress),
            certificate_management: Tracked::default_value(CertificateManagement::CertManager),
            security_headers: on(),
            rate_limiting: Tracked::default_value(RateLimiting::Enabled(true)),
        }
    }
}

impl Default for DataSecurity {
    /// Encrypted at rest, in transit and in backups.
    fn default() -> Self {
        Self {
            encryption_at_rest: on(),
            encryption_in_transit: on(),
            backup_encryption: on(),
            key_rotation: None,
        }
    }
}

impl Default for AccessControl {
    /// Least-privilege RBAC, no mesh.
    fn default() -> Self {
        Self {
            rbac_enabled: on(),
            service_mesh: Tracked::default_value(ServiceMesh::None),
            mtls: Tracked::default_value(false),
            authentication: None,
        }
    }
}

//! `config/deployment/kubernetes.yaml`: cluster placement, resources, networking, storage.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{AtLeast, Matches, pattern};
use crate::provenance::Tracked;

use super::values::{CpuQuantity, DnsLabel, IntOrPercent, MemoryQuantity};

/// The file `kubernetes.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen kubernetes.yaml")]
pub struct KubernetesFile {
    /// How the app runs on Kubernetes.
    pub kubernetes_config: KubernetesConfig,
}

/// How the app runs on Kubernetes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesConfig {
    /// Namespace, replicas and rollout.
    pub cluster: Cluster,
    /// Requests and limits of the app container.
    pub resources: Resources,
    /// Service and Ingress.
    pub networking: Networking,
    /// Persistent storage.
    pub storage: Storage,
}

/// Namespace, replicas and rollout.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    /// Default namespace; each environment in `cfgen.yaml` sets its own (or gets `<name>-<environment>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Tracked<DnsLabel>>,
    /// Default replica count; environments may override it.
    pub replicas: Tracked<u32, AtLeast<1>>,
    /// Rolling update limits.
    pub rolling_update: RollingUpdate,
}

/// Rolling update limits; not both zero, each at most the replica count.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RollingUpdate {
    /// Pods created above the desired count during a rollout (`1` or `25%`).
    pub max_surge: Tracked<IntOrPercent>,
    /// Pods that may be unavailable during a rollout (`1` or `25%`).
    pub max_unavailable: Tracked<IntOrPercent>,
}

/// Requests and limits of the app container.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    /// Resources reserved for scheduling.
    pub requests: ResourceAmounts,
    /// Hard caps.
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

/// Service and Ingress.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Networking {
    /// Type of the app Service.
    pub service_type: Tracked<ServiceType>,
    /// Expose the app through an Ingress on each environment's host.
    pub ingress_enabled: Tracked<bool>,
    /// Serve the Ingress over TLS with a certificate for the host.
    pub ssl_enabled: Tracked<bool>,
}

/// A Kubernetes Service type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// Reachable inside the cluster only (the usual choice behind an Ingress).
    ClusterIP,
    /// Also exposed on a port of every node.
    NodePort,
    /// Also exposed through a cloud load balancer.
    LoadBalancer,
}

/// Persistent storage.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// Create a PersistentVolumeClaim for backups written in the cluster.
    pub persistent_volumes: Tracked<bool>,
    /// StorageClass of the claims, e.g. `fast-ssd` (default: the cluster's default class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<Tracked<String, Matches<StorageClass>>>,
    /// Run the database backup as a Kubernetes CronJob (schedule from `backup_config.database`).
    pub backup_enabled: Tracked<bool>,
}

pattern!(
    /// A StorageClass name (a DNS subdomain): lowercase letters, digits, `-` and `.`, at most 253 characters.
    StorageClass,
    r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
);

impl Default for Cluster {
    /// Two replicas (one survives a node loss); rollouts add a pod before removing one.
    fn default() -> Self {
        Self {
            namespace: None,
            replicas: Tracked::default_value(2),
            rolling_update: RollingUpdate::default(),
        }
    }
}

impl Default for RollingUpdate {
    /// `maxSurge: 25%`, `maxUnavailable: 0`: capacity never drops during a rollout.
    fn default() -> Self {
        Self {
            max_surge: Tracked::default_value(IntOrPercent::Percent(25)),
            max_unavailable: Tracked::default_value(IntOrPercent::Int(0)),
        }
    }
}

impl Default for Resources {
    /// A quarter core and 256 MiB requested, half a core and 512 MiB at most.
    fn default() -> Self {
        Self {
            requests: ResourceAmounts {
                cpu: "250m".parse().expect("valid quantity"),
                memory: "256Mi".parse().expect("valid quantity"),
            },
            limits: ResourceAmounts {
                cpu: "500m".parse().expect("valid quantity"),
                memory: "512Mi".parse().expect("valid quantity"),
            },
        }
    }
}

impl Default for ResourceAmounts {
    fn default() -> Self {
        Resources::default().requests
    }
}

impl Default for Networking {
    /// A ClusterIP Service behind an Ingress with TLS.
    fn default() -> Self {
        Self {
            service_type: Tracked::default_value(ServiceType::ClusterIP),
            ingress_enabled: Tracked::default_value(true),
            ssl_enabled: Tracked::default_value(true),
        }
    }
}

impl Default for Storage {
    /// Backups in the cluster, on a claim of the default StorageClass.
    fn default() -> Self {
        Self {
            persistent_volumes: Tracked::default_value(true),
            storage_class: None,
            backup_enabled: Tracked::default_value(true),
        }
    }
}

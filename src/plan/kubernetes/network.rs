//! Who may reach what: the Ingress of the public process, and the
//! NetworkPolicies (default deny; per process the ingress it serves and the
//! egress it needs; the jobs' egress).

use serde::Serialize;

use super::{CLUSTER_ISSUER, Folder, INGRESS_NAMESPACE, MONITORING_NAMESPACE};
use crate::model::Config;
use crate::model::manifest::{DatabaseEngine, Environment};
use crate::model::security::{CertificateManagement, ServiceMesh, SslTermination};
use crate::plan::workload;

/// The Ingress.
#[derive(Debug, Clone, Serialize)]
pub struct Ingress {
    /// The public process's Service.
    pub service: String,
    /// The host.
    pub host: String,
    /// TLS on the host.
    pub tls: bool,
    /// TLS Secret name.
    pub tls_secret: String,
    /// cert-manager ClusterIssuer, when cert-manager issues the certificate.
    pub cluster_issuer: Option<&'static str>,
    /// `proxy-body-size` (nginx size syntax).
    pub body_size: String,
    /// Rate limit: requests per second per client address.
    pub limit_rps: Option<u32>,
    /// Rate limit: burst multiplier.
    pub limit_burst_multiplier: Option<u32>,
    /// security.yaml `security_headers`: the ConfigMap holding the response headers
    /// (ingress-nginx `custom-headers`), none when off.
    pub headers_config_map: Option<String>,
}

#[derive(Serialize)]
struct HeadersView {
    name: String,
    headers: Vec<(&'static str, &'static str)>,
}

#[derive(Serialize)]
struct IngressView {
    name: String,
    component: String,
    ingress: Ingress,
}

/// A port a workload may connect to, and what listens there.
#[derive(Debug, Clone, Serialize)]
struct EgressPort {
    port: u16,
    what: &'static str,
}

#[derive(Serialize)]
struct PolicyView {
    name: String,
    /// The pods it selects: a process's component, or every job's.
    component: Option<String>,
    jobs: Vec<String>,
    about: String,
    /// The port the ingress controller may reach (the public process).
    from_ingress: Option<u16>,
    /// The port Prometheus may scrape.
    from_monitoring: Option<(u16, String)>,
    egress: Vec<EgressPort>,
    /// Blue-green: the analysis Job pods (component) that check this process on its port.
    from_checks: Option<(String, u16)>,
    /// The analysis Job pods' egress: the processes (component, port) they check.
    to_processes: Vec<(String, u16)>,
    istio: bool,
    secret: String,
    ingress_namespace: &'static str,
    monitoring_namespace: &'static str,
}

/// The ports of the dependencies, which every workload pod may connect to.
fn dependency_ports(config: &Config) -> Vec<EgressPort> {
    let deps = &config.manifest.dependencies;
    let mut out = Vec::new();
    if let Some(db) = &deps.database {
        out.push(match *db.engine {
            DatabaseEngine::Mysql => EgressPort {
                port: 3306,
                what: "MySQL",
            },
            DatabaseEngine::Postgres => EgressPort {
                port: 5432,
                what: "PostgreSQL",
            },
        });
    }
    if let Some(cache) = &deps.cache {
        let crate::model::manifest::CacheEngine::Redis = *cache.engine;
        out.push(EgressPort {
            port: 6379,
            what: "Redis",
        });
    }
    out
}

/// The Ingress and NetworkPolicies of one environment.
pub(super) fn objects(config: &Config, env: &Environment, folder: &mut Folder<'_>) {
    let project = config.manifest.name.to_string();
    let k = &config.kubernetes;
    let s = &config.security;
    if let Some((process_name, _)) = config.manifest.public_process()
        && *k.networking.ingress_enabled
        && let Some(host) = env.host.as_ref()
    {
        // TLS ends at the Ingress unless a load balancer in front of it terminates it.
        let tls =
            || *k.networking.ssl_enabled && *s.network.ssl_termination == SslTermination::Ingress;
        let headers = || crate::plan::nginx::security_headers(*s.network.security_headers, tls());
        let headers_name = format!("{project}-security-headers");
        if *s.network.security_headers {
            folder.add(
                "security-headers.yaml",
                "kubernetes/security-headers.yaml.j2",
                || HeadersView {
                    name: headers_name.clone(),
                    headers: headers(),
                },
            );
        }
        folder.add("ingress.yaml", "kubernetes/ingress.yaml.j2", || {
            let tls = tls();
            let limits = s.network.rate_limiting.limits();
            IngressView {
                name: format!("{project}-{process_name}"),
                component: process_name.to_string(),
                ingress: Ingress {
                    service: format!("{project}-{process_name}"),
                    host: host.to_string(),
                    tls,
                    tls_secret: format!("{project}-tls"),
                    cluster_issuer: (tls
                        && *s.network.certificate_management == CertificateManagement::CertManager)
                        .then_some(CLUSTER_ISSUER),
                    body_size: config
                        .performance
                        .application
                        .client_max_body_size
                        .to_string(),
                    limit_rps: limits.as_ref().map(|l| l.requests_per_second),
                    limit_burst_multiplier: limits
                        .as_ref()
                        .map(|l| l.burst.div_ceil(l.requests_per_second).max(1)),
                    headers_config_map: (!headers().is_empty()).then(|| headers_name.clone()),
                },
            }
        });
    }
    if !*s.container.network_policies {
        return;
    }
    folder.add(
        "networkpolicy-default-deny.yaml",
        "kubernetes/networkpolicy-default-deny.yaml.j2",
        || (),
    );
    for (process_name, process) in workload::processes(config) {
        folder.add(
            &format!("networkpolicy-{process_name}.yaml"),
            "kubernetes/networkpolicy.yaml.j2",
            || {
                let port = process.port.as_deref().copied();
                let public = process.is_public() && *k.networking.ingress_enabled;
                PolicyView {
                    name: format!("{project}-{process_name}"),
                    component: Some(process_name.to_string()),
                    jobs: Vec::new(),
                    about: format!("the `{process_name}` process's pods"),
                    from_ingress: port.filter(|_| public),
                    from_monitoring: port.zip(workload::probe_paths(process).map(|p| p.metrics)),
                    egress: dependency_ports(config),
                    from_checks: port
                        .filter(|_| super::rollout::is_rollout(config, process))
                        .map(|p| (super::rollout::check_component(process_name.as_str()), p)),
                    to_processes: Vec::new(),
                    istio: *s.access.service_mesh == ServiceMesh::Istio,
                    secret: format!("{project}-secrets"),
                    ingress_namespace: INGRESS_NAMESPACE,
                    monitoring_namespace: MONITORING_NAMESPACE,
                }
            },
        );
    }
    // blue-green: the processes the analysis Jobs check, with their ports
    let checked = || -> Vec<(String, u16)> {
        workload::processes(config)
            .filter(|(_, p)| super::rollout::is_rollout(config, p))
            .filter_map(|(n, p)| p.port.as_deref().map(|port| (n.to_string(), *port)))
            .collect()
    };
    if !checked().is_empty() {
        folder.add(
            "networkpolicy-checks.yaml",
            "kubernetes/networkpolicy.yaml.j2",
            || PolicyView {
                name: format!("{project}-checks"),
                component: None,
                jobs: checked()
                    .iter()
                    .map(|(n, _)| super::rollout::check_component(n))
                    .collect(),
                about: "the blue-green analysis Jobs' pods (they check the preview)".into(),
                from_ingress: None,
                from_monitoring: None,
                egress: Vec::new(),
                from_checks: None,
                to_processes: checked(),
                istio: *s.access.service_mesh == ServiceMesh::Istio,
                secret: format!("{project}-secrets"),
                ingress_namespace: INGRESS_NAMESPACE,
                monitoring_namespace: MONITORING_NAMESPACE,
            },
        );
    }
    if !config.manifest.jobs.is_empty() {
        folder.add(
            "networkpolicy-jobs.yaml",
            "kubernetes/networkpolicy.yaml.j2",
            || PolicyView {
                name: format!("{project}-jobs"),
                component: None,
                jobs: config
                    .manifest
                    .jobs
                    .keys()
                    .map(ToString::to_string)
                    .collect(),
                about: "the jobs' pods (they serve nothing)".into(),
                from_ingress: None,
                from_monitoring: None,
                egress: dependency_ports(config),
                from_checks: None,
                to_processes: Vec::new(),
                istio: *s.access.service_mesh == ServiceMesh::Istio,
                secret: format!("{project}-secrets"),
                ingress_namespace: INGRESS_NAMESPACE,
                monitoring_namespace: MONITORING_NAMESPACE,
            },
        );
    }
}

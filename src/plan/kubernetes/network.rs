//! Who may reach what: the route to the public process (a Gateway API Gateway and
//! HTTPRoutes, or an Ingress; cfgen.yaml `routing`), and the NetworkPolicies (default deny;
//! per process the ingress it serves and the egress it needs; the jobs' egress).

use serde::Serialize;

use super::{CLUSTER_ISSUER, Folder, INGRESS_NAMESPACE, MONITORING_NAMESPACE, SERVICE_PORT};
use crate::model::Config;
use crate::model::manifest::{
    DEFAULT_GATEWAY_CLASS, DEFAULT_PROXY_NAMESPACE, DatabaseEngine, Environment, RoutingApi,
};
use crate::model::security::{CertificateManagement, ServiceMesh, SslTermination};
use crate::model::values::HostName;
use crate::plan::workload;
use crate::provenance::Tracked;

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

/// The Gateway of an environment: one listener per scheme on the public host.
#[derive(Serialize)]
struct GatewayView {
    name: String,
    gateway_class: String,
    host: String,
    tls: bool,
    tls_secret: String,
    cluster_issuer: Option<&'static str>,
}

/// An HTTPRoute to the public process's Service (or, `redirect`, from http to https).
#[derive(Serialize)]
struct RouteView {
    name: String,
    component: String,
    gateway: String,
    /// The Gateway's listener it attaches to.
    section: &'static str,
    host: String,
    service: String,
    port: u16,
    /// security.yaml `security_headers` (ResponseHeaderModifier `set`).
    headers: Vec<(&'static str, &'static str)>,
    /// The redirect to https instead of a backend.
    redirect: bool,
    /// security.yaml `network.rate_limiting`, in words, when on (not enforced: a comment).
    rate_limit: Option<String>,
    /// performance.yaml `application.client_max_body_size` (not enforced: a comment).
    body_size: String,
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
    ingress_namespace: String,
    /// What connects from there: the ingress controller, or the gateway's proxies.
    ingress_what: &'static str,
    monitoring_namespace: &'static str,
}

/// The namespace whose pods carry public traffic to the public process, and what they are.
fn ingress_source(config: &Config) -> (String, &'static str) {
    match &config.manifest.routing {
        Some(r) if *r.api == RoutingApi::GatewayApi => (
            r.proxy_namespace
                .as_ref()
                .map_or_else(|| DEFAULT_PROXY_NAMESPACE.to_owned(), ToString::to_string),
            "the gateway's proxies (cfgen.yaml routing.proxy_namespace)",
        ),
        _ => (INGRESS_NAMESPACE.to_owned(), "the ingress controller"),
    }
}

/// The Gateway and HTTPRoutes of one environment (`routing: {api: gateway-api}`).
fn gateway_objects(
    config: &Config,
    process_name: &str,
    host: &Tracked<HostName>,
    tls: impl Fn() -> bool,
    folder: &mut Folder<'_>,
) {
    let project = config.manifest.name.to_string();
    let s = &config.security;
    let gateway = project.clone();
    folder.add("gateway.yaml", "kubernetes/gateway.yaml.j2", || {
        let tls = tls();
        GatewayView {
            name: gateway.clone(),
            gateway_class: config
                .manifest
                .routing
                .as_ref()
                .and_then(|r| r.gateway_class.as_ref())
                .map_or_else(|| DEFAULT_GATEWAY_CLASS.to_owned(), ToString::to_string),
            host: host.to_string(),
            tls,
            tls_secret: format!("{project}-tls"),
            cluster_issuer: (tls
                && *s.network.certificate_management == CertificateManagement::CertManager)
                .then_some(CLUSTER_ISSUER),
        }
    });
    // Read in each route's view (the host and TLS are what it depends on).
    let route = |redirect: bool| RouteView {
        name: if redirect {
            format!("{project}-{process_name}-redirect")
        } else {
            format!("{project}-{process_name}")
        },
        component: process_name.to_owned(),
        gateway: gateway.clone(),
        section: if tls() && !redirect { "https" } else { "http" },
        host: host.to_string(),
        service: format!("{project}-{process_name}"),
        port: SERVICE_PORT,
        headers: if redirect {
            Vec::new()
        } else {
            crate::plan::nginx::security_headers(*s.network.security_headers, tls())
        },
        redirect,
        rate_limit: s.network.rate_limiting.limits().map(|l| {
            format!(
                "{} requests/s per client, burst {}",
                *l.requests_per_second, l.burst
            )
        }),
        body_size: config
            .performance
            .application
            .client_max_body_size
            .to_string(),
    };
    folder.add(
        &format!("httproute-{process_name}.yaml"),
        "kubernetes/httproute.yaml.j2",
        || route(false),
    );
    if tls() {
        folder.add(
            &format!("httproute-{process_name}-redirect.yaml"),
            "kubernetes/httproute.yaml.j2",
            || route(true),
        );
    }
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

/// The route to the public process and the NetworkPolicies of one environment.
pub(super) fn objects(config: &Config, env: &Environment, folder: &mut Folder<'_>) {
    let k = &config.kubernetes;
    let s = &config.security;
    if let Some((process_name, _)) = config.manifest.public_process()
        && *k.networking.ingress_enabled
        && let Some(host) = env.host.as_ref()
    {
        // TLS ends at the Ingress unless a load balancer in front of it terminates it.
        let tls =
            || *k.networking.ssl_enabled && *s.network.ssl_termination == SslTermination::Ingress;
        if config.manifest.routing_api() == RoutingApi::GatewayApi {
            gateway_objects(config, process_name.as_str(), host, tls, folder);
        } else {
            ingress_objects(config, process_name.as_str(), host, tls, folder);
        }
    }
    policies(config, folder);
}

/// The Ingress of one environment and the ConfigMap of its security headers.
fn ingress_objects(
    config: &Config,
    process_name: &str,
    host: &Tracked<HostName>,
    tls: impl Fn() -> bool,
    folder: &mut Folder<'_>,
) {
    let project = config.manifest.name.to_string();
    let s = &config.security;
    {
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
                    limit_rps: limits.as_ref().map(|l| *l.requests_per_second),
                    limit_burst_multiplier: limits
                        .as_ref()
                        .map(|l| l.burst.div_ceil(*l.requests_per_second).max(1)),
                    headers_config_map: (!headers().is_empty()).then(|| headers_name.clone()),
                },
            }
        });
    }
}

/// The NetworkPolicies of one environment.
fn policies(config: &Config, folder: &mut Folder<'_>) {
    let project = config.manifest.name.to_string();
    let k = &config.kubernetes;
    let s = &config.security;
    let (ingress_namespace, ingress_what) = ingress_source(config);
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
                    ingress_namespace: ingress_namespace.clone(),
                    ingress_what,
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
                ingress_namespace: ingress_namespace.clone(),
                ingress_what,
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
                ingress_namespace: ingress_namespace.clone(),
                ingress_what,
                monitoring_namespace: MONITORING_NAMESPACE,
            },
        );
    }
}

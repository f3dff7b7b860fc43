//! `nginx/nginx.conf`: the reverse proxy of the compose deployment in front of
//! the public process (part of the compose family; none without a public process), with
//! performance.yaml's worker/keepalive/body-size/cache settings and
//! security.yaml's TLS, headers and rate limits. Written for nginx 1.22 (no
//! newer directive), a read-only root filesystem and logs on stdout/stderr.

use serde::Serialize;

use super::{Artifact, Check, Syntax};
use crate::model::security::SslTermination;
use crate::validate::Project;

/// Idle keep-alive connections nginx keeps open to the app per worker.
const UPSTREAM_KEEPALIVE: u32 = 32;

/// How long nginx keeps an idle upstream connection: below the app's own
/// keep-alive timeout, so nginx never reuses a connection the app is closing.
#[must_use]
pub fn upstream_keepalive_timeout(app_keepalive: u32) -> u32 {
    app_keepalive.saturating_sub(5).max(1)
}

/// A `Cache-Control` value for a browser TTL and an edge (shared cache) TTL.
#[must_use]
pub fn cache_control(browser_ttl: u32, edge_ttl: u32) -> String {
    format!("public, max-age={browser_ttl}, s-maxage={edge_ttl}")
}

#[derive(Serialize)]
struct RateLimit {
    rate: u32,
    burst: u32,
}

#[derive(Serialize)]
struct View {
    worker_connections: u32,
    keepalive_timeout: u32,
    client_max_body_size: String,
    gzip: bool,
    /// The public process's compose service.
    upstream: String,
    app_port: u16,
    upstream_keepalive: u32,
    upstream_keepalive_timeout: u32,
    ssl: bool,
    server_names: String,
    /// security.yaml `security_headers`: the headers to set (HSTS only with TLS).
    security_headers: Vec<(&'static str, &'static str)>,
    rate_limit: Option<RateLimit>,
    static_cache_control: String,
    api_cache_control: String,
    liveness: String,
    readiness: String,
    metrics: String,
}

/// HTTP Strict Transport Security: set where TLS ends (two years, with subdomains).
pub const HSTS: (&str, &str) = (
    "Strict-Transport-Security",
    "max-age=63072000; includeSubDomains",
);

/// The response headers security.yaml `security_headers: true` sets, on nginx and on the
/// Kubernetes Ingress alike (one list, so the two cannot drift).
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

/// The headers to set: none when `enabled` is off; [`HSTS`] first when `tls`.
#[must_use]
pub fn security_headers(enabled: bool, tls: bool) -> Vec<(&'static str, &'static str)> {
    if !enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    if tls {
        out.push(HSTS);
    }
    out.extend_from_slice(SECURITY_HEADERS);
    out
}

/// The nginx configuration.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    if !config
        .manifest
        .wants(crate::model::manifest::Target::Compose)
    {
        return Vec::new();
    }
    let Some((public_name, public)) = config.manifest.public_process() else {
        return Vec::new();
    };
    let (Some(port), Some(probes)) = (
        public.port.as_deref().copied(),
        crate::plan::workload::probe_paths(public),
    ) else {
        return Vec::new();
    };
    let perf = &config.performance;
    let net = &config.security.network;
    let static_cc = cache_control(*perf.cdn.browser_cache_ttl, *perf.cdn.edge_cache_ttl);
    let mut hosts: Vec<&str> = config
        .manifest
        .environments
        .values()
        .filter_map(|e| e.host.as_deref().map(|h| h.as_str()))
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    let view = View {
        worker_connections: *perf.application.worker_connections,
        keepalive_timeout: *perf.application.keepalive_timeout,
        client_max_body_size: perf.application.client_max_body_size.to_string(),
        gzip: *perf.cache.compression,
        upstream: public_name.to_string(),
        app_port: port,
        upstream_keepalive: UPSTREAM_KEEPALIVE,
        upstream_keepalive_timeout: upstream_keepalive_timeout(*perf.application.keepalive_timeout),
        ssl: *config.kubernetes.networking.ssl_enabled
            && net.ssl_termination == SslTermination::Ingress,
        server_names: hosts.join(" "),
        security_headers: security_headers(
            *net.security_headers,
            *config.kubernetes.networking.ssl_enabled
                && net.ssl_termination == SslTermination::Ingress,
        ),
        rate_limit: net.rate_limiting.limits().map(|l| RateLimit {
            rate: *l.requests_per_second,
            burst: l.burst,
        }),
        api_cache_control: if *perf.cdn.cache_everything {
            static_cc.clone()
        } else {
            "no-store".to_owned()
        },
        static_cache_control: static_cc,
        liveness: probes.liveness,
        readiness: probes.readiness,
        metrics: probes.metrics,
    };
    vec![Artifact::new(
        "nginx/nginx.conf",
        "nginx/nginx.conf.j2",
        view,
        Syntax::Nginx,
        Check::None,
    )]
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;
    use crate::model::security::{RateLimiting, RateLimits};

    use crate::plan::example_project as example;

    #[test]
    fn security_and_performance_settings_reach_the_view() {
        let mut project = example();
        let view = plan(&project)[0].context_json().clone();
        assert_eq!(view["ssl"], json!(true));
        assert_eq!(view["rate_limit"], json!({ "rate": 10, "burst": 20 }));
        assert_eq!(view["api_cache_control"], json!("no-store"));
        assert_eq!(view["client_max_body_size"], json!("10M"));
        assert_eq!(
            view["server_names"],
            json!("api.ecommerce.com dev-api.ecommerce.com staging-api.ecommerce.com")
        );
        let net = &mut project.config.security.network;
        *net.rate_limiting = RateLimiting::Limits(RateLimits {
            requests_per_second: 50.into(),
            burst: 100,
        });
        *net.ssl_termination = SslTermination::LoadBalancer;
        *project.config.performance.cdn.cache_everything = true;
        let view = plan(&project)[0].context_json().clone();
        assert_eq!(view["rate_limit"], json!({ "rate": 50, "burst": 100 }));
        assert_eq!(view["ssl"], json!(false), "TLS ends at the load balancer");
        assert_eq!(
            view["api_cache_control"],
            json!("public, max-age=86400, s-maxage=604800")
        );
        *project.config.security.network.rate_limiting = RateLimiting::Enabled(false);
        assert_eq!(plan(&project)[0].context_json()["rate_limit"], json!(null));
    }

    #[test]
    fn upstream_idle_timeout_stays_below_the_apps() {
        assert_eq!(upstream_keepalive_timeout(65), 60);
        assert_eq!(upstream_keepalive_timeout(10), 5);
        assert_eq!(upstream_keepalive_timeout(3), 1);
    }

    #[test]
    fn cache_control_from_cdn_ttls() {
        assert_eq!(
            cache_control(86400, 604_800),
            "public, max-age=86400, s-maxage=604800"
        );
    }
}

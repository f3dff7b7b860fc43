//! Gateway API routing: what the Ingress carried through ingress-nginx annotations and
//! standard Gateway API cannot (a rate limit, a body size limit), written in a policy file,
//! is a located warning that names the implementation-specific policy that would do it.
//! Left at their defaults, the HTTPRoute's header says the same (a fresh project builds
//! without warnings).

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages::routing as m;
use crate::model::FileKind::{Manifest, Performance, Security};
use crate::model::manifest::{RoutingApi, Target};

/// The warnings of a project routed by Gateway API.
pub fn gateway_api_limits(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let c = ctx.config;
    let Some((process, _)) = c.manifest.public_process() else {
        return Vec::new();
    };
    if c.manifest.routing_api() != RoutingApi::GatewayApi
        || !c.manifest.wants(Target::Kubernetes)
        || !*c.kubernetes.networking.ingress_enabled.peek()
    {
        return Vec::new();
    }
    let route = format!("{}-{process}", c.manifest.name);
    let mut out = Vec::new();
    let mut warn = |written: bool, kind, keys: &[&str], key: &str, what, policy: String| {
        if !written {
            return;
        }
        let message = m::not_in_gateway_api(key, what, &policy);
        let d = ctx.warning("rule::gateway-api-unsupported", message, kind, keys);
        let d = ctx.related(d, Manifest, &["routing", "api"], m::ROUTED_BY_GATEWAY_LABEL);
        out.push(
            d.with_label(m::NOT_IN_GATEWAY_API_LABEL)
                .with_help(m::NOT_IN_GATEWAY_API_HELP),
        );
    };
    let rate = &c.security.network.rate_limiting;
    if rate.peek().limits().is_some() {
        warn(
            rate.is_written(),
            Security,
            &["security_config", "network", "rate_limiting"],
            "security.yaml `network.rate_limiting`",
            m::RATE_LIMIT,
            m::rate_limit_policy(&route),
        );
    }
    let body = &c.performance.application.client_max_body_size;
    warn(
        body.is_written(),
        Performance,
        &["performance_config", "application", "client_max_body_size"],
        "performance.yaml `application.client_max_body_size`",
        m::BODY_SIZE,
        m::body_size_policy(&route),
    );
    out
}

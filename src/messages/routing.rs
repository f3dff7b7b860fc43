//! Wording of Gateway API routing: what standard Gateway API cannot carry.

/// A value the Ingress honoured that standard Gateway API has no field for.
#[must_use]
pub fn not_in_gateway_api(key: &str, what: &str, policy: &str) -> String {
    format!(
        "{key} is not carried to the Gateway: standard Gateway API has no {what} (the Ingress \
         had it through an ingress-nginx annotation); with Envoy Gateway, {policy} does it"
    )
}

/// The rate limit.
pub const RATE_LIMIT: &str = "rate limit";

/// Envoy Gateway's rate limit policy.
#[must_use]
pub fn rate_limit_policy(route: &str) -> String {
    format!(
        "a BackendTrafficPolicy with `spec.rateLimit` (type Local) targeting the HTTPRoute `{route}`"
    )
}

/// The body size limit.
pub const BODY_SIZE: &str = "request body size limit";

/// Envoy Gateway's body size policy.
#[must_use]
pub fn body_size_policy(route: &str) -> String {
    format!(
        "a BackendTrafficPolicy with `spec.requestBuffer.limit` (413 above it) targeting the \
         HTTPRoute `{route}`"
    )
}

/// The label at the value.
pub const NOT_IN_GATEWAY_API_LABEL: &str = "not enforced by the Gateway";

/// How to resolve it.
pub const NOT_IN_GATEWAY_API_HELP: &str = "add that policy for your gateway implementation \
    beside the generated objects (a kustomize overlay), accept this warning in cfgen.yaml \
    (`accept: [{code: rule::gateway-api-unsupported, reason: …}]`) once it is in place, or \
    choose `routing: {api: ingress}`";

/// The related label at `routing.api`.
pub const ROUTED_BY_GATEWAY_LABEL: &str = "routed by Gateway API";

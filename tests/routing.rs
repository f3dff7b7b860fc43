//! Gateway API routing (`routing: {api: gateway-api}`): the Gateway, the HTTPRoutes and the
//! NetworkPolicy's source; what standard Gateway API cannot carry is a located warning.

use std::path::Path;

use cfgen::generate::{Selection, generate};
use cfgen::render::Renderer;
use cfgen::validate::check_project;

/// The example's inputs under its manifest with `routing` appended (and edited by `edit`).
fn gateway_project(dir: &Path, routing: &str) {
    crate::common::copy_example_inputs(dir);
    let manifest = dir.join("cfgen.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}routing:\n{routing}")).unwrap();
}

fn files(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let project = check_project(dir).project.expect("valid");
    let renderer = Renderer::new(None).unwrap();
    generate(&project, &renderer, None, &Selection::default())
        .unwrap()
        .files
        .into_iter()
        .map(|(k, v)| (k, v.text))
        .collect()
}

/// The gateway objects of node-api (the example that routes by Gateway API), reviewed.
#[test]
fn the_node_api_example_renders_a_gateway_and_its_routes() {
    let files = files(&crate::common::repo().join("examples/node-api"));
    for name in [
        "k8s/production/gateway.yaml",
        "k8s/production/httproute-web.yaml",
        "k8s/production/httproute-web-redirect.yaml",
        "k8s/production/networkpolicy-web.yaml",
    ] {
        let suffix = name.replace('/', "__");
        insta::with_settings!({ snapshot_suffix => suffix, omit_expression => true, description => name }, {
            insta::assert_snapshot!(files[name]);
        });
    }
    assert!(!files.keys().any(|k| k.ends_with("ingress.yaml")));
    assert!(!files.keys().any(|k| k.ends_with("security-headers.yaml")));
    let kustomization = &files["k8s/production/kustomization.yaml"];
    for f in [
        "gateway.yaml",
        "httproute-web.yaml",
        "httproute-web-redirect.yaml",
    ] {
        assert!(
            kustomization.contains(&format!("  - {f}\n")),
            "{kustomization}"
        );
    }
}

/// Without TLS (the ecommerce dev overlay turns it off) there is no https listener, the
/// route attaches to http and nothing redirects; the configured class and proxy namespace
/// reach the Gateway and the NetworkPolicy.
#[test]
fn without_tls_the_route_serves_http_and_the_settings_reach_the_objects() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_example_with_overlays(tmp.path());
    let manifest = tmp.path().join("cfgen.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}routing:\n  api: gateway-api\n  gateway_class: istio\n  proxy_namespace: istio-ingress\naccept:\n  - {{ code: rule::gateway-api-unsupported, reason: a BackendTrafficPolicy is applied beside }}\n"),
    )
    .unwrap();
    let files = files(tmp.path());
    let gateway = cfgen::verify::parse_yaml("g", &files["k8s/dev/gateway.yaml"]).unwrap();
    assert_eq!(gateway["spec"]["gatewayClassName"], "istio");
    assert_eq!(gateway["spec"]["listeners"].as_array().unwrap().len(), 1);
    assert!(gateway["metadata"].get("annotations").is_none());
    let route = cfgen::verify::parse_yaml("r", &files["k8s/dev/httproute-app.yaml"]).unwrap();
    assert_eq!(route["spec"]["parentRefs"][0]["sectionName"], "http");
    assert!(!files.contains_key("k8s/dev/httproute-app-redirect.yaml"));
    assert!(files.contains_key("k8s/staging/httproute-app-redirect.yaml"));
    let staging = cfgen::verify::parse_yaml("g", &files["k8s/staging/gateway.yaml"]).unwrap();
    assert_eq!(
        staging["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-prod"
    );
    let policy = &files["k8s/dev/networkpolicy-app.yaml"];
    assert!(
        policy.contains("kubernetes.io/metadata.name: istio-ingress\n"),
        "{policy}"
    );
    assert!(!policy.contains("ingress-nginx"), "{policy}");
}

/// The warnings of values standard Gateway API cannot carry, each at the value a policy
/// file sets, naming the key and the Envoy Gateway policy.
#[test]
fn a_rate_limit_and_a_body_size_are_located_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    gateway_project(tmp.path(), "  api: gateway-api\n");
    let outcome = check_project(tmp.path());
    let warnings: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule::gateway-api-unsupported")
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let mut warnings = warnings;
    warnings.sort_by_key(|d| !d.message.contains("rate_limiting"));
    let (file, line, _) = warnings[0].position().unwrap();
    assert!(
        file.ends_with("config/deployment/security.yaml") && line == 15,
        "{file}:{line}"
    );
    assert!(warnings[0].message.contains("`network.rate_limiting`"));
    assert!(
        warnings[0]
            .message
            .contains("BackendTrafficPolicy with `spec.rateLimit`")
    );
    let (file, line, _) = warnings[1].position().unwrap();
    assert!(
        file.ends_with("config/deployment/performance.yaml") && line == 8,
        "{file}:{line}"
    );
    assert!(
        warnings[1]
            .message
            .contains("`application.client_max_body_size`")
    );
    assert!(warnings[1].message.contains("`spec.requestBuffer.limit`"));
    assert!(warnings.iter().all(|d| !d.is_error()));
    // an Ingress carries both: no warning
    let tmp = tempfile::tempdir().unwrap();
    gateway_project(tmp.path(), "  api: ingress\n");
    let outcome = check_project(tmp.path());
    assert!(
        !outcome
            .diagnostics
            .iter()
            .any(|d| d.code == "rule::gateway-api-unsupported")
    );
    // rate limiting off: only the body size
    let tmp = tempfile::tempdir().unwrap();
    gateway_project(tmp.path(), "  api: gateway-api\n");
    let security = tmp.path().join("config/deployment/security.yaml");
    let text = std::fs::read_to_string(&security).unwrap();
    std::fs::write(
        &security,
        text.replace("rate_limiting: true", "rate_limiting: false"),
    )
    .unwrap();
    let outcome = check_project(tmp.path());
    let codes: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "rule::gateway-api-unsupported")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert!(codes[0].contains("client_max_body_size"));
}

/// A manifest without `routing` keeps the Ingress (existing projects' output is unchanged).
#[test]
fn without_routing_the_ingress_stays() {
    let files = files(&crate::common::example());
    assert!(files.contains_key("k8s/production/ingress.yaml"));
    assert!(
        !files
            .keys()
            .any(|k| k.contains("gateway") || k.contains("httproute"))
    );
}

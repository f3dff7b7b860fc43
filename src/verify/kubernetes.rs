//! Kubernetes manifests: each document deserializes into its `k8s-openapi`
//! type and serializes back without losing or changing a field. k8s-openapi
//! ignores unknown fields when deserializing, so a misspelled or misplaced key
//! (`replicaz`, `securityContext` one level too deep) only shows up as a field
//! the round trip dropped, which is what this reports.
//!
//! Kinds without a k8s-openapi type (the Kustomization, Istio's
//! PeerAuthentication) are checked against the fields cfgen uses.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The Prometheus Operator's ServiceMonitor (its CRD's schema, vendored strict).
static SERVICE_MONITOR: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "ServiceMonitor",
    include_str!("schemas/servicemonitor-v1.json"),
    "not a valid ServiceMonitor (prometheus-operator v0.93.0 CRD)",
);

/// The Prometheus Operator's PrometheusRule (its CRD's schema, vendored strict).
static PROMETHEUS_RULE: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "PrometheusRule",
    include_str!("schemas/prometheusrule-v1.json"),
    "not a valid PrometheusRule (prometheus-operator v0.93.0 CRD)",
);

/// Gateway API's Gateway (its standard-channel CRD's schema, vendored strict).
static GATEWAY: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "Gateway",
    include_str!("schemas/gateway-v1.json"),
    "not a valid Gateway (Gateway API v1.4.1 standard CRD)",
);

/// Gateway API's HTTPRoute (its standard-channel CRD's schema, vendored strict).
static HTTP_ROUTE: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "HTTPRoute",
    include_str!("schemas/httproute-v1.json"),
    "not a valid HTTPRoute (Gateway API v1.4.1 standard CRD)",
);

/// Argo Rollouts' Rollout (its CRD's schema, vendored strict).
static ROLLOUT: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "Rollout",
    include_str!("schemas/argo-rollout-v1alpha1.json"),
    "not a valid Rollout (Argo Rollouts v1.9.1 CRD)",
);

/// Argo Rollouts' AnalysisTemplate (its CRD's schema, vendored strict).
static ANALYSIS_TEMPLATE: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "AnalysisTemplate",
    include_str!("schemas/argo-analysistemplate-v1alpha1.json"),
    "not a valid AnalysisTemplate (Argo Rollouts v1.9.1 CRD)",
);

/// Argo CD's Application (its CRD's schema, vendored strict).
static APPLICATION: super::vendored::VendoredSchema = super::vendored::VendoredSchema::new(
    "Application",
    include_str!("schemas/argocd-application-v1alpha1.json"),
    "not a valid Application (Argo CD v3.5.1 CRD)",
);

/// Checks one parsed manifest.
///
/// # Errors
/// When the kind is unknown, a field has the wrong type, or the round trip
/// through the typed object loses or changes a field.
pub fn validate(value: &Value) -> Result<(), String> {
    validate_as(value, true)
}

/// [`validate`], with the custom resources (Prometheus Operator, Gateway API,
/// Argo) checked against their vendored CRD schemas only when `custom`: a
/// build checks them for a template override's output; the built-in
/// templates' are proven by the test suite (`tests/builtin_output.rs`). Every
/// built-in kind still round-trips through its k8s-openapi type.
///
/// # Errors
/// As [`validate`].
pub fn validate_as(value: &Value, custom: bool) -> Result<(), String> {
    let object = value
        .as_object()
        .ok_or("expected a Kubernetes object (a YAML mapping)")?;
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or("no `apiVersion`")?;
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("no `kind`")?;
    match (api_version, kind) {
        ("v1", "Namespace") => round_trip::<Namespace>(value),
        ("v1", "ServiceAccount") => round_trip::<ServiceAccount>(value),
        ("v1", "ConfigMap") => round_trip::<ConfigMap>(value),
        ("v1", "Service") => round_trip::<Service>(value),
        ("v1", "PersistentVolumeClaim") => round_trip::<PersistentVolumeClaim>(value),
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<Role>(value),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => round_trip::<RoleBinding>(value),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => round_trip::<ClusterRole>(value),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            round_trip::<ClusterRoleBinding>(value)
        }
        ("apps/v1", "Deployment") => round_trip::<Deployment>(value),
        ("apps/v1", "DaemonSet") => round_trip::<DaemonSet>(value),
        ("networking.k8s.io/v1", "Ingress") => round_trip::<Ingress>(value),
        ("networking.k8s.io/v1", "NetworkPolicy") => round_trip::<NetworkPolicy>(value),
        ("policy/v1", "PodDisruptionBudget") => round_trip::<PodDisruptionBudget>(value),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            round_trip::<HorizontalPodAutoscaler>(value)
        }
        ("batch/v1", "CronJob") => round_trip::<CronJob>(value),
        ("batch/v1", "Job") => round_trip::<Job>(value),
        ("kustomize.config.k8s.io/v1beta1", "Kustomization") => kustomization(object),
        ("security.istio.io/v1", "PeerAuthentication") => peer_authentication(object),
        ("monitoring.coreos.com/v1", "ServiceMonitor") => {
            custom_resource(&SERVICE_MONITOR, value, custom)
        }
        ("monitoring.coreos.com/v1", "PrometheusRule") => {
            custom_resource(&PROMETHEUS_RULE, value, custom)
        }
        ("gateway.networking.k8s.io/v1", "Gateway") => custom_resource(&GATEWAY, value, custom),
        ("gateway.networking.k8s.io/v1", "HTTPRoute") => {
            custom_resource(&HTTP_ROUTE, value, custom)
        }
        ("argoproj.io/v1alpha1", "Rollout") => custom_resource(&ROLLOUT, value, custom),
        ("argoproj.io/v1alpha1", "AnalysisTemplate") => {
            custom_resource(&ANALYSIS_TEMPLATE, value, custom)
        }
        ("argoproj.io/v1alpha1", "Application") => custom_resource(&APPLICATION, value, custom),
        _ => Err(format!(
            "`{api_version}` `{kind}` is not a kind cfgen knows how to check"
        )),
    }
}

/// A custom resource against its vendored schema, when `custom`.
fn custom_resource(
    schema: &super::vendored::VendoredSchema,
    value: &Value,
    custom: bool,
) -> Result<(), String> {
    if custom {
        schema.validate(value)
    } else {
        Ok(())
    }
}

/// Deserializes into `T`, serializes back, and reports the first field that
/// did not survive.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<(), String> {
    // The fast path borrows the parsed value; only a failure pays for the
    // second, path-tracking pass that names the field.
    let typed = match T::deserialize(value) {
        Ok(typed) => typed,
        Err(_) => {
            return Err(match serde_path_to_error::deserialize::<_, T>(value) {
                Err(e) => {
                    let path = e.path().to_string();
                    format!("at `{path}`: {}", e.into_inner())
                }
                Ok(_) => "does not deserialize into its Kubernetes type".to_owned(),
            });
        }
    };
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    match first_loss(value, &back, &mut String::new()) {
        None => Ok(()),
        Some(problem) => Err(problem),
    }
}

/// The first field of `original` that `back` lost or changed, as a message
/// with its dotted path. A `null` member of `original` counts as absent: the
/// typed side omits absent optional fields.
fn first_loss(original: &Value, back: &Value, path: &mut String) -> Option<String> {
    match (original, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                if value.is_null() {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = match b.get(key) {
                    None => Some(format!(
                        "unknown field `{path}`: the Kubernetes type has no such field here (misspelled or misplaced?)"
                    )),
                    Some(other) => first_loss(value, other, path),
                };
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = first_loss(x, y, path);
                path.truncate(len);
                found
            })
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "field `{path}` does not survive the round trip through its Kubernetes type: {a} became {b}"
        )),
    }
}

/// Fields of a Kustomization that cfgen may write.
const KUSTOMIZATION_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "namespace",
    "labels",
    "resources",
    "images",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
];

fn kustomization(object: &Map<String, Value>) -> Result<(), String> {
    only_fields(object, KUSTOMIZATION_FIELDS, "")?;
    if let Some(ns) = object.get("namespace") {
        ns.as_str().ok_or("`namespace` must be a string")?;
    }
    let resources = object
        .get("resources")
        .and_then(Value::as_array)
        .ok_or("`resources` must be a list of files")?;
    if resources.iter().any(|r| !r.is_string()) {
        return Err("`resources` must list file names".into());
    }
    for (i, label) in list(object, "labels")?.iter().enumerate() {
        let label = label
            .as_object()
            .ok_or_else(|| format!("`labels[{i}]` must be a mapping"))?;
        only_fields(
            label,
            &["pairs", "includeSelectors", "includeTemplates", "fields"],
            &format!("labels[{i}]."),
        )?;
        let pairs = label
            .get("pairs")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("`labels[{i}].pairs` must be a mapping"))?;
        if pairs.values().any(|v| !v.is_string()) {
            return Err(format!("`labels[{i}].pairs` values must be strings"));
        }
    }
    for (i, image) in list(object, "images")?.iter().enumerate() {
        let image = image
            .as_object()
            .ok_or_else(|| format!("`images[{i}]` must be a mapping"))?;
        only_fields(
            image,
            &["name", "newName", "newTag", "digest"],
            &format!("images[{i}]."),
        )?;
        if !image.get("name").is_some_and(Value::is_string) {
            return Err(format!("`images[{i}].name` must be a string"));
        }
        if let Some(d) = image.get("digest").and_then(Value::as_str)
            && !d.starts_with("sha256:")
        {
            return Err(format!("`images[{i}].digest` must start with `sha256:`"));
        }
    }
    Ok(())
}

fn peer_authentication(object: &Map<String, Value>) -> Result<(), String> {
    only_fields(object, &["apiVersion", "kind", "metadata", "spec"], "")?;
    let metadata = object
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or("`metadata` must be a mapping")?;
    only_fields(
        metadata,
        &["name", "namespace", "labels", "annotations"],
        "metadata.",
    )?;
    let spec = object
        .get("spec")
        .and_then(Value::as_object)
        .ok_or("`spec` must be a mapping")?;
    only_fields(spec, &["selector", "mtls", "portLevelMtls"], "spec.")?;
    if let Some(mtls) = spec.get("mtls") {
        let mtls = mtls.as_object().ok_or("`spec.mtls` must be a mapping")?;
        only_fields(mtls, &["mode"], "spec.mtls.")?;
        let mode = mtls.get("mode").and_then(Value::as_str).unwrap_or("");
        if !["UNSET", "DISABLE", "PERMISSIVE", "STRICT"].contains(&mode) {
            return Err(format!(
                "`spec.mtls.mode` `{mode}` is not UNSET, DISABLE, PERMISSIVE or STRICT"
            ));
        }
    }
    Ok(())
}

fn list<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match object.get(key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` must be a list")),
    }
}

fn only_fields(object: &Map<String, Value>, allowed: &[&str], prefix: &str) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(format!(
            "unknown field `{prefix}{k}` (expected one of: {})",
            allowed.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;
    use crate::verify::parse_yaml;

    /// The vendored Gateway API schemas are strict: a misspelled field fails, at its path.
    #[test]
    fn gateway_api_kinds_are_checked_strictly() {
        let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\nspec:\n  parentRefs: [{name: g, sectionName: https}]\n  rules:\n    - backendRefs: [{name: s, port: 80}]\n";
        assert_eq!(validate(&parse_yaml("r", route).unwrap()), Ok(()));
        let bad = route.replace("port: 80", "prot: 80");
        let e = validate(&parse_yaml("r", &bad).unwrap()).unwrap_err();
        assert!(
            e.contains("/spec/rules/0/backendRefs/0") && e.contains("prot"),
            "{e}"
        );
        let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\nspec:\n  gatewayClassName: eg\n  listeners:\n    - {name: http, protocol: HTTP, port: 80}\n";
        assert_eq!(validate(&parse_yaml("g", gateway).unwrap()), Ok(()));
        let bad = gateway.replace("port: 80", "port: 0");
        assert!(validate(&parse_yaml("g", &bad).unwrap()).is_err());
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
        - name: app
          image: example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000
          resources:
            limits:
              cpu: 500m
          securityContext:
            readOnlyRootFilesystem: true
";

    fn check(text: &str) -> Result<(), String> {
        validate(&parse_yaml("test.yaml", text).expect("parses"))
    }

    #[test]
    fn a_valid_deployment_round_trips() {
        check(DEPLOYMENT).unwrap();
    }

    #[test]
    fn a_misspelled_field_fails() {
        let err = check(&DEPLOYMENT.replace("replicas:", "replicaz:")).unwrap_err();
        assert!(err.contains("`spec.replicaz`"), "{err}");
    }

    #[test]
    fn a_misplaced_field_fails() {
        // securityContext one level too deep: under the resources
        let text = DEPLOYMENT.replace(
            "          securityContext:\n            readOnlyRootFilesystem: true\n",
            "            securityContext:\n              readOnlyRootFilesystem: true\n",
        );
        let err = check(&text).unwrap_err();
        assert!(
            err.contains("spec.template.spec.containers[0].resources.securityContext"),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_type_names_its_path() {
        let err = check(&DEPLOYMENT.replace("replicas: 2", "replicas: two")).unwrap_err();
        assert!(err.contains("spec.replicas"), "{err}");
    }

    #[test]
    fn check_kubernetes_artifacts_are_verified_here() {
        use crate::plan::{Artifact, Check, Syntax};
        let artifact = Artifact::new(
            "k8s/prod/deployment.yaml",
            "kubernetes/deployment.yaml.j2",
            serde_json::Value::Null,
            Syntax::Yaml,
            Check::Kubernetes,
        );
        crate::verify::verify(&artifact, DEPLOYMENT).unwrap();
        let err = crate::verify::verify(&artifact, &DEPLOYMENT.replace("replicas:", "replicaz:"))
            .unwrap_err();
        assert!(err.contains("replicaz"), "{err}");
    }

    #[test]
    fn an_unknown_kind_fails() {
        let err = check("apiVersion: v9\nkind: Gadget\n").unwrap_err();
        assert!(err.contains("Gadget"), "{err}");
    }

    #[test]
    fn kustomization_and_peer_authentication_fields_are_checked() {
        let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n  - a.yaml\n";
        check(k).unwrap();
        let err = check(&format!("{k}resource:\n  - b.yaml\n")).unwrap_err();
        assert!(err.contains("`resource`"), "{err}");
        let p = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\nspec:\n  mtls:\n    mode: STRICT\n";
        check(p).unwrap();
        assert!(check(&p.replace("STRICT", "STRICKT")).is_err());
        assert!(check(&p.replace("mtls:", "mTLS:")).is_err());
    }
}

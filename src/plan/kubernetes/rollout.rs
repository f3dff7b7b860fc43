//! Blue-green releases (cfgen.yaml `release.strategy: blue-green`) with Argo
//! Rollouts: per process with a port a `Rollout` (the Deployment's pod
//! template, `strategy.blueGreen`), its active Service (the one the Ingress and
//! in-cluster clients use, `service-<process>.yaml`), a preview Service, and an
//! `AnalysisTemplate` whose Job checks the preview from inside the cluster
//! before the Rollout switches the active Service to the new pods.

use serde::Serialize;

use super::workloads::{DeploymentView, ServiceView, workload_view};
use super::{Folder, Hardening, SERVICE_PORT, hardening};
use crate::model::Config;
use crate::model::manifest::{Environment, Process};
use crate::model::security::ServiceMesh;
use crate::model::values::DnsLabel;
use crate::plan::workload;

/// The Argo Rollouts release whose CRDs the output is checked against
/// (tests/validate-output.sh, src/verify/schemas/); the controller must be this or later.
pub const ARGO_ROLLOUTS_VERSION: &str = "v1.9.1";

/// The image of the analysis Job: curl, run as a non-root user. A tag: cfgen
/// cannot resolve its digest offline; pin it in the cluster's registry mirror if required.
pub const CHECK_IMAGE: &str = "curlimages/curl:8.17.0";

/// Seconds the previous version keeps running after the switch, so requests in flight
/// through endpoints that still name it finish (`scaleDownDelaySeconds`).
pub const SCALE_DOWN_DELAY_SECONDS: u32 = 30;

/// Seconds the new pods have to become ready before the Rollout aborts
/// (`progressDeadlineSeconds`, with `progressDeadlineAbort`).
pub const PROGRESS_DEADLINE_SECONDS: u32 = 600;

/// Seconds the analysis Job may take (`activeDeadlineSeconds`): curl's ten tries.
pub const CHECK_DEADLINE_SECONDS: u32 = 180;

/// Whether `process` is released as a Rollout: blue-green, and it serves traffic.
#[must_use]
pub fn is_rollout(config: &Config, process: &Process) -> bool {
    config.manifest.blue_green() && process.port.is_some()
}

/// The preview Service of a Rollout.
#[must_use]
pub fn preview_service(object: &str) -> String {
    format!("{object}-preview")
}

/// The AnalysisTemplate of a Rollout.
#[must_use]
pub fn analysis_template(object: &str) -> String {
    format!("{object}-checks")
}

/// The component label of a process's analysis Job pods.
#[must_use]
pub fn check_component(process: &str) -> String {
    format!("{process}-checks")
}

#[derive(Serialize)]
struct RolloutView {
    #[serde(flatten)]
    workload: DeploymentView,
    active_service: String,
    preview_service: String,
    analysis_template: String,
    scale_down_delay: u32,
    progress_deadline: u32,
    argo_rollouts: &'static str,
}

#[derive(Serialize)]
struct AnalysisView {
    name: String,
    component: String,
    check_component: String,
    rollout: String,
    image: &'static str,
    /// `http://<preview>.<namespace>.svc` (the cluster's search domain completes it).
    base_url: String,
    /// The paths checked, liveness then readiness.
    paths: Vec<String>,
    deadline_seconds: u32,
    istio: bool,
    security: Hardening,
    argo_rollouts: &'static str,
}

/// The Rollout, its Services and its AnalysisTemplate, for one process with a port.
pub(super) fn objects(
    config: &Config,
    name: &DnsLabel,
    env: &Environment,
    process_name: &DnsLabel,
    process: &Process,
    folder: &mut Folder<'_>,
) {
    let object = format!("{}-{process_name}", config.manifest.name);
    folder.add(
        &format!("rollout-{process_name}.yaml"),
        "kubernetes/rollout.yaml.j2",
        || RolloutView {
            workload: workload_view(config, name, env, process_name, process, None),
            active_service: object.clone(),
            preview_service: preview_service(&object),
            analysis_template: analysis_template(&object),
            scale_down_delay: SCALE_DOWN_DELAY_SECONDS,
            progress_deadline: PROGRESS_DEADLINE_SECONDS,
            argo_rollouts: ARGO_ROLLOUTS_VERSION,
        },
    );
    folder.add(
        &format!("service-{process_name}-preview.yaml"),
        "kubernetes/service.yaml.j2",
        || ServiceView {
            name: preview_service(&object),
            component: process_name.to_string(),
            role: Some("preview"),
            rollout: Some(object.clone()),
            // the preview is for the checks in the cluster, never exposed
            service_type: "ClusterIP",
            service_port: SERVICE_PORT,
        },
    );
    folder.add(
        &format!("analysistemplate-{process_name}.yaml"),
        "kubernetes/analysistemplate.yaml.j2",
        || {
            let base = super::Base::new(config, name, env);
            let probes = workload::probe_paths(process);
            AnalysisView {
                name: analysis_template(&object),
                component: process_name.to_string(),
                check_component: check_component(process_name.as_str()),
                rollout: object.clone(),
                image: CHECK_IMAGE,
                base_url: format!("http://{}.{}.svc", preview_service(&object), base.namespace),
                paths: probes
                    .map(|p| vec![p.liveness, p.readiness])
                    .unwrap_or_default(),
                deadline_seconds: CHECK_DEADLINE_SECONDS,
                istio: *config.security.access.service_mesh == ServiceMesh::Istio,
                security: hardening(config),
                argo_rollouts: ARGO_ROLLOUTS_VERSION,
            }
        },
    );
}

//! GitOps with Argo CD (cfgen.yaml `release.argocd`): an `Application` per
//! environment in `k8s/gitops/`, each syncing the committed `k8s/<env>` folder
//! with automated sync, prune and self-heal. The operator applies the folder
//! once (`kubectl apply -k k8s/gitops`); `deploy.sh` then promotes an image by
//! setting it on the environment's Application instead of applying from the runner.

use serde::Serialize;

use super::super::{Artifact, Check, Syntax};
use crate::model::Config;
use crate::model::manifest::ArgoCd;
use crate::provenance;
use crate::validate::Project;

/// The folder of the Applications, beside the environments' folders.
pub const GITOPS_DIR: &str = "gitops";

/// The Argo CD release whose Application CRD the output is checked against.
pub const ARGO_CD_VERSION: &str = "v3.5.1";

/// Where Argo CD runs and how an environment's Application is named.
#[derive(Debug, Clone, Serialize)]
pub struct Argo {
    /// The namespace of Argo CD (and of the Applications).
    pub namespace: String,
    /// The Application of each environment, by environment name.
    pub apps: Vec<(String, String)>,
}

/// The Argo CD settings of the project, if it deploys through Argo CD.
#[must_use]
pub fn argo(config: &Config) -> Option<Argo> {
    let a = config.manifest.release.argocd.as_ref()?;
    Some(Argo {
        namespace: namespace(a),
        apps: config
            .manifest
            .environments
            .keys()
            .map(|env| (env.to_string(), format!("{}-{env}", config.manifest.name)))
            .collect(),
    })
}

fn namespace(a: &ArgoCd) -> String {
    a.namespace
        .as_deref()
        .map_or_else(|| "argocd".to_owned(), ToString::to_string)
}

#[derive(Serialize)]
struct ApplicationView {
    name: String,
    project: String,
    environment: String,
    argocd_namespace: String,
    argocd_project: String,
    repo_url: String,
    revision: String,
    path: String,
    namespace: String,
    argo_cd: &'static str,
}

#[derive(Serialize)]
struct KustomizationView {
    namespace: String,
    project: String,
    resources: Vec<String>,
    argo_cd: &'static str,
}

/// `k8s/gitops/`: an Application per environment and their kustomization.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let Some(argocd) = config.manifest.release.argocd.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |file: String, template: &'static str, context: &dyn Fn() -> minijinja::Value| {
        let (context, reads) = provenance::record(context);
        let mut artifact = Artifact::new(
            format!("k8s/{GITOPS_DIR}/{file}"),
            template,
            &context,
            Syntax::Yaml,
            Check::Kubernetes,
        );
        artifact.reads = reads;
        out.push(artifact);
    };
    let mut files = Vec::new();
    for (env_name, env) in &config.manifest.environments {
        let file = format!("application-{env_name}.yaml");
        files.push(file.clone());
        let env_config = project.config_for(env_name.as_str());
        add(file, "kubernetes/application.yaml.j2", &|| {
            let base = argocd.path.as_deref().map_or_else(
                || crate::plan::release::project_in_repository(&project.dir),
                ToString::to_string,
            );
            let output = config.manifest.output.trim_end_matches('/').to_owned();
            let path =
                crate::plan::release::join_relative(&base, &format!("{output}/k8s/{env_name}"))
                    .unwrap_or_default();
            minijinja::Value::from(minijinja::value::Serde(ApplicationView {
                name: format!("{}-{env_name}", config.manifest.name),
                project: config.manifest.name.to_string(),
                environment: env_name.to_string(),
                argocd_namespace: namespace(argocd),
                argocd_project: argocd
                    .project
                    .as_deref()
                    .map_or_else(|| "default".to_owned(), ToString::to_string),
                repo_url: argocd.repo_url.to_string(),
                revision: argocd
                    .target_revision
                    .as_deref()
                    .map_or_else(|| "main".to_owned(), ToString::to_string),
                path,
                namespace: super::namespace(env_config, env_name, env),
                argo_cd: ARGO_CD_VERSION,
            }))
        });
    }
    add(
        "kustomization.yaml".into(),
        "kubernetes/gitops-kustomization.yaml.j2",
        &|| {
            minijinja::Value::from(minijinja::value::Serde(KustomizationView {
                namespace: namespace(argocd),
                project: config.manifest.name.to_string(),
                resources: files.clone(),
                argo_cd: ARGO_CD_VERSION,
            }))
        },
    );
    out
}

//! The node recipe: production dependencies installed from the lockfile in a
//! dependency stage (`npm ci --omit=dev`, or pnpm/yarn through corepack),
//! then Node.js, those dependencies, `package.json` and the sources; the
//! server is `node <entrypoint>`, probed by `node -e` with `http.get` (the
//! image has no curl).

use serde::Serialize;

use super::{CommonView, ImageContext, Recipe, base_image, is_plain_relative_path};
use crate::model::Config;
use crate::model::manifest::PackageManager;
use crate::plan::docker::{DOCKERFILE, trim_slash};
use crate::plan::{Artifact, Check, Syntax};
use crate::validate::Project;

/// The Node.js image when docker.yaml names none: the active LTS line (Node
/// 18 and 20 are end of life; 22 ends in 2027-04, 24 in 2028-04), Debian
/// slim so native addons built in one stage run in the other.
const DEFAULT_IMAGE: &str = "node:24-bookworm-slim";

/// The node recipe.
pub struct Node;

fn package_manager(config: &Config) -> PackageManager {
    config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.package_manager.as_deref().copied())
        .unwrap_or(PackageManager::Npm)
}

fn entrypoint(config: &Config) -> String {
    config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.entrypoint.as_ref())
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The sources copied into the image: `build.sources`, else the
/// entrypoint's top-level file or folder (`src/` for `src/server.js`).
fn sources(config: &Config) -> Vec<String> {
    if let Some(s) = config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.sources.as_ref())
    {
        return (**s).clone();
    }
    let entry = entrypoint(config);
    let entry = entry.trim_start_matches("./");
    match entry.split_once('/') {
        Some((top, _)) => vec![format!("{top}/")],
        None => vec![entry.to_owned()],
    }
}

/// The lockfile a package manager installs from.
fn lockfile(pm: PackageManager) -> &'static str {
    match pm {
        PackageManager::Npm => "package-lock.json",
        PackageManager::Pnpm => "pnpm-lock.yaml",
        PackageManager::Yarn => "yarn.lock",
    }
}

/// A script `node` can start: a relative `.js`, `.mjs` or `.cjs` file.
fn is_script(s: &str) -> bool {
    is_plain_relative_path(s)
        && [".js", ".mjs", ".cjs"]
            .iter()
            .any(|ext| s.len() > ext.len() && s.ends_with(ext))
        && !s.ends_with('/')
}

/// A JavaScript string literal (single-quoted) holding `s`.
fn js_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

impl Recipe for Node {
    fn options(&self) -> &'static [&'static str] {
        &["entrypoint", "sources", "package_manager"]
    }

    fn entrypoint_problem(&self, entrypoint: Option<&str>) -> Option<(String, String)> {
        match entrypoint {
            None => Some((
                "which script?".into(),
                "add `entrypoint: server.js` (the script `node` starts, relative to the build context)".into(),
            )),
            Some(e) if !is_script(e) => Some((
                "expected a script such as `server.js`".into(),
                "write the path of the JavaScript file `node` starts, relative to the build context, e.g. `server.js` or `src/index.mjs`; a Python `module:app` needs `runtime: python`".into(),
            )),
            Some(_) => None,
        }
    }

    fn server_command(&self, config: &Config, _port: u16) -> Vec<String> {
        vec!["node".to_owned(), entrypoint(config)]
    }

    fn http_healthcheck(&self, _config: &Config, url: &str) -> Vec<String> {
        vec![
            "node".to_owned(),
            "-e".to_owned(),
            format!(
                "require('node:http').get({}, {{ timeout: 4000 }}, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('timeout', () => process.exit(1)).on('error', () => process.exit(1))",
                js_literal(url)
            ),
        ]
    }

    fn artifacts(&self, project: &Project, image: &ImageContext<'_>) -> Vec<Artifact> {
        let config = &project.config;
        let images = &config.docker.base_images;
        let builder = base_image(images.node.as_ref(), DEFAULT_IMAGE);
        // The runtime stage runs the dependencies the first stage installed:
        // the same image unless docker.yaml names another.
        let runtime = images
            .node_runtime
            .as_ref()
            .map_or_else(|| builder.clone(), |i| (**i).clone());
        let pm = package_manager(config);
        let sources = sources(config);
        let view = View {
            common: CommonView::new(config, image, &[&builder, &runtime]),
            builder_image: builder.to_string(),
            runtime_image: runtime.to_string(),
            package_manager: match pm {
                PackageManager::Npm => "npm",
                PackageManager::Pnpm => "pnpm",
                PackageManager::Yarn => "yarn",
            },
            lockfile: lockfile(pm),
            sources: sources
                .iter()
                .map(|s| Copy {
                    src: s.clone(),
                    dest: format!("./{}", s.trim_start_matches("./")),
                })
                .collect(),
        };
        let ignore = IgnoreView {
            lockfile: lockfile(pm),
            yarn: pm == PackageManager::Yarn,
            sources: sources
                .iter()
                .map(|s| trim_slash(s.trim_start_matches("./")).to_owned())
                .collect(),
        };
        vec![
            Artifact::new(
                DOCKERFILE,
                "docker/Dockerfile.node.j2",
                view,
                Syntax::Dockerfile,
                Check::None,
            ),
            Artifact::new(
                format!("{DOCKERFILE}.dockerignore"),
                "docker/dockerignore.node.j2",
                ignore,
                Syntax::Ignore,
                Check::None,
            ),
        ]
    }
}

/// One `COPY` of the sources.
#[derive(Serialize)]
struct Copy {
    src: String,
    dest: String,
}

#[derive(Serialize)]
struct View {
    #[serde(flatten)]
    common: CommonView,
    builder_image: String,
    runtime_image: String,
    package_manager: &'static str,
    lockfile: &'static str,
    sources: Vec<Copy>,
}

#[derive(Serialize)]
struct IgnoreView {
    lockfile: &'static str,
    yarn: bool,
    sources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{docker, project_with_policy};

    /// The manifest over the policy defaults (no config file).
    fn project_with_manifest(manifest: &str) -> Project {
        project_with_policy(manifest, Some(&[]))
    }

    const MANIFEST: &str = r#"
version: 2
name: api
image: ghcr.io/acme/api
build:
  runtime: node
  entrypoint: src/server.js
processes:
  web:
    port: 3000
  worker:
    command: [node, src/worker.js]
environments:
  staging: { host: staging.api.example.com }
"#;

    #[test]
    fn scripts() {
        assert!(is_script("server.js"));
        assert!(is_script("src/index.mjs"));
        assert!(is_script("./dist/main.cjs"));
        assert!(!is_script("app.main:app"));
        assert!(!is_script("server"));
        assert!(!is_script(".js"));
        assert!(!is_script("/srv/server.js"));
        assert!(!is_script("../server.js"));
        assert!(!is_script("my server.js"));
    }

    #[test]
    fn entrypoint_problems() {
        assert!(Node.entrypoint_problem(Some("server.js")).is_none());
        let (label, help) = Node.entrypoint_problem(Some("app.main:app")).unwrap();
        assert!(label.contains("script"), "{label}");
        assert!(help.contains("runtime: python"), "{help}");
        assert!(Node.entrypoint_problem(None).is_some());
    }

    #[test]
    fn the_probe_is_node_itself() {
        let project = project_with_manifest(MANIFEST);
        let test = Node.http_healthcheck(&project.config, "http://127.0.0.1:3000/health");
        assert_eq!(test[..2], ["node", "-e"]);
        assert!(
            test[2].contains("get('http://127.0.0.1:3000/health', { timeout: 4000 }"),
            "{}",
            test[2]
        );
        assert!(
            !test
                .iter()
                .any(|w| w.contains("curl") || w.contains("wget"))
        );
        assert_eq!(js_literal("/it's"), r"'/it\'s'");
    }

    #[test]
    fn npm_by_default_with_the_entrypoints_folder() {
        let project = project_with_manifest(MANIFEST);
        let artifacts = docker::plan(&project);
        let view = artifacts[0].context_json();
        assert_eq!(view["package_manager"], json!("npm"));
        assert_eq!(view["lockfile"], json!("package-lock.json"));
        assert_eq!(view["builder_image"], json!(DEFAULT_IMAGE));
        assert_eq!(view["runtime_image"], json!(DEFAULT_IMAGE));
        assert_eq!(
            view["sources"],
            json!([{ "src": "src/", "dest": "./src/" }])
        );
        assert_eq!(view["cmd"], json!(r#"["node", "src/server.js"]"#));
        assert_eq!(view["port"], json!(3000));
        assert!(
            view["healthcheck_cmd"]
                .as_str()
                .unwrap()
                .starts_with(r#"["node", "-e", "require('node:http')"#)
        );
        let ignore = artifacts[1].context_json();
        assert_eq!(ignore["sources"], json!(["src"]));
        assert_eq!(ignore["yarn"], json!(false));
    }

    #[test]
    fn pnpm_and_yarn_install_from_their_lockfiles() {
        for (pm, lock) in [("pnpm", "pnpm-lock.yaml"), ("yarn", "yarn.lock")] {
            let manifest = MANIFEST.replace(
                "  entrypoint: src/server.js",
                &format!(
                    "  entrypoint: server.js\n  package_manager: {pm}\n  sources: [server.js, lib/]"
                ),
            );
            let project = project_with_manifest(&manifest);
            let artifacts = docker::plan(&project);
            let view = artifacts[0].context_json();
            assert_eq!(view["package_manager"], json!(pm));
            assert_eq!(view["lockfile"], json!(lock));
            assert_eq!(
                view["sources"],
                json!([{ "src": "server.js", "dest": "./server.js" }, { "src": "lib/", "dest": "./lib/" }])
            );
            let ignore = artifacts[1].context_json();
            assert_eq!(ignore["lockfile"], json!(lock));
            assert_eq!(ignore["sources"], json!(["server.js", "lib"]));
        }
    }

    #[test]
    fn the_runtime_image_can_differ() {
        let mut project = project_with_manifest(MANIFEST);
        let images = &mut project.config.docker.base_images;
        images.node = Some("node:24-bookworm".parse().unwrap());
        images.node_runtime = Some("node:24-bookworm-slim".parse().unwrap());
        let view = docker::plan(&project)[0].context_json().clone();
        assert_eq!(view["builder_image"], json!("node:24-bookworm"));
        assert_eq!(view["runtime_image"], json!("node:24-bookworm-slim"));
    }
}

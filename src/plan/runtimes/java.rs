//! The java recipe: a Maven (`mvn -B package -DskipTests`, the local
//! repository `~/.m2` a BuildKit cache mount) or Gradle (its wrapper,
//! `./gradlew assemble`, `~/.gradle` a cache mount) build of the jar in a JDK
//! stage; the jar alone on a JRE. The JRE has no HTTP client, so the builder
//! also compiles a tiny probe class (`CfgenProbe`, `javac`, standard library
//! only) that the HEALTHCHECK runs.

use serde::Serialize;

use super::{
    CommonView, ImageContext, Recipe, base_image, is_plain_relative_path, probe_lines, runs_probe,
};
use crate::model::Config;
use crate::model::manifest::BuildTool;
use crate::plan::docker::DOCKERFILE;
use crate::plan::{Artifact, Check, Syntax};
use crate::validate::Project;

/// The Maven build image when docker.yaml names none.
const DEFAULT_MAVEN: &str = "maven:3.9-eclipse-temurin-21";
/// The Gradle build image when docker.yaml names none (Gradle comes from the
/// project's wrapper).
const DEFAULT_GRADLE: &str = "eclipse-temurin:21-jdk";
/// The runtime image when docker.yaml names none.
const DEFAULT_RUNTIME: &str = "eclipse-temurin:21-jre";

/// Where the jar is installed in the image.
const JAR: &str = "/app/app.jar";

/// The folder of the probe class, its class path.
pub const PROBE_DIR: &str = "/opt/cfgen-probe";

/// The probe's source: GET the URL given as the first argument, exit 0 on a
/// 200 answer within four seconds. Java 11 and the standard library only.
/// (No single quote anywhere: the Dockerfile writes it with `printf` in
/// single quotes.)
const PROBE_SOURCE: &str = r#"public class CfgenProbe {
    public static void main(String[] args) {
        try {
            var url = java.net.URI.create(args.length > 0 ? args[0] : "").toURL();
            var connection = (java.net.HttpURLConnection) url.openConnection();
            connection.setConnectTimeout(4000);
            connection.setReadTimeout(4000);
            System.exit(connection.getResponseCode() == 200 ? 0 : 1);
        } catch (Exception e) {
            System.exit(1);
        }
    }
}"#;

/// The java recipe.
pub struct Java;

fn build_tool(config: &Config) -> BuildTool {
    config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.build_tool.as_deref().copied())
        .unwrap_or(BuildTool::Maven)
}

/// A jar the build produces: a relative `.jar` path.
fn is_jar(s: &str) -> bool {
    is_plain_relative_path(s) && s.len() > ".jar".len() && s.ends_with(".jar") && !s.contains('*')
}

impl Recipe for Java {
    fn options(&self) -> &'static [&'static str] {
        &["entrypoint", "build_tool"]
    }

    fn entrypoint_problem(&self, entrypoint: Option<&str>) -> Option<(String, String)> {
        match entrypoint {
            None => Some((
                "which jar?".into(),
                "add `entrypoint: target/app.jar` (Maven) or `entrypoint: build/libs/app.jar` (Gradle): the executable jar the build produces, relative to the build context (fix its name with Maven's `<finalName>` or Gradle's `archiveFileName`)".into(),
            )),
            Some(e) if !is_jar(e) => Some((
                "expected the path of a jar".into(),
                "write the jar the build produces, relative to the build context, e.g. `target/app.jar` (Maven) or `build/libs/app.jar` (Gradle)".into(),
            )),
            Some(_) => None,
        }
    }

    fn server_command(&self, _config: &Config, _port: u16) -> Vec<String> {
        // The heap follows the container's memory limit, leaving room for
        // the JVM's own memory.
        ["java", "-XX:MaxRAMPercentage=75.0", "-jar", JAR]
            .map(str::to_owned)
            .to_vec()
    }

    fn http_healthcheck(&self, _config: &Config, url: &str) -> Vec<String> {
        // A JVM that starts fast and small: one GC thread, the client compiler
        // only, no perf data file in /tmp.
        [
            "java",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-cp",
            PROBE_DIR,
            "CfgenProbe",
            url,
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn artifacts(&self, project: &Project, image: &ImageContext<'_>) -> Vec<Artifact> {
        let config = &project.config;
        let images = &config.docker.base_images;
        let tool = build_tool(config);
        let builder = base_image(
            images.java.as_ref(),
            match tool {
                BuildTool::Maven => DEFAULT_MAVEN,
                BuildTool::Gradle => DEFAULT_GRADLE,
            },
        );
        let runtime = base_image(images.java_runtime.as_ref(), DEFAULT_RUNTIME);
        let probe = runs_probe(image, PROBE_DIR);
        let view = View {
            common: CommonView::new(config, image, &[&builder, &runtime]),
            builder_image: builder.to_string(),
            runtime_image: runtime.to_string(),
            build_tool: match tool {
                BuildTool::Maven => "maven",
                BuildTool::Gradle => "gradle",
            },
            jar: image
                .build
                .entrypoint
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            jar_path: JAR,
            probe_lines: if probe {
                probe_lines(PROBE_SOURCE)
            } else {
                Vec::new()
            },
            probe_dir: PROBE_DIR,
        };
        let ignore = IgnoreView {
            build_tool: view.build_tool,
            output_from_context: image.paths.output_from_context.clone(),
        };
        vec![
            Artifact::new(
                DOCKERFILE,
                "docker/Dockerfile.java.j2",
                view,
                Syntax::Dockerfile,
                Check::None,
            ),
            Artifact::new(
                format!("{DOCKERFILE}.dockerignore"),
                "docker/dockerignore.java.j2",
                ignore,
                Syntax::Ignore,
                Check::None,
            ),
        ]
    }
}

#[derive(Serialize)]
struct View {
    #[serde(flatten)]
    common: CommonView,
    builder_image: String,
    runtime_image: String,
    build_tool: &'static str,
    jar: String,
    jar_path: &'static str,
    /// The probe's source, one shell word per line (empty: no probe).
    probe_lines: Vec<String>,
    probe_dir: &'static str,
}

#[derive(Serialize)]
struct IgnoreView {
    build_tool: &'static str,
    output_from_context: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{docker, project_with_policy};

    const MANIFEST: &str = r#"
version: 2
name: ledger
image: ghcr.io/acme/ledger
build:
  runtime: java
  entrypoint: target/ledger.jar
processes:
  web:
    port: 8080
environments:
  staging: { host: staging.ledger.example.com }
"#;

    #[test]
    fn the_probe_source_has_no_single_quote() {
        assert!(!PROBE_SOURCE.contains('\''));
        assert!(!PROBE_SOURCE.contains('%'));
    }

    #[test]
    fn jars() {
        assert!(is_jar("target/app.jar"));
        assert!(is_jar("build/libs/app-1.0.jar"));
        assert!(!is_jar("app.main:app"));
        assert!(!is_jar("server.js"));
        assert!(!is_jar("target/*.jar"));
        assert!(!is_jar("/app/app.jar"));
        assert!(!is_jar(".jar"));
        let (label, help) = Java.entrypoint_problem(Some("./cmd/api")).unwrap();
        assert!(label.contains("jar"), "{label}");
        assert!(help.contains("target/app.jar"), "{help}");
        assert!(Java.entrypoint_problem(None).is_some());
    }

    #[test]
    fn maven_by_default_the_jar_on_a_jre() {
        let project = project_with_policy(MANIFEST, Some(&[]));
        let artifacts = docker::plan(&project);
        let view = artifacts[0].context_json();
        assert_eq!(view["build_tool"], json!("maven"));
        assert_eq!(view["builder_image"], json!(DEFAULT_MAVEN));
        assert_eq!(view["runtime_image"], json!(DEFAULT_RUNTIME));
        assert_eq!(view["jar"], json!("target/ledger.jar"));
        assert_eq!(
            view["cmd"],
            json!(r#"["java", "-XX:MaxRAMPercentage=75.0", "-jar", "/app/app.jar"]"#)
        );
        let hc = view["healthcheck_cmd"].as_str().unwrap();
        assert!(
            hc.ends_with(
                r#""-cp", "/opt/cfgen-probe", "CfgenProbe", "http://127.0.0.1:8080/health"]"#
            ),
            "{hc}"
        );
        assert!(!view["probe_lines"].as_array().unwrap().is_empty());
        assert_eq!(artifacts[1].context_json()["build_tool"], json!("maven"));
    }

    #[test]
    fn gradle_runs_the_wrapper_on_a_jdk() {
        let manifest = MANIFEST.replace(
            "  entrypoint: target/ledger.jar",
            "  entrypoint: build/libs/ledger.jar\n  build_tool: gradle",
        );
        let project = project_with_policy(&manifest, Some(&[]));
        let view = docker::plan(&project)[0].context_json().clone();
        assert_eq!(view["build_tool"], json!("gradle"));
        assert_eq!(view["builder_image"], json!(DEFAULT_GRADLE));
        assert_eq!(view["jar"], json!("build/libs/ledger.jar"));
    }
}

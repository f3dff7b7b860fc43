//! The python recipe: dependencies from `requirements.txt` into a virtualenv
//! in a builder stage, then the interpreter, the virtualenv and the sources;
//! served by uvicorn (ASGI) or gunicorn (WSGI); probed by the interpreter.

use serde::Serialize;

use super::{CommonView, ImageContext, Recipe, base_image};
use crate::model::Config;
use crate::model::manifest::PythonServer;
use crate::plan::docker::{DOCKERFILE, trim_slash};
use crate::plan::{Artifact, Check, Syntax};
use crate::validate::Project;

/// The python base image when docker.yaml names none.
const DEFAULT_IMAGE: &str = "python:3.12-slim";

/// The python recipe.
pub struct Python;

/// A Python string literal (single-quoted) holding `s`.
fn python_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

fn server(config: &Config) -> PythonServer {
    config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.server.as_deref().copied())
        .unwrap_or(PythonServer::Uvicorn)
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

/// The sources copied into the image (default `app/`).
fn sources(config: &Config) -> Vec<String> {
    config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.sources.as_ref())
        .map_or_else(|| vec!["app/".to_owned()], |s| (**s).clone())
}

/// `module.sub:attribute` with Python identifiers.
fn is_python_app(s: &str) -> bool {
    let ident = |p: &str| {
        !p.is_empty()
            && !p.starts_with(|c: char| c.is_ascii_digit())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match s.split_once(':') {
        Some((module, attr)) => module.split('.').all(ident) && attr.split('.').all(ident),
        None => false,
    }
}

impl Recipe for Python {
    fn options(&self) -> &'static [&'static str] {
        &["entrypoint", "sources", "server"]
    }

    fn entrypoint_problem(&self, entrypoint: Option<&str>) -> Option<(String, String)> {
        match entrypoint {
            None => Some((
                "which application?".into(),
                "add `entrypoint: app.main:app` (the module and the ASGI/WSGI attribute)".into(),
            )),
            Some(e) if !is_python_app(e) => Some((
                "expected `module:attribute`".into(),
                "write the module path and the application object, e.g. `app.main:app` (FastAPI) or `mysite.wsgi:application` (Django); a Node.js script such as `server.js` needs `runtime: node`".into(),
            )),
            Some(_) => None,
        }
    }

    fn server_command(&self, config: &Config, port: u16) -> Vec<String> {
        let app = &config.performance.application;
        let workers = app.workers.to_string();
        let keepalive = app.keepalive_timeout.to_string();
        let port = port.to_string();
        let words: Vec<&str> = match server(config) {
            // --timeout-keep-alive above nginx's upstream keepalive_timeout, so the proxy never
            // reuses a connection the app is closing; --proxy-headers trusts X-Forwarded-* from
            // any peer: only the proxy can reach this port.
            PythonServer::Uvicorn => vec![
                "uvicorn",
                "--host",
                "0.0.0.0",
                "--port",
                &port,
                "--workers",
                &workers,
                "--timeout-keep-alive",
                &keepalive,
                "--proxy-headers",
                "--forwarded-allow-ips",
                "*",
            ],
            PythonServer::Gunicorn => vec![
                "gunicorn",
                "--bind",
                "0.0.0.0:PORT",
                "--workers",
                &workers,
                "--keep-alive",
                &keepalive,
                "--forwarded-allow-ips",
                "*",
                "--access-logfile",
                "-",
            ],
        };
        let mut out: Vec<String> = words
            .into_iter()
            .map(|w| w.replace("PORT", &port))
            .collect();
        // The application goes right after the program, as both servers document it.
        out.insert(1, entrypoint(config));
        out
    }

    fn http_healthcheck(&self, _config: &Config, url: &str) -> Vec<String> {
        vec![
            "python".to_owned(),
            "-c".to_owned(),
            format!(
                "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen({}, timeout=4).status == 200 else 1)",
                python_literal(url)
            ),
        ]
    }

    fn artifacts(&self, project: &Project, image: &ImageContext<'_>) -> Vec<Artifact> {
        let config = &project.config;
        let base = base_image(config.docker.base_images.python.as_ref(), DEFAULT_IMAGE);
        let sources = sources(config);
        let view = View {
            common: CommonView::new(config, image, &[&base]),
            base_image: base.to_string(),
            multi_stage: *config.docker.build.multi_stage,
            server: match server(config) {
                PythonServer::Uvicorn => "uvicorn",
                PythonServer::Gunicorn => "gunicorn",
            },
            sources: sources
                .iter()
                .map(|s| Copy {
                    src: s.clone(),
                    dest: format!("./{s}"),
                })
                .collect(),
        };
        let ignore = IgnoreView {
            sources: sources.iter().map(|s| trim_slash(s).to_owned()).collect(),
        };
        vec![
            Artifact::new(
                DOCKERFILE,
                "docker/Dockerfile.python.j2",
                view,
                Syntax::Dockerfile,
                Check::None,
            ),
            Artifact::new(
                format!("{DOCKERFILE}.dockerignore"),
                "docker/dockerignore.python.j2",
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
    base_image: String,
    multi_stage: bool,
    server: &'static str,
    sources: Vec<Copy>,
}

#[derive(Serialize)]
struct IgnoreView {
    sources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_applications() {
        assert!(is_python_app("app.main:app"));
        assert!(is_python_app("mysite.wsgi:application"));
        assert!(!is_python_app("server.js"));
        assert!(!is_python_app("app.main"));
        assert!(!is_python_app("1app:app"));
    }

    #[test]
    fn python_literals_escape_quotes() {
        assert_eq!(python_literal("http://h/health"), "'http://h/health'");
        assert_eq!(python_literal("/it's"), r"'/it\'s'");
    }
}

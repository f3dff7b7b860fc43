//! Stage 6: verify. Every rendered artifact is checked in-process before
//! anything is written; a failure here is a bug in cfgen (or in a user's
//! template override), never in the user's config.
//!
//! Every YAML artifact is parsed with the input loader's rules and every
//! Kubernetes object round-trips through its k8s-openapi type on every
//! build. The vendored JSON Schemas (compose, workflow, and the custom
//! resources' CRDs) check what a template override renders
//! ([`verify_output`]); the built-in templates' output is checked against
//! them by the test suite over the examples and many configs derived from
//! them (`tests/builtin_output.rs`), and a patched object by the patch
//! itself ([`crate::patch`]).

pub mod compose;
pub mod kubernetes;
mod vendored;
pub mod workflow;

use std::path::Path;

use crate::load::{self, NodeKind};
use crate::plan::{Artifact, Check};

/// Checks one rendered artifact fully, the vendored schemas included;
/// `Err` explains what is wrong with it.
///
/// # Errors
/// When the text is not what its target accepts.
pub fn verify(artifact: &Artifact, text: &str) -> Result<(), String> {
    verify_output(artifact, text, true)
}

/// Checks one rendered artifact as a build does: parsed and round-tripped
/// always, against the vendored compose/workflow/CRD schema when
/// `overridden` (its template is the user's).
///
/// # Errors
/// When the text is not what its target accepts.
pub fn verify_output(artifact: &Artifact, text: &str, overridden: bool) -> Result<(), String> {
    match artifact.check {
        Check::None => Ok(()),
        Check::Yaml | Check::Kubernetes | Check::Compose | Check::Workflow => {
            let value = parse_yaml(&artifact.path, text)?;
            match artifact.check {
                Check::Workflow if overridden => workflow::validate(&value),
                Check::Compose if overridden => compose::validate(&value),
                Check::Kubernetes => kubernetes::validate_as(&value, overridden),
                _ => Ok(()),
            }
        }
    }
}

/// Parses generated YAML with the rules of the input loader (YAML 1.2 core, duplicate keys,
/// tags, aliases and extra documents rejected) and returns it as JSON: through
/// [`load::fast::to_json`], and the located loader where that declines (an error to explain).
///
/// # Errors
/// With the parser's message and position.
pub fn parse_yaml(path: &str, text: &str) -> Result<serde_json::Value, String> {
    // The span-free path answers for a well-formed file; the located loader explains the rest.
    if let Some(value) = load::fast::to_json(text) {
        return Ok(value);
    }
    match load::load_bytes(Path::new(path), text.as_bytes().to_vec()) {
        Ok((doc, errors)) if errors.is_empty() => {
            if matches!(doc.root.kind, NodeKind::Null) {
                return Err("empty YAML document".into());
            }
            Ok(doc.root.to_json())
        }
        Ok((doc, errors)) => {
            let e = &errors[0];
            let (line, col) = doc.source.line_col(e.span.start);
            Err(format!("{}:{line}:{col}: {:?}", path, e.kind))
        }
        Err(load::ReadError::Load(source, errors)) => {
            let e = &errors[0];
            let (line, col) = source.line_col(e.span.start);
            Err(format!("{path}:{line}:{col}: {:?}", e.kind))
        }
        Err(load::ReadError::Io(e)) => Err(e.to_string()),
    }
}

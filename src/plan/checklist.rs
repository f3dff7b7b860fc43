//! The deploy checklist, rendered as the repository's pull-request template.

use serde::Serialize;

use super::{Artifact, Check, Syntax};
use crate::validate::Project;

#[derive(Serialize)]
struct Section<'a> {
    title: &'a str,
    items: Vec<String>,
}

#[derive(Serialize)]
struct View<'a> {
    project: &'a str,
    description: Option<&'a str>,
    sections: Vec<Section<'a>>,
    environments: Vec<String>,
}

/// Strips a leading check mark the authors typed (`✅ `): the box is ticked by the reviewer.
fn item(text: &str) -> String {
    text.trim_start_matches(['✅', '☑', '✔']).trim().to_owned()
}

/// The pull-request template.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    if !project
        .config
        .manifest
        .wants(crate::model::manifest::Target::Checklist)
    {
        return Vec::new();
    }
    let c = &project.config.checklist;
    let sections = [
        ("Before deploying", &c.pre_deployment),
        ("During the deployment", &c.deployment),
        ("After deploying", &c.post_deployment),
    ]
    .into_iter()
    .filter(|(_, items)| !items.is_empty())
    .map(|(title, items)| Section {
        title,
        items: items.iter().map(|i| item(i)).collect(),
    })
    .collect();
    let view = View {
        project: project.config.manifest.name.as_str(),
        description: project
            .config
            .manifest
            .description
            .as_deref()
            .map(String::as_str),
        sections,
        environments: project
            .config
            .manifest
            .environments
            .keys()
            .map(ToString::to_string)
            .collect(),
    };
    vec![Artifact::new(
        ".github/pull_request_template.md",
        "checklist/pull_request_template.md.j2",
        view,
        Syntax::Markdown,
        Check::None,
    )]
}

//! Dynamic shell completion (clap_complete's `CompleteEnv`): `--env` offers
//! the environment names of the projects under the current folder, read from
//! their manifests without validating them. Enabled by
//! `source <(COMPLETE=bash cfgen)` (or `zsh`, `fish`, `elvish`, `powershell`).

use std::ffi::OsStr;

use clap_complete::engine::CompletionCandidate;

use crate::load::NodeKind;

/// Most projects read for one completion (a huge tree stays quick).
const MAX_PROJECTS: usize = 200;

/// The environment names of the projects under `.` starting with `current`.
#[must_use]
pub fn environments(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut names = std::collections::BTreeSet::new();
    let dir = std::path::Path::new(".");
    for project in crate::discover::projects(dir)
        .unwrap_or_default()
        .into_iter()
        .take(MAX_PROJECTS)
    {
        let path = project.join(crate::model::MANIFEST_FILE);
        let Ok((doc, _)) = crate::load::load_file(Some(&project), &path) else {
            continue;
        };
        if let Some(entry) = doc.root.entry("environments")
            && let NodeKind::Map(envs) = &entry.value.kind
        {
            names.extend(envs.iter().map(|e| e.key.clone()));
        }
    }
    names
        .into_iter()
        .filter(|n| n.starts_with(current.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

//! Shared platform policy: `extends: ../platform-policy` in cfgen.yaml layers
//! a policy folder of the same repository under the project's own files.
//!
//! A policy folder has the layout of a project's `config/`: any of the nine
//! files in `deployment/`, overlays in `environments/<env>/`, and optionally a
//! `policy.yaml` whose only key, `extends`, names the folder it builds on (a
//! chain, at most [`MAX_CHAIN`] folders). Layering, lowest first:
//!
//! 1. cfgen's defaults;
//! 2. the policy folders' `deployment/` files, the farthest of the chain first;
//! 3. the project's `config/deployment/` files;
//! 4. the policy folders' `environments/<env>/` overlays, the farthest first;
//! 5. the project's `config/environments/<env>/` overlays;
//! 6. the manifest's settings.
//!
//! So a project overrides its policy, and an environment's overlay (the
//! policy's or the project's) overrides both base layers. Each policy file is
//! a layer of its own ([`super::layers::Overlay`] with `policy` set), so values
//! keep their own file for diagnostics, `# Source:` headers and `explain`.
//!
//! A pull request may change `extends`, so the path is hostile input: it must
//! be relative, and resolve (links followed) inside the repository, the
//! nearest folder above the project holding `.git`, or, with none, the
//! project folder. Every refusal is located at the `extends` line.

use std::path::{Component, Path, PathBuf};

use super::layers::{self, Folder, Layers};
use crate::diagnostics::Diagnostic;
use crate::load::{self, Document, NodeKind, ReadError, Source, Span};
use crate::messages;

/// The manifest's key (and a policy folder's `policy.yaml` key) naming the policy folder.
pub const EXTENDS: &str = "extends";

/// The file of a policy folder that says which folder it extends.
pub const POLICY_FILE: &str = "policy.yaml";

/// At most this many policy folders in one chain.
pub const MAX_CHAIN: usize = 4;

/// Where an `extends` value is: its file and span.
type At = (Source, Span);

/// The next `extends` of a chain, or its refusal.
type Next = Result<(String, At), Box<Diagnostic>>;

/// One folder of a chain.
struct Link {
    /// Canonical path.
    real: PathBuf,
    /// As shown, relative to the project (`../platform-policy`).
    shown: String,
    /// The `extends` value that named it.
    at: (Source, Span),
}

/// The `extends` value of a document, with its span; `Err` when it is not a string.
fn extends_of(doc: &Document) -> Option<Result<(String, Span), Span>> {
    let entry = doc.root.entry(EXTENDS)?;
    Some(match &entry.value.kind {
        NodeKind::Str(s) => Ok((s.clone(), entry.value.span)),
        _ => Err(entry.value.span),
    })
}

/// `path` with `.` and `..` resolved lexically; `None` when `..` climbs above its first part.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// A relative path as shown, `b` taken relative to `a` (`../p` + `../q` = `../q`).
fn join_shown(a: &str, b: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in a.split('/').chain(b.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The refusal of an `extends` value.
fn refuse(kind: &'static str, message: String, at: &At) -> Diagnostic {
    let code = match kind {
        "absolute" => "policy::absolute",
        "outside" => "policy::outside",
        "link-outside" => "policy::link-outside",
        "missing" => "policy::missing",
        "not-a-folder" => "policy::not-a-folder",
        "empty-folder" => "policy::empty-folder",
        "cycle" => "policy::cycle",
        "too-deep" => "policy::too-deep",
        _ => "policy::not-a-string",
    };
    Diagnostic::error(code, message, &at.0, at.1)
        .with_label("the policy folder")
        .with_help(messages::extends_help(kind))
}

/// The folder `value` names from `from` (canonical), checked against `root`.
fn resolve(root: &Path, from: &Path, value: &str, at: &At) -> Result<PathBuf, Box<Diagnostic>> {
    let shown = value.to_owned();
    if value.trim().is_empty() {
        return Err(Box::new(refuse("empty", messages::extends_empty(), at)));
    }
    if Path::new(value).is_absolute() || value.starts_with('~') {
        return Err(Box::new(refuse(
            "absolute",
            messages::extends_absolute(&shown),
            at,
        )));
    }
    let lexical = normalize(&from.join(value)).filter(|p| p.starts_with(root));
    let Some(lexical) = lexical else {
        return Err(Box::new(refuse(
            "outside",
            messages::extends_outside(&shown),
            at,
        )));
    };
    if std::fs::symlink_metadata(&lexical).is_err() {
        let d = refuse("missing", messages::extends_missing(&shown), at);
        return Err(Box::new(match near_miss(&lexical) {
            Some(fix) => d.with_help(messages::extends_missing_help(&fix)),
            None => d,
        }));
    }
    let real = match std::fs::canonicalize(&lexical) {
        Ok(real) if real.starts_with(root) => real,
        Ok(_) => {
            return Err(Box::new(refuse(
                "link-outside",
                messages::extends_link_outside(&shown),
                at,
            )));
        }
        Err(_) => {
            return Err(Box::new(refuse(
                "missing",
                messages::extends_missing(&shown),
                at,
            )));
        }
    };
    if !real.is_dir() {
        return Err(Box::new(refuse(
            "not-a-folder",
            messages::extends_not_a_folder(&shown),
            at,
        )));
    }
    let holds = ["deployment", "environments", POLICY_FILE]
        .iter()
        .any(|name| std::fs::symlink_metadata(real.join(name)).is_ok());
    if !holds {
        return Err(Box::new(refuse(
            "empty-folder",
            messages::extends_empty_folder(&shown),
            at,
        )));
    }
    Ok(real)
}

/// The name of a folder beside `path` closest to its name (a typo's fix),
/// among the first [`MAX_CHAIN`]` * 16` entries.
fn near_miss(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let mut names: Vec<String> = std::fs::read_dir(path.parent()?)
        .ok()?
        .flatten()
        .take(MAX_CHAIN * 16)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    crate::diagnostics::closest(&name, names.iter().map(String::as_str))
}

/// The `policy.yaml` of a policy folder, if it has one: its `extends`, or
/// `None`; its other keys and load errors are pushed to `out`.
fn next_of(root: &Path, folder: &Path, out: &mut Vec<Diagnostic>) -> Option<Next> {
    let path = folder.join(POLICY_FILE);
    let doc = match load::load_file(Some(root), &path) {
        Ok((doc, errors)) => {
            out.extend(
                errors
                    .iter()
                    .map(|e| super::load_diagnostic(&doc.source, e)),
            );
            doc
        }
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(ReadError::Io(e)) => {
            out.push(Diagnostic::unlocated(
                "io",
                messages::read_failed(&path.display().to_string(), &e),
            ));
            return None;
        }
        Err(ReadError::Load(source, errors)) => {
            out.extend(errors.iter().map(|e| super::load_diagnostic(&source, e)));
            return None;
        }
    };
    if let NodeKind::Map(entries) = &doc.root.kind {
        for e in entries.iter().filter(|e| e.key != EXTENDS) {
            let fix = crate::diagnostics::closest(&e.key, [EXTENDS]);
            out.push(
                Diagnostic::error(
                    "policy::unknown-key",
                    messages::policy_file_unknown_key(&e.key),
                    &doc.source,
                    e.key_span,
                )
                .with_label("not a known key")
                .with_help(messages::policy_file_unknown_key_help(fix.as_deref())),
            );
        }
    }
    Some(match extends_of(&doc)? {
        Ok((value, span)) => Ok((value, (doc.source.clone(), span))),
        Err(span) => Err(Box::new(refuse(
            "not-a-string",
            messages::extends_not_a_string(),
            &(doc.source.clone(), span),
        ))),
    })
}

/// The chain of policy folders the manifest extends, nearest first; a
/// refusal is pushed to `out` and ends the chain there.
fn chain(dir: &Path, manifest: &Document, out: &mut Vec<Diagnostic>) -> (PathBuf, Vec<Link>) {
    let project = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let root = crate::plan::repository::git_root(&project).unwrap_or_else(|| project.clone());
    let mut links: Vec<Link> = Vec::new();
    let mut next = match extends_of(manifest) {
        None => return (root, links),
        Some(Ok((value, span))) => Ok((value, (manifest.source.clone(), span))),
        Some(Err(span)) => Err(Box::new(refuse(
            "not-a-string",
            messages::extends_not_a_string(),
            &(manifest.source.clone(), span),
        ))),
    };
    let own = std::fs::canonicalize(dir.join(crate::model::CONFIG_DIR)).ok();
    loop {
        let (value, at) = match next {
            Ok(found) => found,
            Err(d) => {
                out.push(*d);
                break;
            }
        };
        let (from, shown_from) = links.last().map_or((project.clone(), "."), |l| {
            (l.real.clone(), l.shown.as_str())
        });
        let real = match resolve(&root, &from, &value, &at) {
            Ok(real) => real,
            Err(d) => {
                out.push(*d);
                break;
            }
        };
        if let Some(first) = links.iter().find(|l| l.real == real) {
            out.push(
                refuse("cycle", messages::extends_cycle(&value), &at).with_related(
                    &first.at.0,
                    first.at.1,
                    messages::extends_cycle_start(),
                ),
            );
            break;
        }
        if own.as_ref() == Some(&real) || real == project {
            out.push(refuse("cycle", messages::extends_cycle(&value), &at));
            break;
        }
        if links.len() == MAX_CHAIN {
            out.push(refuse(
                "too-deep",
                messages::extends_too_deep(&value, MAX_CHAIN),
                &at,
            ));
            break;
        }
        let shown = join_shown(shown_from, &value);
        let following = next_of(&root, &real, out);
        links.push(Link { real, shown, at });
        match following {
            Some(found) => next = found,
            None => break,
        }
    }
    (root, links)
}

/// The path a policy folder's files are shown (and read) at: the project
/// folder as given, joined with the folder as shown (`examples/node-api` and
/// `../platform-policy` give `examples/platform-policy`). Reading it again
/// resolves it inside the repository root ([`load::read_regular`]).
fn shown_folder(dir: &Path, shown: &str) -> PathBuf {
    let joined = join_shown(&dir.to_string_lossy(), shown);
    if dir.is_absolute() {
        PathBuf::from(format!("/{joined}"))
    } else {
        PathBuf::from(joined)
    }
}

/// The name a diagnostic in a policy file gives the project: its manifest's `name`.
fn project_name(dir: &Path, manifest: &Document) -> String {
    match manifest.root.entry("name").map(|e| &e.value.kind) {
        Some(NodeKind::Str(name)) => name.clone(),
        _ => dir
            .file_name()
            .map_or_else(|| ".".into(), |n| n.to_string_lossy().into_owned()),
    }
}

/// Every layer of the project in `dir` besides its base files: the policy
/// folders' files (when the manifest `extends` one) and the environments'
/// overlays, lowest first (see the module documentation).
pub(super) fn load_layers(
    dir: &Path,
    manifest: Option<&Document>,
    out: &mut Vec<Diagnostic>,
) -> Layers {
    let mut next: u16 = 1;
    let Some(manifest) = manifest else {
        return layers::load(dir, None, &mut next, out);
    };
    let project = project_name(dir, manifest);
    let mut refused = Vec::new();
    let (root, links) = chain(dir, manifest, &mut refused);
    // One in a policy folder's policy.yaml names the project that read it.
    out.extend(refused.into_iter().map(|d| {
        let in_manifest = d
            .location
            .as_ref()
            .is_some_and(|(s, _)| s.path() == manifest.source.path());
        if in_manifest {
            d
        } else {
            Diagnostic {
                message: messages::through_policy(&d.message, &project),
                ..d
            }
        }
    }));
    let mut layers = Layers {
        project,
        ..Layers::default()
    };
    let envs = layers::declared(Some(&manifest.root));
    let mut found = Vec::new();
    let folders: Vec<Folder> = links
        .iter()
        .rev()
        .map(|l| Folder {
            // Shown relative when that names the same folder (a link in the
            // project's path could make `..` lead elsewhere), else canonical.
            path: Some(shown_folder(dir, &l.shown))
                .filter(|p| std::fs::canonicalize(p).is_ok_and(|r| r == l.real))
                .unwrap_or_else(|| l.real.clone()),
            confined_to: root.clone(),
            policy: Some(l.shown.clone()),
        })
        .collect();
    for folder in &folders {
        let deployment = folder.path.join("deployment");
        if deployment.is_dir() {
            layers::load_files(
                folder,
                &deployment,
                None,
                &mut next,
                &mut layers,
                &mut found,
            );
        }
    }
    for folder in &folders {
        let environments = Folder {
            path: folder.path.join("environments"),
            confined_to: root.clone(),
            policy: folder.policy.clone(),
        };
        layers::load_environments(&environments, &envs, &mut next, &mut layers, &mut found);
    }
    // Diagnostics in a policy file name the project that read it.
    out.extend(found.into_iter().map(|d| Diagnostic {
        message: messages::through_policy(&d.message, &layers.project),
        ..d
    }));
    let own = layers::load(dir, Some(&manifest.root), &mut next, out);
    layers.overlays.extend(own.overlays);
    layers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_paths_join_relative_to_the_folder_that_says_them() {
        assert_eq!(join_shown(".", "../platform-policy"), "../platform-policy");
        assert_eq!(join_shown("../p", "../q"), "../q");
        assert_eq!(join_shown("../p", "base"), "../p/base");
        assert_eq!(join_shown("../../a/b", "../../c"), "../../c");
        assert_eq!(join_shown("sub", ".."), ".");
        assert_eq!(
            shown_folder(Path::new("examples/node-api"), "../platform-policy"),
            PathBuf::from("examples/platform-policy")
        );
        assert_eq!(
            shown_folder(Path::new("/r/p"), "../q"),
            PathBuf::from("/r/q")
        );
    }

    #[test]
    fn normalizing_refuses_to_climb_above_the_start() {
        assert_eq!(
            normalize(Path::new("/r/a/../b")),
            Some(PathBuf::from("/r/b"))
        );
        assert_eq!(normalize(Path::new("a/../..")), None);
    }
}

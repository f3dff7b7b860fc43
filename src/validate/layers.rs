//! Environment overlays: `config/environments/<env>/<file>.yaml` is a partial
//! copy of one of the nine policy files (same top-level key), deep-merged over
//! the base file for that environment only ([`crate::load::layer::merge`]).
//!
//! Each overlay is a layer with its own byte addresses, so the merged tree
//! keeps every value's own file: the schema pass, the typed pass and the rules
//! run on an environment's merged documents unchanged, and [`Layers::rehome`]
//! moves each diagnostic to the file its span is in.

use std::collections::BTreeSet;
use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::load::layer::{self, merge};
use crate::load::{
    self, Document, Node, NodeKind, PathSegment, ReadError, Source, SourceFile, Span,
};
use crate::messages;
use crate::model::FileKind;

/// The folder of the overlays, one subfolder per environment.
pub const ENVIRONMENTS_DIR: &str = "config/environments";

/// At most this many environment folders, and files in each, are read.
const MAX_ENTRIES: usize = 64;

/// One layer file: an environment's overlay, or a file of a shared policy
/// folder the project extends ([`super::policy`]).
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Its layer (its spans live in that layer's addresses).
    pub layer: u16,
    /// The file it overlays.
    pub kind: FileKind,
    /// The environment it overlays; `None` for a policy folder's base file.
    pub env: Option<String>,
    /// The policy folder it is in, as shown (relative to the project:
    /// `../platform-policy`); `None` for the project's own overlays.
    pub policy: Option<String>,
    /// Its source, and its tree in the layer's addresses.
    pub doc: Document,
}

impl Overlay {
    /// The path shown for it, relative to the project.
    #[must_use]
    pub fn relative_path(&self) -> String {
        let file = format!("{}.yaml", self.kind.name());
        match (&self.policy, &self.env) {
            (None, Some(env)) => format!("{ENVIRONMENTS_DIR}/{env}/{file}"),
            (None, None) => self.kind.relative_path().to_owned(),
            (Some(folder), Some(env)) => format!("{folder}/environments/{env}/{file}"),
            (Some(folder), None) => format!("{folder}/deployment/{file}"),
        }
    }
}

/// Every layer file of a project besides its base files: its environments'
/// overlays and the files of the policy folders it extends.
#[derive(Debug, Default, Clone)]
pub struct Layers {
    /// Lowest first: within an environment, the policy folders' overlays
    /// (the farthest folder of the chain first), then the project's own.
    pub overlays: Vec<Overlay>,
    /// The project's name, which diagnostics in a policy file give.
    pub project: String,
}

impl Layers {
    /// The overlay holding layer `layer`.
    #[must_use]
    pub fn get(&self, layer: u16) -> Option<&Overlay> {
        self.overlays.iter().find(|o| o.layer == layer)
    }

    /// The overlays of one environment, lowest first.
    pub fn of(&self, env: &str) -> impl Iterator<Item = &Overlay> {
        self.overlays
            .iter()
            .filter(move |o| o.env.as_deref() == Some(env))
    }

    /// The base files of the policy folders, lowest first.
    pub fn policy_bases(&self) -> impl Iterator<Item = &Overlay> {
        self.overlays.iter().filter(|o| o.env.is_none())
    }

    /// The environments that have at least one overlay.
    #[must_use]
    pub fn environments(&self) -> BTreeSet<&str> {
        self.overlays
            .iter()
            .filter_map(|o| o.env.as_deref())
            .collect()
    }

    /// A source and span, moved to the overlay file the span is in.
    #[must_use]
    pub fn place(&self, source: &Source, span: Span) -> (Source, Span) {
        match layer::split(span) {
            (0, _) => (source.clone(), span),
            (n, local) => match self.get(n) {
                Some(o) => (o.doc.source.clone(), local),
                None => (source.clone(), Span::new(0, 0)),
            },
        }
    }

    /// The diagnostic with its location and related places in their own files.
    #[must_use]
    pub fn rehome(&self, mut d: Diagnostic) -> Diagnostic {
        if let Some((source, span)) = &d.location {
            if self
                .get(layer::split(*span).0)
                .is_some_and(|o| o.policy.is_some())
            {
                d.message = messages::through_policy(&d.message, &self.project);
            }
            d.location = Some(self.place(source, *span));
        }
        for r in &mut d.related {
            let (source, span) = self.place(&r.source, r.span);
            r.source = source;
            r.span = span;
        }
        d
    }
}

/// The environment names the manifest declares (the keys of `environments`).
pub(super) fn declared(manifest: Option<&Node>) -> Vec<String> {
    match manifest
        .and_then(|m| m.entry("environments"))
        .map(|e| &e.value.kind)
    {
        Some(NodeKind::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
        _ => Vec::new(),
    }
}

/// An error about a path (a folder or a file) rather than a value in it.
fn at_path(code: &'static str, path: &Path, message: String) -> Diagnostic {
    Diagnostic {
        location: Some((
            SourceFile::new(path.display().to_string(), String::new()),
            Span::new(0, 0),
        )),
        ..Diagnostic::unlocated(code, message)
    }
}

/// The sorted entries of a folder, at most [`MAX_ENTRIES`] (more is an error).
fn entries(path: &Path, out: &mut Vec<Diagnostic>) -> Vec<(String, std::fs::Metadata)> {
    let Ok(read) = std::fs::read_dir(path) else {
        out.push(at_path(
            "overlay::unreadable",
            path,
            messages::overlay_unreadable(&path.display().to_string()),
        ));
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in read.flatten() {
        if found.len() == MAX_ENTRIES {
            out.push(at_path(
                "overlay::too-many",
                path,
                messages::overlay_too_many(&path.display().to_string(), MAX_ENTRIES),
            ));
            break;
        }
        // Never follow a link: its metadata is the link's own.
        if let Ok(meta) = std::fs::symlink_metadata(entry.path()) {
            found.push((entry.file_name().to_string_lossy().into_owned(), meta));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Finds and loads every overlay of the project in `dir`; problems with the
/// folders and files (an undeclared environment, a file cfgen does not read,
/// a file that does not load) are pushed to `out`. Layers are numbered from
/// `*next` on.
pub fn load(
    dir: &Path,
    manifest: Option<&Node>,
    next: &mut u16,
    out: &mut Vec<Diagnostic>,
) -> Layers {
    let mut layers = Layers::default();
    let envs = declared(manifest);
    let from = Folder {
        path: dir.join(ENVIRONMENTS_DIR),
        confined_to: dir.to_path_buf(),
        policy: None,
    };
    load_environments(&from, &envs, next, &mut layers, out);
    layers
}

/// A folder of environment folders, and where its files may lead.
pub(super) struct Folder {
    /// The folder (`config/environments`, or a policy's `environments`).
    pub path: std::path::PathBuf,
    /// Files are read only when they resolve inside this folder.
    pub confined_to: std::path::PathBuf,
    /// The policy folder as shown, or `None` for the project's own.
    pub policy: Option<String>,
}

/// The overlays under `from`, one folder per environment, appended to `layers`.
/// A project's folder for an environment it does not declare is an error; a
/// policy folder's is skipped (a policy serves projects with other environments).
pub(super) fn load_environments(
    from: &Folder,
    envs: &[String],
    next: &mut u16,
    layers: &mut Layers,
    out: &mut Vec<Diagnostic>,
) {
    let root = &from.path;
    let Ok(meta) = std::fs::symlink_metadata(root) else {
        return;
    };
    if !meta.is_dir() {
        out.push(at_path(
            "overlay::not-a-folder",
            root,
            messages::overlay_not_a_folder(&root.display().to_string()),
        ));
        return;
    }
    for (env, meta) in entries(root, out) {
        let folder = root.join(&env);
        if !meta.is_dir() {
            out.push(at_path(
                "overlay::not-a-folder",
                &folder,
                messages::overlay_not_a_folder(&folder.display().to_string()),
            ));
            continue;
        }
        if !envs.contains(&env) {
            if from.policy.is_some() {
                continue;
            }
            let fix = crate::diagnostics::closest(&env, envs.iter().map(String::as_str));
            out.push(
                at_path(
                    "overlay::unknown-environment",
                    &folder,
                    messages::overlay_unknown_environment(&env),
                )
                .with_help(messages::overlay_unknown_environment_help(
                    &env,
                    fix.as_deref(),
                )),
            );
            continue;
        }
        load_files(from, &folder, Some(&env), next, layers, out);
    }
}

/// The config files in `folder` (an environment's overlays, or a policy's
/// `deployment/`), appended to `layers`; anything else that is YAML is an error.
pub(super) fn load_files(
    from: &Folder,
    folder: &Path,
    env: Option<&str>,
    next: &mut u16,
    layers: &mut Layers,
    out: &mut Vec<Diagnostic>,
) {
    let names: Vec<String> = FileKind::ALL
        .iter()
        .filter(|k| **k != FileKind::Manifest)
        .map(|k| format!("{}.yaml", k.name()))
        .collect();
    for (file, meta) in entries(folder, out) {
        let path = folder.join(&file);
        let is_yaml = file.ends_with(".yaml") || file.ends_with(".yml");
        if !is_yaml && meta.is_file() {
            continue; // a README or notes beside the overlays
        }
        let Some(kind) = FileKind::ALL
            .into_iter()
            .find(|k| *k != FileKind::Manifest && format!("{}.yaml", k.name()) == file)
        else {
            let fix = crate::diagnostics::closest(&file, names.iter().map(String::as_str));
            let message = match env {
                Some(env) => messages::overlay_unknown_file(&file, env),
                None => messages::policy_unknown_file(&file),
            };
            out.push(
                at_path("overlay::unknown-file", &path, message)
                    .with_help(messages::overlay_unknown_file_help(&file, fix.as_deref())),
            );
            continue;
        };
        match load::load_file(Some(&from.confined_to), &path) {
            Ok((doc, errors)) => {
                out.extend(
                    errors
                        .iter()
                        .map(|e| super::load_diagnostic(&doc.source, e)),
                );
                let Document { source, root } = doc;
                layers.overlays.push(Overlay {
                    layer: *next,
                    kind,
                    env: env.map(str::to_owned),
                    policy: from.policy.clone(),
                    doc: Document {
                        source,
                        root: root.in_layer(*next),
                    },
                });
                *next = next.saturating_add(1).min(layer::DEFAULTS - 1);
            }
            Err(ReadError::Load(source, errors)) => {
                out.extend(errors.iter().map(|e| super::load_diagnostic(&source, e)));
            }
            Err(ReadError::Io(e)) => out.push(Diagnostic::unlocated(
                "io",
                messages::read_failed(&path.display().to_string(), &e),
            )),
        }
    }
}

/// The documents of environment `env`: each base file with the
/// environment's overlays of it merged in, lowest first.
#[must_use]
pub fn documents_for(
    base: &super::Documents,
    layers: &Layers,
    env: &str,
    dir: &Path,
) -> super::Documents {
    stack(base, &layers.of(env).collect::<Vec<_>>(), dir)
}

/// `base` with each of `overs` merged in, in order. A file with an overlay
/// but no base file is its overlays alone (the rest is its defaults).
#[must_use]
pub fn stack(base: &super::Documents, overs: &[&Overlay], dir: &Path) -> super::Documents {
    let mut docs = super::Documents::default();
    for kind in FileKind::ALL {
        let mut doc = base.get(kind).cloned();
        for o in overs.iter().filter(|o| o.kind == kind) {
            doc = Some(match doc {
                Some(b) => Document {
                    source: b.source,
                    root: merge(b.root, o.doc.root.clone()),
                },
                None => Document {
                    // Located through the base path, so that rules asking for the
                    // file find it; every span is the overlay's.
                    source: SourceFile::new(dir.join(kind.relative_path()), String::new()),
                    root: o.doc.root.clone(),
                },
            });
        }
        if let Some(doc) = doc {
            docs.insert(kind, doc);
        }
    }
    docs
}

/// The path of the node at exactly `span` in `root`, if one is there.
#[must_use]
pub fn path_of(root: &Node, span: Span) -> Option<Vec<PathSegment>> {
    fn walk(node: &Node, span: Span, path: &mut Vec<PathSegment>) -> bool {
        if node.span == span {
            return true;
        }
        match &node.kind {
            NodeKind::Map(entries) => entries.iter().any(|e| {
                path.push(PathSegment::Key(e.key.clone()));
                let found = e.key_span == span || walk(&e.value, span, path);
                if !found {
                    path.pop();
                }
                found
            }),
            NodeKind::Seq(items) => items.iter().enumerate().any(|(i, n)| {
                path.push(PathSegment::Index(i));
                let found = walk(n, span, path);
                if !found {
                    path.pop();
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = Vec::new();
    walk(root, span, &mut path).then_some(path)
}

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

/// One overlay file of an environment.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Its layer (its spans live in that layer's addresses).
    pub layer: u16,
    /// The file it overlays.
    pub kind: FileKind,
    /// The environment.
    pub env: String,
    /// Its source, and its tree in the layer's addresses.
    pub doc: Document,
}

impl Overlay {
    /// The path shown for it, relative to the project.
    #[must_use]
    pub fn relative_path(&self) -> String {
        format!("{ENVIRONMENTS_DIR}/{}/{}.yaml", self.env, self.kind.name())
    }
}

/// Every overlay of a project.
#[derive(Debug, Default, Clone)]
pub struct Layers {
    /// In environment, then file order.
    pub overlays: Vec<Overlay>,
}

impl Layers {
    /// The overlay holding layer `layer`.
    #[must_use]
    pub fn get(&self, layer: u16) -> Option<&Overlay> {
        self.overlays.iter().find(|o| o.layer == layer)
    }

    /// The overlays of one environment.
    pub fn of(&self, env: &str) -> impl Iterator<Item = &Overlay> {
        self.overlays.iter().filter(move |o| o.env == env)
    }

    /// The environments that have at least one overlay.
    #[must_use]
    pub fn environments(&self) -> BTreeSet<&str> {
        self.overlays.iter().map(|o| o.env.as_str()).collect()
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
fn declared(manifest: Option<&Node>) -> Vec<String> {
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
/// a file that does not load) are pushed to `out`.
pub fn load(dir: &Path, manifest: Option<&Node>, out: &mut Vec<Diagnostic>) -> Layers {
    let mut layers = Layers::default();
    let root = dir.join(ENVIRONMENTS_DIR);
    let Ok(meta) = std::fs::symlink_metadata(&root) else {
        return layers;
    };
    if !meta.is_dir() {
        out.push(at_path(
            "overlay::not-a-folder",
            &root,
            messages::overlay_not_a_folder(&root.display().to_string()),
        ));
        return layers;
    }
    let envs = declared(manifest);
    let names: Vec<String> = FileKind::ALL
        .iter()
        .filter(|k| **k != FileKind::Manifest)
        .map(|k| format!("{}.yaml", k.name()))
        .collect();
    let mut next: u16 = 1;
    for (env, meta) in entries(&root, out) {
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
        for (file, meta) in entries(&folder, out) {
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
                out.push(
                    at_path(
                        "overlay::unknown-file",
                        &path,
                        messages::overlay_unknown_file(&file, &env),
                    )
                    .with_help(messages::overlay_unknown_file_help(&file, fix.as_deref())),
                );
                continue;
            };
            match load::load_file(Some(dir), &path) {
                Ok((doc, errors)) => {
                    out.extend(
                        errors
                            .iter()
                            .map(|e| super::load_diagnostic(&doc.source, e)),
                    );
                    let Document { source, root } = doc;
                    layers.overlays.push(Overlay {
                        layer: next,
                        kind,
                        env: env.clone(),
                        doc: Document {
                            source,
                            root: root.in_layer(next),
                        },
                    });
                    next = next.saturating_add(1).min(layer::DEFAULTS - 1);
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
    layers
}

/// The documents of environment `env`: each base file with the
/// environment's overlay of it merged in. A file with an overlay but no
/// base file is the overlay alone (the rest is its defaults).
#[must_use]
pub fn documents_for(
    base: &super::Documents,
    layers: &Layers,
    env: &str,
    dir: &Path,
) -> super::Documents {
    let mut docs = super::Documents::default();
    for kind in FileKind::ALL {
        let over = layers.of(env).find(|o| o.kind == kind);
        let doc = match (base.get(kind), over) {
            (Some(b), Some(o)) => Document {
                source: b.source.clone(),
                root: merge(b.root.clone(), o.doc.root.clone()),
            },
            (Some(b), None) => Document {
                source: b.source.clone(),
                root: b.root.clone(),
            },
            (None, Some(o)) => Document {
                // Located through the base path, so that rules asking for the
                // file find it; every span is the overlay's.
                source: SourceFile::new(dir.join(kind.relative_path()), String::new()),
                root: o.doc.root.clone(),
            },
            (None, None) => continue,
        };
        docs.insert(kind, doc);
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

//! Stage 3: validate. For one project:
//!
//! 1. load each of the ten files ([`crate::load`]);
//! 2. check each against its JSON Schema, reporting every error at its source ([`schema`]);
//! 3. deserialize into the typed model ([`typed`]);
//! 4. run the cross-file rules ([`rules`]), each a function;
//! 5. mark the warnings the manifest accepts ([`accept`]).
//!
//! Stages 3 and 4 run only when the earlier ones found no error, so each
//! mistake is reported once, by the stage that explains it best.
//!
//! Stage 3 is tried first ([`typed::first`]): when it decides that every
//! document passes its schema, stage 2 is skipped and no schema compiles. The
//! schemas run, as above, only when it refuses a document or cannot decide.

pub mod accept;
mod environments;
pub mod layers;
pub mod policy;
pub mod rules;
pub mod schema;
pub mod typed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::load::{self, Document, PathSegment, ReadError, Source, SourceFile, Span};
use crate::messages;
use crate::model::{Config, FileKind};
use layers::Layers;

/// The loaded files of a project, by kind.
#[derive(Debug, Default, Clone)]
pub struct Documents {
    docs: BTreeMap<FileKind, Document>,
}

impl Documents {
    /// Adds (or replaces) the document of a kind.
    pub fn insert(&mut self, kind: FileKind, doc: Document) {
        self.docs.insert(kind, doc);
    }

    /// The document of a kind, to change in memory (`cfgen explain`).
    pub fn get_mut(&mut self, kind: FileKind) -> Option<&mut Document> {
        self.docs.get_mut(&kind)
    }

    /// The document of a kind, if it loaded.
    #[must_use]
    pub fn get(&self, kind: FileKind) -> Option<&Document> {
        self.docs.get(&kind)
    }

    /// The source and span of the value at `path` in the file of `kind`, or of
    /// its key with `key` set. A path that does not exist points at the
    /// deepest part that does.
    ///
    /// A file that was not loaded (an absent policy file) locates at the top
    /// of the manifest, which is always there; rules avoid asking for one.
    #[must_use]
    pub fn locate(&self, kind: FileKind, path: &[PathSegment], key: bool) -> (Source, Span) {
        match self
            .docs
            .get(&kind)
            .or_else(|| self.docs.get(&FileKind::Manifest))
        {
            Some(doc) if doc.source.path().ends_with(kind.relative_path()) => {
                (doc.source.clone(), doc.root.locate(path, key).0)
            }
            Some(doc) => (doc.source.clone(), Span::new(0, 0)),
            None => (
                SourceFile::new(kind.relative_path(), String::new()),
                Span::new(0, 0),
            ),
        }
    }
}

/// A project that passed validation.
#[derive(Debug)]
pub struct Project {
    /// Folder holding `cfgen.yaml`.
    pub dir: PathBuf,
    /// The typed configuration.
    pub config: Config,
    /// The loaded files, for locating values in later stages.
    pub documents: Documents,
    /// The environments' overlay files (`config/environments/<env>/`).
    pub layers: Layers,
    /// Each environment that has overlays, validated as a project of its own
    /// (its config is the base with its overlays merged in).
    pub environments: BTreeMap<String, Project>,
    /// The plan, made once ([`Project::plan`]): validation plans to check that
    /// every overlay value is read, and the build renders the same plan.
    planned: std::sync::OnceLock<crate::plan::Plan>,
}

impl Project {
    /// An environment's project: its merged documents and config, no overlays of its own.
    pub(super) fn environment(dir: &Path, config: Config, documents: Documents) -> Self {
        Self {
            dir: dir.to_path_buf(),
            config,
            documents,
            layers: Layers::default(),
            environments: BTreeMap::new(),
            planned: std::sync::OnceLock::new(),
        }
    }

    /// What to generate for this project, planned on first use.
    #[must_use]
    pub fn plan(&self) -> &crate::plan::Plan {
        self.planned.get_or_init(|| crate::plan::plan(self))
    }

    /// The configuration environment `env` deploys with: its own when it
    /// has overlays, else the base.
    #[must_use]
    pub fn config_for(&self, env: &str) -> &Config {
        self.environments
            .get(env)
            .map_or(&self.config, |p| &p.config)
    }

    /// The project as environment `env` sees it (see [`Project::config_for`]).
    #[must_use]
    pub fn for_environment(&self, env: &str) -> &Self {
        self.environments.get(env).unwrap_or(self)
    }

    /// The path shown for the file a value at `span` of `kind` is in: the
    /// base file's or an overlay's, relative to the project.
    #[must_use]
    pub fn file_of(&self, kind: FileKind, span: Span) -> String {
        match self.layers.get(load::layer::split(span).0) {
            Some(overlay) => overlay.relative_path(),
            None => kind.relative_path().to_owned(),
        }
    }
}

/// The project of `dir` from documents and overlays already loaded (and
/// possibly changed in memory, as `cfgen explain` does): the typed passes
/// only, no schema or rules. `None` when a value no longer deserializes.
#[must_use]
pub fn rebuild(dir: &Path, documents: Documents, layers: Layers) -> Option<Project> {
    let config = typed::build(&documents).ok()?;
    let mut environments = BTreeMap::new();
    for env in layers.environments() {
        let docs = layers::documents_for(&documents, &layers, env, dir);
        let config = typed::build(&docs).ok()?;
        environments.insert(env.to_owned(), Project::environment(dir, config, docs));
    }
    Some(Project {
        dir: dir.to_path_buf(),
        config,
        documents,
        layers,
        environments,
        planned: std::sync::OnceLock::new(),
    })
}

/// What validating one project found.
#[derive(Debug)]
pub struct Outcome {
    /// Every error and warning, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The project, when there is no error.
    pub project: Option<Project>,
    /// Whether a file could not be read for a reason other than its content (exit code 2).
    pub io_failure: bool,
}

/// Validates the project whose manifest is `dir/cfgen.yaml`.
#[must_use]
pub fn check_project(dir: &Path) -> Outcome {
    let mut diagnostics = Vec::new();
    let mut own = Documents::default();
    let mut io_failure = false;
    for kind in FileKind::ALL {
        let path = dir.join(kind.relative_path());
        match load::load_file(Some(dir), &path) {
            Ok((doc, errors)) => {
                diagnostics.extend(errors.iter().map(|e| load_diagnostic(&doc.source, e)));
                own.docs.insert(kind, doc);
            }
            Err(ReadError::Load(source, errors)) => {
                diagnostics.extend(errors.iter().map(|e| load_diagnostic(&source, e)));
            }
            // Every policy file is optional: an absent one means its defaults.
            Err(ReadError::Io(e))
                if e.kind() == std::io::ErrorKind::NotFound && kind != FileKind::Manifest => {}
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                diagnostics.push(missing_file(&own, dir, kind));
            }
            Err(ReadError::Io(e)) => {
                io_failure = true;
                diagnostics.push(Diagnostic::unlocated(
                    "io",
                    messages::read_failed(&path.display().to_string(), &e),
                ));
            }
        }
    }
    let layers = policy::load_layers(dir, own.get(FileKind::Manifest), &mut diagnostics);
    // The project's base files over the policy folders' (lowest first).
    let documents = with_policy(&own, &layers, dir);
    // What moves a base diagnostic to the policy file its value is in.
    let placing = Layers {
        overlays: layers.policy_bases().cloned().collect(),
        project: layers.project.clone(),
    };
    let load_ok = diagnostics.iter().all(|d| !d.is_error());
    let built = match load_ok.then(|| typed::first(&documents)).flatten() {
        // The schemas would find nothing: only the empty files' warnings.
        Some(config) => {
            let empty = documents
                .docs
                .iter()
                .filter_map(|(k, d)| schema::empty(*k, d));
            diagnostics.extend(empty);
            Some(Ok(config))
        }
        None => {
            for (kind, doc) in &documents.docs {
                diagnostics.extend(schema::check(*kind, doc));
            }
            (load_ok && diagnostics.iter().all(|d| !d.is_error())).then(|| typed::build(&documents))
        }
    };
    let mut project = None;
    if let Some(built) = built {
        match built {
            Ok(config) => {
                diagnostics.extend(rules::check(&rules::Ctx {
                    config: &config,
                    documents: &documents,
                    dir,
                    environment: None,
                }));
                let base_ok = diagnostics.iter().all(|d| !d.is_error());
                let (environments, found) =
                    environments::check(dir, &documents, &layers, &diagnostics);
                diagnostics.extend(found);
                let candidate = Project {
                    dir: dir.to_path_buf(),
                    config,
                    documents,
                    layers,
                    environments,
                    planned: std::sync::OnceLock::new(),
                };
                if base_ok && diagnostics.iter().all(|d| !d.is_error()) {
                    diagnostics.extend(environments::honoured(&candidate));
                }
                accept::apply(
                    &candidate.config,
                    &candidate.documents,
                    dir,
                    &mut diagnostics,
                );
                if diagnostics.iter().all(|d| !d.is_error()) {
                    project = Some(candidate);
                }
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    // Values set by a policy folder are reported in its files.
    let mut diagnostics: Vec<Diagnostic> =
        diagnostics.into_iter().map(|d| placing.rehome(d)).collect();
    diagnostics.sort_by_key(Diagnostic::sort_key);
    Outcome {
        diagnostics,
        project,
        io_failure,
    }
}

/// The base documents: each policy folder's base file (lowest first), then
/// the project's own over them. Without policy, the project's files as read.
fn with_policy(own: &Documents, layers: &Layers, dir: &Path) -> Documents {
    let mut docs = layers::stack(
        &Documents::default(),
        &layers.policy_bases().collect::<Vec<_>>(),
        dir,
    );
    for (kind, doc) in &own.docs {
        let merged = match docs.get(*kind) {
            Some(policy) => Document {
                source: doc.source.clone(),
                root: load::layer::merge(policy.root.clone(), doc.root.clone()),
            },
            None => doc.clone(),
        };
        docs.insert(*kind, merged);
    }
    docs
}

pub(super) fn load_diagnostic(source: &Source, error: &load::LoadError) -> Diagnostic {
    let (message, label, help) = messages::load_error(&error.kind);
    let mut d = Diagnostic::error("load", message, source, error.span)
        .with_label(label)
        .with_help_opt(help);
    if let load::LoadErrorKind::DuplicateKey { first, .. } = &error.kind {
        d = d.with_related(source, *first, "first given here");
    }
    d
}

fn missing_file(documents: &Documents, dir: &Path, kind: FileKind) -> Diagnostic {
    let shown = dir.join(kind.relative_path()).display().to_string();
    let message = messages::missing_file(&shown);
    let help = kind.top_key().map(messages::missing_file_help);
    match documents.get(FileKind::Manifest) {
        // Point at the manifest that makes this folder a project.
        Some(manifest) if kind != FileKind::Manifest => {
            Diagnostic::error("missing-file", message, &manifest.source, Span::new(0, 0))
                .with_label("this project needs the file")
                .with_help_opt(help)
        }
        _ => Diagnostic {
            location: Some((SourceFile::new(shown, String::new()), Span::new(0, 0))),
            ..Diagnostic::unlocated("missing-file", message).with_help_opt(help)
        },
    }
}

//! Typed patches: the escape hatch below templates. `patches:` in cfgen.yaml
//! (the project's, then each environment's) change generated objects after
//! they are rendered: a Kubernetes object by kind and name, a compose service
//! by its key, as a JSON merge patch or a strategic-merge-like patch (see
//! [`merge`]). The patched object is checked against its type, written back
//! in cfgen's style (see [`emit`]) and its patch values are recorded like
//! every other config value, so the `# Source:` header and `cfgen explain`
//! name cfgen.yaml for it.

pub mod emit;
pub mod merge;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::Path;

use merge::{Mode, Val};

use crate::diagnostics::Diagnostic;
use crate::load::{Node, NodeKind, Source, Span};
use crate::model::FileKind;
use crate::model::manifest::Patch;
use crate::plan::{Artifact, Check};
use crate::provenance::{Origin, Reads, Tracked};
use crate::validate::Project;

/// What a patch targets.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    /// A Kubernetes object by `kind` and `metadata.name`.
    Object(&'a Tracked<String>, &'a Tracked<String>),
    /// A compose service by its key.
    Service(&'a Tracked<String>),
}

/// One patch of cfgen.yaml, with the nodes it was read from.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// Its position among all patches (project first, then environments by name).
    pub index: usize,
    /// The environment whose patch it is (`None`: the project's).
    env: Option<&'a str>,
    target: Target<'a>,
    mode: Mode,
    /// The merge or strategic value in cfgen.yaml.
    body: &'a Node,
    /// The `merge` or `strategic` key.
    body_key: Span,
    /// The `target` mapping's value.
    target_span: Span,
}

impl Spec<'_> {
    /// The target as shown: `Deployment/node-api-web`, `compose service web`.
    fn shown(&self) -> String {
        match self.target {
            Target::Object(kind, name) => format!("`{}/{}`", kind.peek(), name.peek()),
            Target::Service(s) => format!("the compose service `{}`", s.peek()),
        }
    }

    /// Whether this patch applies to `artifact` at all (before its objects are read).
    fn scoped_to(&self, artifact: &Artifact) -> bool {
        match (self.target, artifact.check) {
            (Target::Object(..), Check::Kubernetes) => {
                self.env.is_none() || self.env == artifact.environment.as_deref()
            }
            (Target::Service(_), Check::Compose) => self.env.is_none(),
            _ => false,
        }
    }

    /// Notes every value of the patch as read.
    fn note_reads(&self) {
        let file = FileKind::Manifest.id();
        let note = |span: Span| crate::provenance::note_input(Origin::Input(file, span));
        match self.target {
            Target::Object(kind, name) => {
                let _ = (kind.as_str(), name.as_str());
            }
            Target::Service(service) => {
                let _ = service.as_str();
            }
        }
        leaves(self.body, &mut |n| note(n.span));
    }
}

/// Calls `f` on every scalar of `node`.
fn leaves<'a>(node: &'a Node, f: &mut impl FnMut(&'a Node)) {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().for_each(|e| leaves(&e.value, f)),
        NodeKind::Seq(items) => items.iter().for_each(|n| leaves(n, f)),
        _ => f(node),
    }
}

/// The entry of the tree whose value is at exactly `span`.
fn entry_at(root: &Node, span: Span) -> Option<&crate::load::Entry> {
    match &root.kind {
        NodeKind::Map(entries) => entries.iter().find_map(|e| {
            if e.value.span == span {
                Some(e)
            } else {
                entry_at(&e.value, span)
            }
        }),
        NodeKind::Seq(items) => items.iter().find_map(|n| entry_at(n, span)),
        _ => None,
    }
}

/// The manifest's source and tree.
fn manifest(project: &Project) -> Option<(&Source, &Node)> {
    let doc = project.documents.get(FileKind::Manifest)?;
    Some((&doc.source, &doc.root))
}

fn span_of<T>(t: &Tracked<T>) -> Option<Span> {
    match t.origin() {
        Origin::Input(_, span) => Some(span),
        Origin::Default => None,
    }
}

/// Whether cfgen.yaml has any patch (the project's or an environment's):
/// without one, nothing needs rendering to check them.
#[must_use]
pub fn declared(project: &Project) -> bool {
    let manifest = &project.config.manifest;
    !manifest.patches.is_empty()
        || manifest
            .environments
            .values()
            .any(|e| !e.patches.is_empty())
}

/// Whether one of `specs` may target an object of `artifact` (by its
/// family and environment, before its text is read).
#[must_use]
pub fn may_target(specs: &[Spec<'_>], artifact: &Artifact) -> bool {
    specs.iter().any(|s| s.scoped_to(artifact))
}

/// Every patch of the project, in the order they apply.
///
/// # Errors
/// A patch with both or neither mode, a target that is neither an object nor
/// a service, a service patched by an environment, a body that is not a mapping.
pub fn specs(project: &Project) -> Result<Vec<Spec<'_>>, Box<Diagnostic>> {
    let manifest_model = &project.config.manifest;
    let mut all: Vec<(Option<&str>, &Patch)> =
        manifest_model.patches.iter().map(|p| (None, p)).collect();
    for (env, e) in &manifest_model.environments {
        all.extend(e.patches.iter().map(|p| (Some(env.as_str()), p)));
    }
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let Some((source, root)) = manifest(project) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (index, (env, patch)) in all.into_iter().enumerate() {
        let target_span = [
            &patch.target.kind,
            &patch.target.name,
            &patch.target.service,
        ]
        .into_iter()
        .flatten()
        .filter_map(span_of)
        .min_by_key(|s| s.start)
        .and_then(|s| {
            // the `target:` mapping around its first key
            fn around(root: &Node, inner: Span) -> Option<Span> {
                match &root.kind {
                    NodeKind::Map(entries) => entries.iter().find_map(|e| {
                        let v = &e.value;
                        if matches!(v.kind, NodeKind::Map(_))
                            && e.key == "target"
                            && v.span.start <= inner.start
                            && inner.end <= v.span.end
                        {
                            Some(e.key_span)
                        } else {
                            around(v, inner)
                        }
                    }),
                    NodeKind::Seq(items) => items.iter().find_map(|n| around(n, inner)),
                    _ => None,
                }
            }
            around(root, s)
        })
        .unwrap_or_default();
        let (mode, tracked) = match (&patch.merge, &patch.strategic) {
            (Some(m), None) => (Mode::Merge, m),
            (None, Some(s)) => (Mode::Strategic, s),
            (both, _) => {
                return Err(Box::new(
                    Diagnostic::error(
                        "patch::mode",
                        crate::messages::patch_mode(both.is_some()),
                        source,
                        target_span,
                    )
                    .with_label("this patch")
                    .with_help(crate::messages::PATCH_MODE_HELP),
                ));
            }
        };
        let Some(entry) = span_of(tracked).and_then(|s| entry_at(root, s)) else {
            continue;
        };
        let target = match (
            &patch.target.kind,
            &patch.target.name,
            &patch.target.service,
        ) {
            (Some(kind), Some(name), None) => Target::Object(kind, name),
            (None, None, Some(service)) => Target::Service(service),
            _ => {
                return Err(Box::new(
                    Diagnostic::error(
                        "patch::target",
                        crate::messages::PATCH_TARGET,
                        source,
                        target_span,
                    )
                    .with_label("this target")
                    .with_help(crate::messages::PATCH_TARGET_HELP),
                ));
            }
        };
        if env.is_some() && matches!(target, Target::Service(_)) {
            return Err(Box::new(
                Diagnostic::error(
                    "patch::target",
                    crate::messages::PATCH_ENV_SERVICE,
                    source,
                    target_span,
                )
                .with_label("a compose service")
                .with_help(crate::messages::PATCH_ENV_SERVICE_HELP),
            ));
        }
        if !matches!(entry.value.kind, NodeKind::Map(_)) {
            return Err(Box::new(
                Diagnostic::error(
                    "patch::body",
                    crate::messages::PATCH_NOT_A_MAP,
                    source,
                    entry.value.span,
                )
                .with_label(format!("{}, not a mapping", entry.value.type_name()))
                .with_help(crate::messages::PATCH_MODE_HELP),
            ));
        }
        out.push(Spec {
            index,
            env,
            target,
            mode,
            body: &entry.value,
            body_key: entry.key_span,
            target_span,
        });
    }
    Ok(out)
}

/// A patched artifact.
#[derive(Debug)]
pub struct Applied {
    /// Its text.
    pub text: String,
    /// The patch values it read.
    pub reads: Reads,
    /// The patches applied ([`Spec::index`]).
    pub applied: Vec<usize>,
}

/// The rendered object of a Kubernetes artifact: its kind and name.
fn object_id(root: &Node) -> Option<(&str, &str)> {
    let kind = match &root.entry("kind")?.value.kind {
        NodeKind::Str(s) => s.as_str(),
        _ => return None,
    };
    let name = match &root.entry("metadata")?.value.entry("name")?.value.kind {
        NodeKind::Str(s) => s.as_str(),
        _ => return None,
    };
    Some((kind, name))
}

fn parse(artifact: &Artifact, text: &str) -> Option<Node> {
    match crate::load::load_bytes(Path::new(&artifact.path), text.as_bytes().to_vec()) {
        Ok((doc, errors)) if errors.is_empty() => Some(doc.root),
        _ => None,
    }
}

/// Whether `spec` targets the object (or holds the service) of `root`.
fn matches(spec: &Spec<'_>, root: &Node) -> bool {
    match spec.target {
        Target::Object(kind, name) => {
            object_id(root) == Some((kind.peek().as_str(), name.peek().as_str()))
        }
        Target::Service(service) => root
            .entry("services")
            .and_then(|s| s.value.entry(service.peek()))
            .is_some(),
    }
}

/// The fields of a Kubernetes object a patch must not touch: a key of
/// `body` (the patch, at the object's top) that changes one, and what.
fn owned_field<'a>(body: &'a Node, object: &Node) -> Option<(&'a crate::load::Entry, String)> {
    for e in match &body.kind {
        NodeKind::Map(e) => e.as_slice(),
        _ => &[],
    } {
        match e.key.as_str() {
            "apiVersion" | "kind" => return Some((e, e.key.clone())),
            "metadata" => {
                let NodeKind::Map(meta) = &e.value.kind else {
                    return Some((e, "metadata".into()));
                };
                for m in meta {
                    match m.key.as_str() {
                        "name" | "namespace" => return Some((m, format!("metadata.{}", m.key))),
                        "labels" => {
                            let owned = object
                                .entry("metadata")
                                .and_then(|o| o.value.entry("labels"));
                            let NodeKind::Map(labels) = &m.value.kind else {
                                return Some((m, "metadata.labels".into()));
                            };
                            for l in labels {
                                if owned.is_some_and(|o| o.value.entry(&l.key).is_some()) {
                                    return Some((l, format!("metadata.labels.{}", l.key)));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The patches of `specs` that `artifact` takes, applied to its rendered `text`.
///
/// # Errors
/// A patch that changes a field cfgen owns, or after which the object is not
/// valid for its type: located at the patch in cfgen.yaml.
pub fn apply(
    project: &Project,
    specs: &[Spec<'_>],
    artifact: &Artifact,
    text: &str,
) -> Result<Option<Applied>, Box<Diagnostic>> {
    let scoped: Vec<&Spec<'_>> = specs.iter().filter(|s| s.scoped_to(artifact)).collect();
    if scoped.is_empty() {
        return Ok(None);
    }
    let Some(root) = parse(artifact, text) else {
        return Ok(None);
    };
    let taken: Vec<&Spec<'_>> = scoped.into_iter().filter(|s| matches(s, &root)).collect();
    if taken.is_empty() {
        return Ok(None);
    }
    let Some((source, _)) = manifest(project) else {
        return Ok(None);
    };
    let mut val = Val::Orig(&root);
    for spec in &taken {
        val = match spec.target {
            Target::Object(..) => {
                if let Some((entry, field)) = owned_field(spec.body, &root) {
                    return Err(Box::new(
                        Diagnostic::error(
                            "patch::owned",
                            crate::messages::patch_owned(&field),
                            source,
                            entry.key_span,
                        )
                        .with_label("owned by cfgen")
                        .with_help(crate::messages::PATCH_OWNED_HELP),
                    ));
                }
                merge::merge(Some(val), spec.body, None, spec.mode)
                    .unwrap_or(Val::Map(None, Vec::new()))
            }
            Target::Service(service) => patch_service(val, service.peek(), spec),
        };
        let json = val.to_json();
        let checked = match artifact.check {
            Check::Compose => crate::verify::compose::validate(&json),
            _ => crate::verify::kubernetes::validate(&json),
        };
        if let Err(detail) = checked {
            return Err(Box::new(
                Diagnostic::error(
                    "patch::invalid",
                    crate::messages::patch_invalid(&spec.shown(), &artifact.path),
                    source,
                    spec.body_key,
                )
                .with_label(detail)
                .with_help(crate::messages::PATCH_INVALID_HELP),
            ));
        }
    }
    let patched = emit::Text::new(text).document(&root, &val);
    let wrote_right = parse(artifact, &patched).is_some_and(|n| n.to_json() == val.to_json());
    if !wrote_right {
        return Err(Box::new(Diagnostic::unlocated(
            "patch::write",
            crate::messages::patch_written_wrong(&artifact.path),
        )));
    }
    let ((), reads) = crate::provenance::record(|| taken.iter().for_each(|s| s.note_reads()));
    Ok(Some(Applied {
        text: patched,
        reads,
        applied: taken.iter().map(|s| s.index).collect(),
    }))
}

/// `spec` merged over the compose service `service` of `val` (the file).
fn patch_service<'a>(val: Val<'a>, service: &str, spec: &Spec<'a>) -> Val<'a> {
    let is_map = match &val {
        Val::Orig(node) => matches!(node.kind, NodeKind::Map(_)),
        Val::Map(..) => true,
        Val::Seq(_) | Val::New(_) => false,
    };
    if !is_map {
        return val;
    }
    let (orig, mut entries) = merge::entries_of(Some(val));
    if let Some((_, services)) = entries.iter_mut().find(|(k, _)| k == "services") {
        let (sorig, mut sentries) = merge::entries_of(Some(services.clone()));
        if let Some((_, svc)) = sentries.iter_mut().find(|(k, _)| k == service)
            && let Some(v) = merge::merge(Some(svc.clone()), spec.body, None, spec.mode)
        {
            *svc = v;
        }
        *services = Val::Map(sorig, sentries);
    }
    Val::Map(orig, entries)
}

/// Every value of every patch, as read (patches are never unused: one that
/// matches nothing is an error).
#[must_use]
pub fn reads(specs: &[Spec<'_>]) -> Reads {
    crate::provenance::record(|| specs.iter().for_each(Spec::note_reads)).1
}

/// An object of the patch's name but another kind, when there is one: the
/// Rollout a blue-green release renders instead of a Deployment first, then
/// the kind spelled closest.
fn same_name(spec: &Spec<'_>, names: &[String]) -> Option<String> {
    let Target::Object(kind, name) = spec.target else {
        return None;
    };
    let suffix = format!("/{}`", name.peek());
    let kind_of = |n: &String| {
        n.trim_start_matches('`')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    names
        .iter()
        .filter(|n| n.ends_with(&suffix))
        .max_by(|a, b| {
            let score = |n: &String| {
                let k = kind_of(n);
                let rollout = kind.peek() == "Deployment" && k == "Rollout";
                (rollout, strsim::jaro_winkler(kind.peek(), &k))
            };
            let (ra, sa) = score(a);
            let (rb, sb) = score(b);
            ra.cmp(&rb).then(sa.total_cmp(&sb))
        })
        .cloned()
}

/// The first patch that matched no object of this run, as an error.
///
/// # Errors
/// A patch whose target matches no generated object, with the closest names.
pub fn unmatched(
    project: &Project,
    specs: &[Spec<'_>],
    rendered: &[(&Artifact, &str)],
    applied: &BTreeSet<usize>,
) -> Result<(), Box<Diagnostic>> {
    let Some((source, _)) = manifest(project) else {
        return Ok(());
    };
    for spec in specs.iter().filter(|s| !applied.contains(&s.index)) {
        let scope: Vec<&(&Artifact, &str)> =
            rendered.iter().filter(|(a, _)| spec.scoped_to(a)).collect();
        if scope.is_empty() {
            // this run rendered nothing the patch could target (`--env`, `--target`)
            continue;
        }
        let mut names: Vec<String> = Vec::new();
        for (artifact, text) in &scope {
            let Some(root) = parse(artifact, text) else {
                continue;
            };
            match spec.target {
                Target::Object(..) => {
                    if let Some((k, n)) = object_id(&root) {
                        names.push(format!("`{k}/{n}`"));
                    }
                }
                Target::Service(_) => {
                    if let Some(NodeKind::Map(services)) =
                        root.entry("services").map(|s| &s.value.kind)
                    {
                        names.extend(
                            services
                                .iter()
                                .map(|s| format!("the compose service `{}`", s.key)),
                        );
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        let shown = spec.shown();
        let closest = same_name(spec, &names)
            .or_else(|| crate::diagnostics::closest(&shown, names.iter().map(String::as_str)));
        let some: Vec<String> = names.iter().take(5).cloned().collect();
        return Err(Box::new(
            Diagnostic::error(
                "patch::no-target",
                crate::messages::patch_no_target(&shown, spec.env),
                source,
                spec.target_span,
            )
            .with_label("matches nothing cfgen generates")
            .with_help(crate::messages::patch_no_target_help(
                closest.as_deref(),
                &some,
            )),
        ));
    }
    Ok(())
}

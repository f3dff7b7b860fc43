//! The build's use of the incremental cache ([`crate::cache`]): before a project is
//! validated, its record is looked up; a record whose key matches and whose output folder
//! is as recorded replays the project's result, anything else takes the full path, which
//! records its result when the output ends up exactly as rendered.

use std::path::{Path, PathBuf};

use super::BuildArgs;
use crate::cache::key::{self, Context, Excluded, Known, Snapshot};
use crate::cache::replay::Replay;
use crate::cache::{Cache, Record};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::report::{ProjectReport, Unused};
use crate::emit::{self, stamp};
use crate::generate::Output;
use crate::load::{Source, Span};

/// A project replayed from its record.
#[derive(Debug)]
pub(super) struct Hit {
    /// The output folder.
    pub folder: emit::Folder,
    /// The generated files (paths relative to the folder).
    pub files: Vec<String>,
}

/// A project that takes the full path, and what recording its result needs.
#[derive(Debug)]
pub(super) struct Pending {
    slot: PathBuf,
    /// The project folder as it was before the build read it (nothing left out).
    before: Snapshot,
}

/// What the lookup found.
pub(super) enum Looked {
    /// The record holds: the report to show, the workflow anchor, the folder and files.
    Hit(Box<ProjectReport>, Option<(Source, Span)>, Hit),
    /// Take the full path; record its result when this holds a pending record.
    Miss(Option<Pending>),
}

/// The options that change what a project's build renders or says, with its path as shown.
fn context(args: &BuildArgs, dir: &Path) -> Context {
    let targets: Vec<&str> = args.targets.iter().map(|t| t.name()).collect();
    Context {
        options: format!(
            "path={}\0env={:?}\0targets={targets:?}\0deny={}\0templates={:?}",
            dir.display(),
            args.env,
            args.output.deny_warnings,
            args.templates,
        ),
        templates: args.templates.clone(),
    }
}

/// Looks the project in `dir` up in `cache`.
pub(super) fn look(cache: &Cache, args: &BuildArgs, dir: &Path) -> Looked {
    let context = context(args, dir);
    let slot = cache.slot(dir, &context.options);
    let record = cache.load(&slot);
    if let Some(record) = &record
        && let Some(hit) = replay(cache, &slot, &context, dir, record)
    {
        return hit;
    }
    // A record that no longer holds still knows the hashes of the unchanged files.
    let known = record
        .as_ref()
        .map_or_else(Known::none, |r| Known::of(&r.inputs, r.made));
    Looked::Miss(
        key::snapshot(dir, &Excluded::default(), &known).map(|before| Pending { slot, before }),
    )
}

/// The replay of `record`, when its key matches and the output folder holds what it says.
fn replay(
    cache: &Cache,
    slot: &Path,
    context: &Context,
    dir: &Path,
    record: &Record,
) -> Option<Looked> {
    let made = stamp::now();
    let known = Known::of(&record.inputs, record.made);
    let snapshot = key::snapshot(dir, &record.excluded, &known)?;
    if key::key(dir, context, &snapshot)? != record.key {
        return None;
    }
    let folder = emit::Folder::of_project(dir, &record.output).ok()?;
    let stamp::Verified::Same(found, refreshed) =
        stamp::verify(&folder, &record.files, record.made)
    else {
        return None;
    };
    let restored = record.replay.restore()?;
    let files: Vec<String> = record
        .files
        .iter()
        .skip(1)
        .map(|t| t.path.clone())
        .collect();
    let report = ProjectReport {
        path: dir.display().to_string(),
        name: record.replay.name.clone(),
        output: record.replay.output.clone(),
        diagnostics: restored.diagnostics,
        files: None,
        unused: restored.unused,
        diff: String::new(),
    };
    if refreshed || snapshot.inputs() != record.inputs.as_slice() {
        // Files re-hashed because their status changed (or was too fresh to trust):
        // record what was found, so the next run trusts their status.
        cache.store(
            slot,
            &Record {
                made,
                files: found,
                inputs: snapshot.inputs().to_vec(),
                ..record.clone()
            },
        );
    }
    Some(Looked::Hit(
        Box::new(report),
        restored.anchor,
        Hit { folder, files },
    ))
}

/// What a project's full path produced, to record.
pub(super) struct Done<'a> {
    pub dir: &'a Path,
    pub output: &'a Output,
    pub folder: &'a emit::Folder,
    pub report: &'a ProjectReport,
    /// How many of the report's diagnostics come from validating and rendering (those
    /// after them are about the folder's state before this run, not replayed).
    pub base: usize,
    pub anchor: Option<&'a (Source, Span)>,
}

/// The output folder and generated files of `done`, relative to the project folder.
fn excluded(done: &Done<'_>, output_value: &str) -> Excluded {
    let folder: Vec<&str> = output_value
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let folder = folder.join("/");
    let canonical = std::fs::canonicalize(done.dir).ok();
    let files = done
        .output
        .files
        .keys()
        .filter_map(|rel| {
            if !emit::Folder::is_root_file(rel) {
                return Some(format!("{folder}/{rel}"));
            }
            let path = done.folder.file_path(rel);
            let below = path.strip_prefix(canonical.as_ref()?).ok()?;
            below.to_str().map(|s| s.replace('\\', "/"))
        })
        .collect();
    Excluded {
        folder: Some(folder),
        files,
    }
}

/// Records `done` in `cache` (the output folder holds exactly its output, as written or
/// found up to date); nothing when the project changed while it was built, or any part
/// cannot be recorded. `made` was taken before the folder was compared.
pub(super) fn remember(
    cache: &Cache,
    args: &BuildArgs,
    pending: &Pending,
    done: &Done<'_>,
    output_value: &str,
    made: [i64; 2],
) -> bool {
    if done.report.diagnostics.iter().any(Diagnostic::is_error) {
        return false;
    }
    let excluded = excluded(done, output_value);
    let Ok(Some(files)) = stamp::stamps(done.output, done.folder) else {
        return false;
    };
    // The hashes of files unchanged since the lookup walked them are reused.
    let Some(after) = key::snapshot(done.dir, &excluded, &pending.before.known()) else {
        return false;
    };
    if !pending.before.without(&excluded).same(&after) {
        return false;
    }
    let Some(key) = key::key(done.dir, &context(args, done.dir), &after) else {
        return false;
    };
    let unused: &[Unused] = &done.report.unused;
    let replay = Replay::new(
        done.report.name.clone(),
        done.report.output.clone(),
        &done.report.diagnostics[..done.base],
        unused,
        done.anchor,
    );
    cache.store(
        &pending.slot,
        &Record {
            build: key::BUILD_ID.to_owned(),
            key,
            made,
            output: output_value.to_owned(),
            excluded,
            inputs: after.inputs().to_vec(),
            files,
            replay,
        },
    )
}

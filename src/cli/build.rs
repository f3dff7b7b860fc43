//! `cfgen build [PATH…]` and `cfgen diff [PATH…]`.

use std::path::PathBuf;

use super::console::Console;
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs, output};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::report::{Files, ProjectReport, RunReport, Stale, Unused};
use crate::emit::{self, Change};
use crate::generate::{Output, generate};
use crate::load::SourceFile;
use crate::messages;
use crate::model::manifest::Target;
use crate::render::Renderer;
use crate::validate::check_project;

/// Arguments of `cfgen build` and `cfgen diff`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Projects to build: folders searched for `cfgen.yaml`, or files inside a project
    /// (its enclosing project); `-` reads these paths from stdin, one per line (default: `.`).
    pub paths: Vec<PathBuf>,
    /// Write into this folder instead of the manifest's `output` (one project only).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Build only this environment's per-environment artifacts (nothing is pruned).
    #[arg(long, value_name = "NAME", value_hint = clap::ValueHint::Other,
          add = clap_complete::engine::ArgValueCompleter::new(super::complete::environments))]
    pub env: Option<String>,
    /// Build only this artifact family (repeatable): image, compose, kubernetes, monitoring,
    /// workflow, scripts or checklist. The run writes, compares and prunes only its families.
    #[arg(long = "target", value_name = "FAMILY", value_parser = parse_target)]
    pub targets: Vec<Target>,
    /// Write nothing; exit 1 with a unified diff when the output on disk is stale.
    #[arg(long)]
    pub check: bool,
    /// Folder of template overrides: a file here replaces the built-in template of the same relative name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// List every config value that influences no artifact, with the reason (default: their count).
    #[arg(long)]
    pub unused: bool,
    /// Build only shard K of N (1 <= K <= N): a stable 1/N of the projects, chosen by a hash
    /// of each project's path, for a CI matrix of N jobs.
    #[arg(long, value_name = "K/N", value_parser = super::shard::parse)]
    pub shard: Option<super::shard::Shard>,
    #[command(flatten)]
    output: OutputArgs,
}

/// A `--target` name.
fn parse_target(s: &str) -> Result<Target, String> {
    Target::ALL
        .into_iter()
        .find(|t| t.name() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
            match crate::diagnostics::closest(s, names.iter().copied()) {
                Some(near) => format!("no family `{s}`; did you mean `{near}`?"),
                None => format!("no family `{s}`; the families are {}", names.join(", ")),
            }
        })
}

/// What the command does after rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write (or, with `--check`, compare).
    Build,
    /// Print the diff; exit 0 (1 with `--check` when stale).
    Diff,
}

/// What one worker found for one project.
struct ProjectResult {
    report: ProjectReport,
    io_failure: bool,
    /// `--env` or `--target` asks for what the project does not have.
    usage_error: Option<Diagnostic>,
    /// The verified output and its output folder.
    output: Option<(Output, emit::Folder)>,
    /// Where errors about the repository-root workflow point: the manifest's
    /// `workflow.repository_root`, or its `name` (the workflow is `<name>-deploy.yml`).
    anchor: Option<(crate::load::Source, crate::load::Span)>,
}

/// Validates, plans, renders, verifies and compares one project (no writes).
fn build_project(args: &BuildArgs, renderer: &Renderer, dir: &std::path::Path) -> ProjectResult {
    let outcome = check_project(dir);
    let deny = args.output.deny_warnings;
    let mut result = ProjectResult {
        report: ProjectReport {
            path: dir.display().to_string(),
            diagnostics: outcome
                .diagnostics
                .into_iter()
                .map(|d| if deny { d.denied() } else { d })
                .collect(),
            ..ProjectReport::default()
        },
        io_failure: outcome.io_failure,
        usage_error: None,
        output: None,
        anchor: None,
    };
    let Some(project) = outcome.project else {
        return result;
    };
    let manifest = &project.config.manifest;
    result.report.name = Some(manifest.name.peek().to_string());
    let keys: &[&str] = if manifest
        .workflow
        .as_ref()
        .is_some_and(|w| w.repository_root.is_some())
    {
        &["workflow", "repository_root"]
    } else {
        &["name"]
    };
    let keys: Vec<crate::load::PathSegment> = keys
        .iter()
        .map(|k| crate::load::PathSegment::Key((*k).to_owned()))
        .collect();
    result.anchor = Some(
        project
            .documents
            .locate(crate::model::FileKind::Manifest, &keys, false),
    );
    if result.report.diagnostics.iter().any(Diagnostic::is_error) {
        return result;
    }
    if let Some(env) = &args.env
        && !manifest.environments.keys().any(|k| k.as_str() == env)
    {
        let names: Vec<String> = manifest
            .environments
            .keys()
            .map(|k| k.as_str().to_owned())
            .collect();
        let shown = dir.join(crate::model::MANIFEST_FILE).display().to_string();
        result.usage_error = Some(Diagnostic::unlocated(
            "usage",
            messages::no_environment(env, &shown, &names),
        ));
        return result;
    }
    if let Some(t) = args.targets.iter().find(|t| !manifest.wants(**t)) {
        result.usage_error = Some(Diagnostic::unlocated(
            "usage",
            format!(
                "the project `{}` renders no `{}` artifacts (cfgen.yaml `targets`, or a family that does not apply)",
                manifest.name.peek(),
                t.name()
            ),
        ));
        return result;
    }
    let selection = crate::generate::Selection {
        environment: args.env.clone(),
        targets: args.targets.clone(),
    };
    let folder = match &args.out {
        Some(out) => emit::Folder::trusted(out),
        None => match emit::Folder::of_project(dir, &manifest.output) {
            Ok(folder) => folder,
            Err(e) => {
                result
                    .report
                    .diagnostics
                    .push(Diagnostic::unlocated("emit::outside", e.message()));
                return result;
            }
        },
    };
    result.report.output = Some(folder.shown().display().to_string());
    match generate(&project, renderer, args.out.as_deref(), &selection) {
        Ok(output) => {
            for u in crate::usage::unused(&project, &output.reads) {
                if let Some(doc) = project.documents.get(u.kind) {
                    // A value of a policy folder is in that folder's file.
                    let (source, span) = project.layers.place(&doc.source, u.span);
                    let (line, column) = source.line_col(span.start);
                    result.report.unused.push(Unused {
                        file: source.path().display().to_string(),
                        line,
                        column,
                        path: u.path,
                        reason: u.reason,
                    });
                }
            }
            result.output = Some((output, folder));
        }
        Err(d) => result.report.diagnostics.push(*d),
    }
    result
}

/// The diagnostic of an emit failure, and whether it is an I/O failure (exit 2)
/// rather than a refusal of what the folder holds (exit 1).
fn emit_failure(e: &emit::EmitError) -> (Diagnostic, bool) {
    match e {
        emit::EmitError::Io { .. } => (Diagnostic::unlocated("io", e.message()), true),
        emit::EmitError::NotRegular { .. } => (
            Diagnostic::unlocated("emit::not-regular", e.message())
                .with_help(messages::NOT_REGULAR_OUTPUT_HELP),
            false,
        ),
        emit::EmitError::Outside { .. } => {
            (Diagnostic::unlocated("emit::outside", e.message()), false)
        }
    }
}

/// The diagnostics of manifest lines cfgen refuses to act on.
fn bad_entries(folder: &emit::Folder, comparison: &emit::Comparison) -> Vec<Diagnostic> {
    if comparison.bad_entries.is_empty() {
        return Vec::new();
    }
    let source = SourceFile::new(
        folder.shown().join(emit::MANIFEST_NAME),
        comparison.manifest_text.clone(),
    );
    comparison
        .bad_entries
        .iter()
        .map(|b| {
            Diagnostic::error(
                "emit::manifest-entry",
                messages::bad_manifest_entry(&b.path, b.reason),
                &source,
                b.span,
            )
            .with_label(messages::BAD_MANIFEST_ENTRY_LABEL)
            .with_help(messages::BAD_MANIFEST_ENTRY_HELP)
        })
        .collect()
}

/// The warnings of listed files cfgen no longer generates and leaves in place.
fn kept(folder: &emit::Folder, comparison: &emit::Comparison) -> Vec<Diagnostic> {
    comparison
        .kept
        .iter()
        .map(|(rel, why)| {
            let why = match why {
                emit::KeptBecause::Changed => messages::KEPT_CHANGED.to_owned(),
                emit::KeptBecause::NoHash => messages::KEPT_NO_HASH.to_owned(),
                emit::KeptBecause::NotRegular(kind) => format!("it is {}", kind.words()),
            };
            let path = path_in(folder, rel);
            Diagnostic {
                severity: crate::diagnostics::Severity::Warning,
                ..Diagnostic::unlocated("emit::kept", messages::kept(&path, &why))
            }
        })
        .collect()
}

/// The shown path of `rel` in `folder`.
fn path_in(folder: &emit::Folder, rel: &str) -> String {
    rel.split('/')
        .fold(folder.shown(), |p, c| p.join(c))
        .display()
        .to_string()
}

/// One change as a unified diff, and its name in the report.
fn change_text(output: &Output, change: &Change) -> (String, &'static str, String) {
    match change {
        Change::Added(rel) => (
            rel.clone(),
            "added",
            similar::TextDiff::from_lines("", output.files[rel].text.as_str())
                .unified_diff()
                .header("/dev/null", &format!("b/{rel}"))
                .to_string(),
        ),
        Change::Modified(rel, diff) => (rel.clone(), "modified", diff.clone()),
        Change::Mode {
            path,
            found,
            wanted,
        } => (
            path.clone(),
            "mode",
            format!("--- a/{path}\n+++ b/{path}\n(mode {found:03o} -> {wanted:03o})\n"),
        ),
        Change::Removed(rel) => (
            rel.clone(),
            "pruned",
            format!("--- a/{rel}\n+++ /dev/null\n(pruned: no longer generated)\n"),
        ),
        Change::Leftover(rel) => (
            rel.clone(),
            "leftover",
            format!(
                "--- a/{rel}\n+++ /dev/null\n(removed: a temporary file an interrupted build left)\n"
            ),
        ),
    }
}

/// The files of a comparison: what is unchanged, adopted and kept, and (when
/// not writing) what is stale, with the diff and, with `--check`, one error per stale file.
fn files_of(
    output: &Output,
    folder: &emit::Folder,
    comparison: &emit::Comparison,
    project: &mut ProjectReport,
    stale_is_error: bool,
    writing: bool,
) {
    let changed: std::collections::BTreeSet<&str> = comparison
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Added(p) | Change::Modified(p, _) | Change::Mode { path: p, .. } => {
                Some(p.as_str())
            }
            _ => None,
        })
        .collect();
    let mut files = Files {
        unchanged: output
            .files
            .keys()
            .filter(|k| !changed.contains(k.as_str()))
            .cloned()
            .collect(),
        adopted: comparison.adopted.clone(),
        kept: comparison.kept.iter().map(|(p, _)| p.clone()).collect(),
        ..Files::default()
    };
    for change in &comparison.changes {
        let (rel, kind, diff) = change_text(output, change);
        if writing {
            match kind {
                "added" | "modified" => files.written.push(rel),
                "mode" => files.modes_repaired.push(rel),
                "pruned" => files.pruned.push(rel),
                _ => files.swept.push(rel),
            }
            continue;
        }
        project.diff.push_str(&diff);
        if stale_is_error {
            let shown = path_in(folder, &rel);
            project.diagnostics.push(
                Diagnostic::error(
                    output::STALE,
                    messages::stale_file(&shown, kind),
                    &SourceFile::new(&shown, String::new()),
                    crate::load::Span::new(0, 0),
                )
                .with_help(messages::STALE_FILE_HELP),
            );
        }
        files.stale.push(Stale {
            path: rel,
            change: kind,
        });
    }
    project.files = Some(files);
}

/// Runs the command.
pub fn run(args: &BuildArgs, mode: Mode, console: &Console) -> i32 {
    let mut report = RunReport {
        command: if mode == Mode::Build { "build" } else { "diff" },
        check: args.check,
        ..RunReport::default()
    };
    let code = execute(args, mode, console, &mut report);
    report.exit_code = code;
    output::finish(report, args.output.format, console, args.unused)
}

/// A usage error of the run.
fn usage(report: &mut RunReport, message: String) -> i32 {
    report
        .diagnostics
        .push(Diagnostic::unlocated("usage", message));
    EXIT_USAGE
}

/// Does the work, filling `report`; returns the exit code.
#[allow(clippy::too_many_lines)]
fn execute(args: &BuildArgs, mode: Mode, console: &Console, report: &mut RunReport) -> i32 {
    let projects: Vec<PathBuf> = match super::paths::find_projects(&args.paths) {
        Ok(p) => match args.shard {
            Some(shard) => p.into_iter().filter(|dir| shard.holds(dir)).collect(),
            None => p,
        },
        Err(d) => {
            report.diagnostics.push(*d);
            return EXIT_USAGE;
        }
    };
    // Compile, on another core while this one loads the first project, the
    // config schemas of the files the first project has (last file first,
    // meeting this thread, which checks from the first). Every other schema,
    // the vendored compose and workflow ones included, compiles on first use:
    // a project without policy files or without those targets (the
    // like-for-like benchmark's) never pays for them (BENCHMARKS.md).
    if let Some(first) = projects.first() {
        let first = first.clone();
        std::thread::spawn(move || crate::validate::schema::warm(&first));
    }
    if args.out.is_some() && projects.len() > 1 {
        return usage(
            report,
            "`--out` needs exactly one project; found several".into(),
        );
    }
    if let Some(dir) = &args.templates
        && !dir.is_dir()
    {
        return usage(report, messages::no_such_path(&dir.display().to_string()));
    }
    let renderer = match Renderer::new(args.templates.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            report.diagnostics.push(
                Diagnostic::unlocated("render", e.message("-"))
                    .with_help(messages::template_fault_help(e.overridden)),
            );
            return EXIT_INVALID;
        }
    };
    // Validate, render, verify and compare everything in memory first, one
    // project per core at a time: any failure writes nothing.
    let progress = (projects.len() >= 20
        && console.level >= super::console::Level::Normal
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| {
        let bar = indicatif::ProgressBar::new(projects.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} projects {msg}")
        {
            bar.set_style(style);
        }
        bar
    });
    let results = crate::parallel::map(&projects, |dir| {
        let result = build_project(args, &renderer, dir);
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        result
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    // Each project's index in the report, verified output and output folder.
    let mut built: Vec<(usize, Output, emit::Folder)> = Vec::new();
    let mut anchors = std::collections::BTreeMap::new();
    let mut io_failure = false;
    for result in results {
        if let Some(anchor) = result.anchor {
            anchors.insert(report.projects.len(), anchor);
        }
        io_failure |= result.io_failure;
        if let Some(usage) = result.usage_error {
            report.diagnostics.push(usage);
            return EXIT_USAGE;
        }
        if let Some((output, folder)) = result.output {
            built.push((report.projects.len(), output, folder));
        }
        report.projects.push(result.report);
    }
    if io_failure {
        return EXIT_USAGE;
    }
    if report.errors() > 0 {
        return EXIT_INVALID;
    }
    if collisions(&built, &anchors, report) {
        return EXIT_INVALID;
    }
    let writing = mode == Mode::Build && !args.check;
    // A build locks every output folder before it reads one, in one order in
    // every process (so two builds never wait on each other in a circle);
    // `--check` and `diff` create nothing and wait on a running build's lock.
    let mut locks: Vec<Option<emit::Locked>> = built.iter().map(|_| None).collect();
    let abandon = |locks: Vec<Option<emit::Locked>>| {
        for l in locks.into_iter().flatten() {
            l.abandon();
        }
    };
    if writing {
        let mut order: Vec<usize> = (0..built.len()).collect();
        order.sort_by_cached_key(|&i| built[i].2.lock_order());
        for i in order {
            let shown = built[i].2.shown().display().to_string();
            match emit::lock(&built[i].2, || {
                console.say(&messages::waiting_for_lock(&shown));
            }) {
                Ok(l) => locks[i] = Some(l),
                Err(e) => {
                    let (d, io) = emit_failure(&e);
                    report.projects[built[i].0].diagnostics.push(d);
                    abandon(locks);
                    return if io { EXIT_USAGE } else { EXIT_INVALID };
                }
            }
        }
    }
    let indices: Vec<usize> = (0..built.len()).collect();
    let compared = crate::parallel::map(&indices, |&i| {
        let (_, output, folder) = &built[i];
        emit::compare(output, folder, locks[i].as_ref().map(emit::Locked::lock))
    });
    let deny = args.output.deny_warnings;
    let mut comparisons = Vec::new();
    let mut failure_code = None;
    for ((index, output, folder), c) in built.iter().zip(compared) {
        let project = &mut report.projects[*index];
        match c {
            Ok(c) => {
                project.diagnostics.extend(bad_entries(folder, &c));
                project.diagnostics.extend(
                    kept(folder, &c)
                        .into_iter()
                        .map(|d| if deny { d.denied() } else { d }),
                );
                files_of(output, folder, &c, project, args.check, writing);
                comparisons.push(c);
            }
            Err(e) => {
                let (d, io) = emit_failure(&e);
                project.diagnostics.push(d);
                failure_code = Some(if io { EXIT_USAGE } else { EXIT_INVALID });
                comparisons.push(emit::Comparison::default());
            }
        }
    }
    if failure_code.is_none() && report.errors() > 0 {
        failure_code = Some(EXIT_INVALID);
    }
    if let Some(code) = failure_code {
        abandon(locks);
        return code;
    }
    if !writing {
        let stale = report.count(|f| f.stale.len());
        return if args.check && stale > 0 {
            EXIT_INVALID
        } else {
            EXIT_OK
        };
    }
    let mut foreign = false;
    for ((index, _, _), comparison) in built.iter().zip(&comparisons) {
        for p in &comparison.foreign {
            foreign = true;
            let d = match anchors.get(index) {
                Some((source, span)) if comparison.foreign_root.contains(p) => Diagnostic::error(
                    "emit::foreign-workflow",
                    messages::workflow::workflow_not_ours(p),
                    source,
                    *span,
                )
                .with_label(messages::workflow::WORKFLOW_NOT_OURS_LABEL)
                .with_help(messages::workflow::WORKFLOW_NOT_OURS_HELP),
                _ => Diagnostic::unlocated("emit::foreign", messages::not_ours(p))
                    .with_help(messages::NOT_OURS_HELP),
            };
            report.projects[*index].diagnostics.push(d);
        }
    }
    if foreign {
        abandon(locks);
        return EXIT_INVALID;
    }
    for (((index, output, folder), comparison), locked) in
        built.iter().zip(&comparisons).zip(&locks)
    {
        let Some(locked) = locked else { continue };
        if let Err(e) = emit::write(output, folder, comparison, locked) {
            let (d, io) = emit_failure(&e);
            report.projects[*index].diagnostics.push(d);
            return if io { EXIT_USAGE } else { EXIT_INVALID };
        }
    }
    EXIT_OK
}

/// Reports, at each project's manifest, two projects of the run that write the same
/// repository-root workflow; true when there are any.
fn collisions(
    built: &[(usize, Output, emit::Folder)],
    anchors: &std::collections::BTreeMap<usize, (crate::load::Source, crate::load::Span)>,
    report: &mut RunReport,
) -> bool {
    let mut owners: std::collections::BTreeMap<PathBuf, usize> = std::collections::BTreeMap::new();
    let mut found = Vec::new();
    for (index, output, folder) in built {
        for rel in output
            .files
            .keys()
            .filter(|r| emit::Folder::is_root_file(r))
        {
            let path = folder.file_path(rel);
            match owners.get(&path) {
                Some(&other) => {
                    found.push((*index, other, path.clone()));
                    found.push((other, *index, path));
                }
                None => {
                    owners.insert(path, *index);
                }
            }
        }
    }
    for (index, other, path) in &found {
        let other_name = report.projects[*other]
            .name
            .clone()
            .unwrap_or_else(|| report.projects[*other].path.clone());
        let message =
            messages::workflow::workflow_collision(&path.display().to_string(), &other_name);
        let d = match anchors.get(index) {
            Some((source, span)) => {
                Diagnostic::error("emit::workflow-collision", message, source, *span)
                    .with_label(messages::workflow::WORKFLOW_COLLISION_LABEL)
            }
            None => Diagnostic::unlocated("emit::workflow-collision", message),
        };
        report.projects[*index]
            .diagnostics
            .push(d.with_help(messages::workflow::WORKFLOW_COLLISION_HELP));
    }
    !found.is_empty()
}

//! `cfgen build [PATH…]` and `cfgen diff [PATH…]`.

mod cached;
mod collisions;
mod files;

use std::path::PathBuf;

use super::console::Console;
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs, output};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::report::{Files, ProjectReport, RunReport, Unused};
use crate::emit;
use crate::generate::{Output, generate};
use crate::messages;
use crate::model::manifest::Target;
use crate::render::Renderer;
use crate::validate::check_project;
use files::{bad_entries, emit_failure, files_of, kept};

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
    /// Validate and render every project, ignoring the incremental-build cache in the
    /// user's cache folder (`CFGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/cfgen`, else
    /// `~/.cache/cfgen`); the cache is then neither read nor written.
    #[arg(long, env = "CFGEN_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
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
    /// The manifest's `output` value.
    output_value: String,
    /// Replayed from the cache: nothing was validated or rendered.
    hit: Option<cached::Hit>,
    /// Took the full path; what recording its result in the cache needs.
    pending: Option<cached::Pending>,
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
        output_value: String::new(),
        hit: None,
        pending: None,
    };
    let Some(project) = outcome.project else {
        return result;
    };
    let manifest = &project.config.manifest;
    result.report.name = Some(manifest.name.peek().to_string());
    result.output_value = manifest.output.to_string();
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
    // The cache first: a project whose record holds is replayed, not built.
    let cache = if args.no_cache || args.out.is_some() {
        None
    } else {
        crate::cache::Cache::open()
    };
    let mut looked: Vec<Option<cached::Looked>> = match &cache {
        Some(c) => crate::parallel::map(&projects, |dir| Some(cached::look(c, args, dir))),
        None => projects.iter().map(|_| None).collect(),
    };
    let misses: Vec<usize> = (0..projects.len())
        .filter(|&i| !matches!(looked[i], Some(cached::Looked::Hit(..))))
        .collect();
    let renderer = if misses.is_empty() {
        None
    } else {
        match Renderer::new(args.templates.as_deref()) {
            Ok(r) => Some(r),
            Err(e) => {
                report.diagnostics.push(
                    Diagnostic::unlocated("render", e.message("-"))
                        .with_help(messages::template_fault_help(e.overridden)),
                );
                return EXIT_INVALID;
            }
        }
    };
    // Validate, render, verify and compare everything in memory first, one
    // project per core at a time: any failure writes nothing.
    let progress = (misses.len() >= 20
        && console.level >= super::console::Level::Normal
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| {
        let bar = indicatif::ProgressBar::new(misses.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} projects {msg}")
        {
            bar.set_style(style);
        }
        bar
    });
    let mut full = crate::parallel::map(&misses, |&i| {
        let renderer = renderer.as_ref().expect("made when a project misses");
        let result = build_project(args, renderer, &projects[i]);
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        result
    })
    .into_iter();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let results = looked.iter_mut().map(|l| match l.take() {
        Some(cached::Looked::Hit(report, anchor, hit)) => ProjectResult {
            report: *report,
            io_failure: false,
            usage_error: None,
            output: None,
            anchor,
            output_value: String::new(),
            hit: Some(hit),
            pending: None,
        },
        Some(cached::Looked::Miss(pending)) => ProjectResult {
            pending,
            ..full.next().expect("one result per miss")
        },
        None => full.next().expect("one result per miss"),
    });
    if cache.is_some() {
        report.replayed = Some(projects.len() - misses.len());
    }
    let mut built: Vec<Built> = Vec::new();
    // Each replayed project's index in the report and repository-root files.
    let mut replayed: Vec<(usize, Vec<PathBuf>)> = Vec::new();
    let mut hit_files: Vec<(usize, Vec<String>)> = Vec::new();
    let mut anchors = std::collections::BTreeMap::new();
    let mut io_failure = false;
    for result in results {
        let index = report.projects.len();
        if let Some(anchor) = result.anchor {
            anchors.insert(index, anchor);
        }
        io_failure |= result.io_failure;
        if let Some(usage) = result.usage_error {
            report.diagnostics.push(usage);
            return EXIT_USAGE;
        }
        if let Some(hit) = result.hit {
            let roots = hit
                .files
                .iter()
                .filter(|r| emit::Folder::is_root_file(r))
                .map(|r| hit.folder.file_path(r))
                .collect();
            replayed.push((index, roots));
            hit_files.push((index, hit.files));
        }
        if let Some((output, folder)) = result.output {
            built.push(Built {
                index,
                dir: projects[index].clone(),
                output,
                folder,
                output_value: result.output_value,
                pending: result.pending,
                base: result.report.diagnostics.len(),
            });
        }
        report.projects.push(result.report);
    }
    if io_failure {
        return EXIT_USAGE;
    }
    if report.errors() > 0 {
        return EXIT_INVALID;
    }
    let mut roots: Vec<(usize, Vec<PathBuf>)> = built
        .iter()
        .map(|b| {
            let paths = b
                .output
                .files
                .keys()
                .filter(|r| emit::Folder::is_root_file(r))
                .map(|r| b.folder.file_path(r))
                .collect();
            (b.index, paths)
        })
        .chain(replayed)
        .collect();
    roots.sort_by_key(|(index, _)| *index);
    if collisions::collisions(&roots, &anchors, report) {
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
        order.sort_by_cached_key(|&i| built[i].folder.lock_order());
        for i in order {
            let shown = built[i].folder.shown().display().to_string();
            match emit::lock(&built[i].folder, || {
                console.say(&messages::waiting_for_lock(&shown));
            }) {
                Ok(l) => locks[i] = Some(l),
                Err(e) => {
                    let (d, io) = emit_failure(&e);
                    report.projects[built[i].index].diagnostics.push(d);
                    abandon(locks);
                    return if io { EXIT_USAGE } else { EXIT_INVALID };
                }
            }
        }
    }
    // Before any output is read: a file changed after this moment is never trusted by
    // its status alone (see `emit::stamp`).
    let made = emit::stamp::now();
    let indices: Vec<usize> = (0..built.len()).collect();
    let compared = crate::parallel::map(&indices, |&i| {
        let b = &built[i];
        emit::compare(
            &b.output,
            &b.folder,
            locks[i].as_ref().map(emit::Locked::lock),
        )
    });
    let deny = args.output.deny_warnings;
    let mut comparisons = Vec::new();
    let mut failure_code = None;
    for (b, c) in built.iter().zip(compared) {
        let project = &mut report.projects[b.index];
        match c {
            Ok(c) => {
                project.diagnostics.extend(bad_entries(&b.folder, &c));
                project.diagnostics.extend(
                    kept(&b.folder, &c)
                        .into_iter()
                        .map(|d| if deny { d.denied() } else { d }),
                );
                files_of(&b.output, &b.folder, &c, project, args.check, writing);
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
    // A replayed project was compared with success: its files are all unchanged.
    for (index, files) in hit_files {
        report.projects[index].files = Some(Files {
            unchanged: files,
            ..Files::default()
        });
    }
    if failure_code.is_none() && report.errors() > 0 {
        failure_code = Some(EXIT_INVALID);
    }
    if let Some(code) = failure_code {
        abandon(locks);
        return code;
    }
    if !writing {
        // Each project found exactly up to date is recorded.
        let clean: Vec<bool> = built
            .iter()
            .zip(&comparisons)
            .map(|(b, c)| c.clean(&b.output))
            .collect();
        remember(
            cache.as_ref(),
            args,
            &mut built,
            &clean,
            made,
            report,
            &anchors,
        );
        let stale = report.count(|f| f.stale.len());
        return if args.check && stale > 0 {
            EXIT_INVALID
        } else {
            EXIT_OK
        };
    }
    let mut foreign = false;
    for (b, comparison) in built.iter().zip(&comparisons) {
        for p in &comparison.foreign {
            foreign = true;
            let d = match anchors.get(&b.index) {
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
            report.projects[b.index].diagnostics.push(d);
        }
    }
    if foreign {
        abandon(locks);
        return EXIT_INVALID;
    }
    for ((b, comparison), locked) in built.iter().zip(&comparisons).zip(&locks) {
        let Some(locked) = locked else { continue };
        if let Err(e) = emit::write(&b.output, &b.folder, comparison, locked) {
            let (d, io) = emit_failure(&e);
            report.projects[b.index].diagnostics.push(d);
            return if io { EXIT_USAGE } else { EXIT_INVALID };
        }
    }
    // Every folder now holds exactly its output (the locks are still held).
    let all = vec![true; built.len()];
    remember(
        cache.as_ref(),
        args,
        &mut built,
        &all,
        made,
        report,
        &anchors,
    );
    EXIT_OK
}

/// A project that took the full path and rendered its output.
struct Built {
    /// Its index in the report.
    index: usize,
    dir: PathBuf,
    output: Output,
    folder: emit::Folder,
    /// The manifest's `output` value.
    output_value: String,
    pending: Option<cached::Pending>,
    /// How many of its diagnostics came from validating and rendering it.
    base: usize,
}

/// Records in the cache each built project whose folder holds exactly its output
/// (`exact`), then trims the cache when anything was recorded.
fn remember(
    cache: Option<&crate::cache::Cache>,
    args: &BuildArgs,
    built: &mut [Built],
    exact: &[bool],
    made: [i64; 2],
    report: &RunReport,
    anchors: &std::collections::BTreeMap<usize, (crate::load::Source, crate::load::Span)>,
) {
    let Some(cache) = cache else { return };
    let work: Vec<(usize, cached::Pending)> = built
        .iter_mut()
        .enumerate()
        .filter(|(i, _)| exact[*i])
        .filter_map(|(i, b)| b.pending.take().map(|p| (i, p)))
        .collect();
    let stored = crate::parallel::map(&work, |(i, pending)| {
        let b = &built[*i];
        let done = cached::Done {
            dir: &b.dir,
            output: &b.output,
            folder: &b.folder,
            report: &report.projects[b.index],
            base: b.base,
            anchor: anchors.get(&b.index),
        };
        cached::remember(cache, args, pending, &done, &b.output_value, made)
    });
    if stored.contains(&true) {
        cache.trim(crate::cache::MAX_TOTAL_BYTES);
    }
}

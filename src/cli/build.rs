//! `cfgen build [PATH…]` and `cfgen diff [PATH…]`.

use std::path::PathBuf;

use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs};
use crate::diagnostics::{Diagnostic, render_all};
use crate::emit::{self, Change};
use crate::generate::{Output, generate};
use crate::messages;
use crate::model::manifest::Target;
use crate::render::Renderer;
use crate::validate::check_project;

/// Arguments of `cfgen build` and `cfgen diff`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Projects to build: folders searched for `cfgen.yaml` (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Write into this folder instead of the manifest's `output` (one project only).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Build only this environment's per-environment artifacts (nothing is pruned).
    #[arg(long, value_name = "NAME")]
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
    /// Print the diff, exit 0.
    Diff,
}

fn report(args: &BuildArgs, diagnostics: &[Diagnostic]) {
    let out = &args.output;
    let text = render_all(diagnostics, out.format, out.color(), out.width());
    match out.format {
        crate::diagnostics::Format::Human => eprint!("{text}"),
        _ => super::stdout(&text),
    }
}

/// Prints `diagnostics` and empties the list; a JSON document is printed
/// once, at the `last` call, so that it holds every diagnostic of the run.
fn flush(args: &BuildArgs, diagnostics: &mut Vec<Diagnostic>, last: bool) {
    let json = args.output.format == crate::diagnostics::Format::Json;
    if (last && json) || (!json && !diagnostics.is_empty()) {
        report(args, diagnostics);
        diagnostics.clear();
    }
}

/// What one worker found for one project.
struct ProjectResult {
    diagnostics: Vec<Diagnostic>,
    io_failure: bool,
    /// `--env` names an environment the project does not have.
    usage_error: Option<Diagnostic>,
    unused_report: Vec<String>,
    /// The project's name, its verified output and its output folder.
    output: Option<(String, Output, emit::Folder)>,
}

/// Validates, plans, renders, verifies and compares one project (no writes).
fn build_project(args: &BuildArgs, renderer: &Renderer, dir: &std::path::Path) -> ProjectResult {
    let outcome = check_project(dir);
    let mut result = ProjectResult {
        diagnostics: outcome.diagnostics,
        io_failure: outcome.io_failure,
        usage_error: None,
        unused_report: Vec::new(),
        output: None,
    };
    let Some(project) = outcome.project else {
        return result;
    };
    if let Some(env) = &args.env
        && !project
            .config
            .manifest
            .environments
            .keys()
            .any(|k| k.as_str() == env)
    {
        result.usage_error = Some(Diagnostic::unlocated(
            "usage",
            format!(
                "no environment `{env}` in `{}`",
                dir.join("cfgen.yaml").display()
            ),
        ));
        return result;
    }
    if let Some(t) = args
        .targets
        .iter()
        .find(|t| !project.config.manifest.wants(**t))
    {
        result.usage_error = Some(Diagnostic::unlocated(
            "usage",
            format!(
                "the project `{}` renders no `{}` artifacts (cfgen.yaml `targets`, or a family that does not apply)",
                project.config.manifest.name.peek(),
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
        None => match emit::Folder::of_project(dir, &project.config.manifest.output) {
            Ok(folder) => folder,
            Err(e) => {
                result
                    .diagnostics
                    .push(Diagnostic::unlocated("emit::outside", e.message()));
                return result;
            }
        },
    };
    match generate(&project, renderer, args.out.as_deref(), &selection) {
        Ok(output) => {
            let unused = crate::usage::unused(&project, &output.reads);
            if !unused.is_empty() {
                result.unused_report.push(messages::unused_heading(
                    project.config.manifest.name.as_str(),
                    unused.len(),
                ));
                for u in unused {
                    if let Some(doc) = project.documents.get(u.kind) {
                        let (line, col) = doc.source.line_col(u.span.start);
                        result.unused_report.push(messages::unused_line(
                            &doc.source.path().display().to_string(),
                            line,
                            col,
                            &u.path,
                            u.reason,
                        ));
                    }
                }
            }
            result.output = Some((project.config.manifest.name.to_string(), output, folder));
        }
        Err(d) => result.diagnostics.push(*d),
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
    let source = crate::load::SourceFile::new(
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

/// Runs the command.
#[allow(clippy::too_many_lines)]
pub fn run(args: &BuildArgs, mode: Mode) -> i32 {
    // Compile the schemas on another core while this one finds and loads the
    // first project: the config schemas first (last file first, meeting this
    // thread, which compiles from the first), then the vendored output schemas.
    std::thread::spawn(|| {
        crate::validate::schema::warm();
        crate::verify::warm();
    });
    let projects = match super::validate::find_projects(args.paths.clone()) {
        Ok(p) => p,
        Err(d) => {
            report(args, &[*d]);
            return EXIT_USAGE;
        }
    };
    if args.out.is_some() && projects.len() > 1 {
        report(
            args,
            &[Diagnostic::unlocated(
                "usage",
                "`--out` needs exactly one project; found several",
            )],
        );
        return EXIT_USAGE;
    }
    if let Some(dir) = &args.templates
        && !dir.is_dir()
    {
        report(
            args,
            &[Diagnostic::unlocated(
                "usage",
                messages::no_such_path(&dir.display().to_string()),
            )],
        );
        return EXIT_USAGE;
    }
    let renderer = match Renderer::new(args.templates.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            report(
                args,
                &[Diagnostic::unlocated("render", e.message("-"))
                    .with_help(messages::template_fault_help(e.overridden))],
            );
            return EXIT_INVALID;
        }
    };
    // Validate, render, verify and compare everything in memory first, one
    // project per core at a time: any failure writes nothing.
    let progress = (projects.len() >= 20 && std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
    let mut diagnostics = Vec::new();
    // Each project's name, verified output and output folder.
    let mut built: Vec<(String, Output, emit::Folder)> = Vec::new();
    let mut unused_report = Vec::new();
    let mut io_failure = false;
    for result in results {
        io_failure |= result.io_failure;
        diagnostics.extend(result.diagnostics);
        if let Some(usage) = result.usage_error {
            report(args, &[usage]);
            return EXIT_USAGE;
        }
        unused_report.extend(result.unused_report);
        built.extend(result.output);
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if io_failure {
        report(args, &diagnostics);
        return EXIT_USAGE;
    }
    if errors > 0 {
        report(args, &diagnostics);
        eprintln!(
            "{}",
            messages::validate_summary(projects.len(), errors, diagnostics.len() - errors)
        );
        return EXIT_INVALID;
    }
    flush(args, &mut diagnostics, false);
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
                eprintln!("{}", messages::waiting_for_lock(&shown));
            }) {
                Ok(l) => locks[i] = Some(l),
                Err(e) => {
                    let (d, io) = emit_failure(&e);
                    diagnostics.push(d);
                    flush(args, &mut diagnostics, true);
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
    let mut comparisons = Vec::new();
    let mut failure_code = None;
    for (i, c) in compared.into_iter().enumerate() {
        match c {
            Ok(c) => {
                diagnostics.extend(bad_entries(&built[i].2, &c));
                comparisons.push(c);
            }
            Err(e) => {
                let (d, io) = emit_failure(&e);
                diagnostics.push(d);
                failure_code = Some(if io { EXIT_USAGE } else { EXIT_INVALID });
                comparisons.push(emit::Comparison::default());
            }
        }
    }
    if failure_code.is_none() && diagnostics.iter().any(Diagnostic::is_error) {
        failure_code = Some(EXIT_INVALID);
    }
    if mode == Mode::Build {
        for line in &unused_report {
            eprintln!("{line}");
        }
    }
    if let Some(code) = failure_code {
        flush(args, &mut diagnostics, true);
        abandon(locks);
        return code;
    }
    for (((_, _, folder), comparison), _) in built.iter().zip(&comparisons).zip(&locks) {
        for (rel, why) in &comparison.kept {
            let why = match why {
                emit::KeptBecause::Changed => messages::KEPT_CHANGED.to_owned(),
                emit::KeptBecause::NoHash => messages::KEPT_NO_HASH.to_owned(),
                emit::KeptBecause::NotRegular(kind) => format!("it is {}", kind.words()),
            };
            let path = rel
                .split('/')
                .fold(folder.shown(), |p, c| p.join(c))
                .display()
                .to_string();
            eprintln!("{}", messages::kept(&path, &why));
        }
    }
    if !writing {
        flush(args, &mut diagnostics, true);
        let mut stale = 0;
        for ((_, output, folder), comparison) in built.iter().zip(&comparisons) {
            for change in &comparison.changes {
                match change {
                    Change::Added(rel) => {
                        let text = &output.files[rel].text;
                        super::stdout(
                            &similar::TextDiff::from_lines("", text.as_str())
                                .unified_diff()
                                .header("/dev/null", &format!("b/{rel}"))
                                .to_string(),
                        );
                    }
                    Change::Modified(_, diff) => super::stdout(diff),
                    Change::Mode {
                        path,
                        found,
                        wanted,
                    } => super::stdout(&format!(
                        "--- a/{path}\n+++ b/{path}\n(mode {found:03o} -> {wanted:03o})\n"
                    )),
                    Change::Removed(rel) => {
                        super::stdout(&format!(
                            "--- a/{rel}\n+++ /dev/null\n(pruned: no longer generated)\n"
                        ));
                    }
                    Change::Leftover(rel) => {
                        super::stdout(&format!(
                            "--- a/{rel}\n+++ /dev/null\n(removed: a temporary file an interrupted build left)\n"
                        ));
                    }
                }
            }
            if !comparison.changes.is_empty() {
                stale += comparison.changes.len();
                eprintln!(
                    "{}",
                    messages::stale_output(
                        comparison.changes.len(),
                        &folder.shown().display().to_string()
                    )
                );
            }
        }
        return if mode == Mode::Build && stale > 0 {
            EXIT_INVALID
        } else {
            EXIT_OK
        };
    }
    let foreign: Vec<Diagnostic> = comparisons
        .iter()
        .flat_map(|c| &c.foreign)
        .map(|p| {
            Diagnostic::unlocated("emit::foreign", messages::not_ours(p))
                .with_help(messages::NOT_OURS_HELP)
        })
        .collect();
    if !foreign.is_empty() {
        diagnostics.extend(foreign);
        flush(args, &mut diagnostics, true);
        abandon(locks);
        return EXIT_INVALID;
    }
    for (((name, output, folder), comparison), locked) in built.iter().zip(&comparisons).zip(&locks)
    {
        let Some(locked) = locked else { continue };
        let shown = folder.shown().display().to_string();
        match emit::write(output, folder, comparison, locked) {
            Ok(s) => {
                if s.swept > 0 {
                    eprintln!("{}", messages::swept(s.swept, &shown));
                }
                if s.modes > 0 {
                    eprintln!("{}", messages::modes_repaired(s.modes, &shown));
                }
                if !comparison.adopted.is_empty() {
                    eprintln!("{}", messages::adopted(name, &shown, &comparison.adopted));
                }
                eprintln!(
                    "{}",
                    messages::build_summary(name, &shown, s.written, s.unchanged, s.pruned)
                );
            }
            Err(e) => {
                let (d, io) = emit_failure(&e);
                diagnostics.push(d);
                flush(args, &mut diagnostics, true);
                return if io { EXIT_USAGE } else { EXIT_INVALID };
            }
        }
    }
    flush(args, &mut diagnostics, true);
    EXIT_OK
}

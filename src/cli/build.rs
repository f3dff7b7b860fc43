//! `cfgen build [PATH…]` and `cfgen diff [PATH…]`.

use std::path::PathBuf;

use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs};
use crate::diagnostics::{Diagnostic, render_all};
use crate::emit::{self, Change};
use crate::generate::{Output, generate};
use crate::messages;
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
    /// Write nothing; exit 1 with a unified diff when the output on disk is stale.
    #[arg(long)]
    pub check: bool,
    /// Folder of template overrides: a file here replaces the built-in template of the same relative name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
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

/// What one worker found for one project.
struct ProjectResult {
    diagnostics: Vec<Diagnostic>,
    io_failure: bool,
    /// `--env` names an environment the project does not have.
    usage_error: Option<Diagnostic>,
    unused_report: Vec<String>,
    /// The project's name, its verified output and how it compares with the disk.
    output: Option<(String, Output, std::io::Result<emit::Comparison>)>,
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
    match generate(&project, renderer, args.out.as_deref(), args.env.as_deref()) {
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
            let comparison = emit::compare(&output);
            result.output = Some((project.config.manifest.name.to_string(), output, comparison));
        }
        Err(d) => result.diagnostics.push(*d),
    }
    result
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
                &[Diagnostic::unlocated(
                    "render",
                    messages::render_failed("-", &e.template, &e.detail),
                )
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
    // Each project's name, verified output, and how it compares with the disk.
    let mut built: Vec<(String, Output, emit::Comparison)> = Vec::new();
    let mut compare_failure = None;
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
        if let Some((name, output, comparison)) = result.output {
            match comparison {
                Ok(c) => built.push((name, output, c)),
                Err(e) => {
                    compare_failure.get_or_insert_with(|| {
                        messages::read_failed(&output.out_dir.display().to_string(), &e)
                    });
                }
            }
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    report(args, &diagnostics);
    if io_failure {
        return EXIT_USAGE;
    }
    if errors > 0 {
        eprintln!(
            "{}",
            messages::validate_summary(projects.len(), errors, diagnostics.len() - errors)
        );
        return EXIT_INVALID;
    }
    if mode == Mode::Build {
        for line in &unused_report {
            eprintln!("{line}");
        }
    }
    if let Some(message) = compare_failure {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    if mode == Mode::Diff || args.check {
        let mut stale = 0;
        for (_, output, comparison) in &built {
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
                    Change::Removed(rel) => {
                        super::stdout(&format!(
                            "--- a/{rel}\n+++ /dev/null\n(pruned: no longer generated)\n"
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
                        &output.out_dir.display().to_string()
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
    let foreign: Vec<Diagnostic> = built
        .iter()
        .flat_map(|(_, _, c)| &c.foreign)
        .map(|p| {
            Diagnostic::unlocated("emit::foreign", messages::not_ours(p))
                .with_help(messages::NOT_OURS_HELP)
        })
        .collect();
    if !foreign.is_empty() {
        report(args, &foreign);
        return EXIT_INVALID;
    }
    for (name, output, comparison) in &built {
        match emit::write(output, comparison) {
            Ok(s) => eprintln!(
                "{}",
                messages::build_summary(
                    name,
                    &output.out_dir.display().to_string(),
                    s.written,
                    s.unchanged,
                    s.pruned
                )
            ),
            Err(e) => {
                eprintln!(
                    "error: {}",
                    messages::read_failed(&output.out_dir.display().to_string(), &e)
                );
                return EXIT_USAGE;
            }
        }
    }
    EXIT_OK
}

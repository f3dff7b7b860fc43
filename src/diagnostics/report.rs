//! What one run of cfgen found and did, whatever the command: its diagnostics,
//! each project's results (files written, unchanged, pruned, stale; unused
//! values; the diff) and its exit code. The formats render this one record:
//! people's text ([`super::render`]), the JSON document ([`super::json`]),
//! SARIF ([`super::sarif`]), JUnit XML ([`super::junit`]) and GitHub
//! annotations.

use super::Diagnostic;

/// One run of a command.
#[derive(Debug, Default)]
pub struct RunReport {
    /// The subcommand: `validate`, `build`, `diff`, `schema` or `init`.
    pub command: &'static str,
    /// Whether stale output fails the run (`--check`).
    pub check: bool,
    /// The process exit code.
    pub exit_code: i32,
    /// Diagnostics of the run itself (usage and I/O errors no project owns).
    pub diagnostics: Vec<Diagnostic>,
    /// Each project, in path order.
    pub projects: Vec<ProjectReport>,
    /// With the incremental-build cache in use (`build`, `diff`): how many projects were
    /// replayed from it instead of validated and rendered.
    pub replayed: Option<usize>,
}

/// One project's part of a run.
#[derive(Debug, Default)]
pub struct ProjectReport {
    /// The project folder, as given or found.
    pub path: String,
    /// The manifest's `name`, once the project loaded.
    pub name: Option<String>,
    /// The output folder, once the project validated.
    pub output: Option<String>,
    /// Every error and warning of the project's files, accepted ones included.
    pub diagnostics: Vec<Diagnostic>,
    /// The output files, when the project was built, checked or diffed.
    pub files: Option<Files>,
    /// Values that influence no artifact (builds only).
    pub unused: Vec<Unused>,
    /// The unified diff of the output folder against the build (`--check`, `diff`).
    pub diff: String,
}

/// What happened to the output files, by path relative to the output folder.
#[derive(Debug, Default, Clone)]
pub struct Files {
    /// Written (new or changed).
    pub written: Vec<String>,
    /// Already up to date.
    pub unchanged: Vec<String>,
    /// Removed: generated earlier, no longer.
    pub pruned: Vec<String>,
    /// Modes repaired on files whose content was right.
    pub modes_repaired: Vec<String>,
    /// Temporary files an interrupted build left, removed.
    pub swept: Vec<String>,
    /// Unlisted files holding exactly the generated content, listed now.
    pub adopted: Vec<String>,
    /// Listed files no longer generated that cfgen leaves in place.
    pub kept: Vec<String>,
    /// With `--check` or `diff`: what a build would change, and how.
    pub stale: Vec<Stale>,
}

/// A file a build would change.
#[derive(Debug, Clone)]
pub struct Stale {
    /// Relative to the output folder.
    pub path: String,
    /// `added`, `modified`, `mode`, `pruned` or `leftover`.
    pub change: &'static str,
}

/// A config value no artifact reads.
#[derive(Debug, Clone)]
pub struct Unused {
    /// The file, as shown in diagnostics.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The value's path, as users write it.
    pub path: String,
    /// Why it is unused.
    pub reason: &'static str,
}

impl RunReport {
    /// Every diagnostic: the run's, then each project's.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .chain(self.projects.iter().flat_map(|p| &p.diagnostics))
    }

    /// Errors.
    #[must_use]
    pub fn errors(&self) -> usize {
        self.all_diagnostics().filter(|d| d.is_error()).count()
    }

    /// Warnings the projects do not accept.
    #[must_use]
    pub fn warnings(&self) -> usize {
        self.all_diagnostics().filter(|d| d.is_warning()).count()
    }

    /// Warnings the projects accept.
    #[must_use]
    pub fn accepted(&self) -> usize {
        self.all_diagnostics().filter(|d| d.is_accepted()).count()
    }

    /// Unused values over all projects.
    #[must_use]
    pub fn unused(&self) -> usize {
        self.projects.iter().map(|p| p.unused.len()).sum()
    }

    /// The sum of one file list over the projects.
    #[must_use]
    pub fn count(&self, list: impl Fn(&Files) -> usize) -> usize {
        self.projects
            .iter()
            .filter_map(|p| p.files.as_ref())
            .map(list)
            .sum()
    }

    /// The one summary line of the run.
    #[must_use]
    pub fn summary(&self) -> String {
        crate::messages::run_summary(self)
    }
}

//! Where cfgen's words go: stdout and stderr, how much of them (`--quiet`,
//! `--verbose`) and whether in colour (`--color`, `NO_COLOR`, `FORCE_COLOR`,
//! `CLICOLOR_FORCE`).
//!
//! A closed pipe is not an error of the run: `cfgen build 2>&1 | head -1`
//! stops printing once the reader is gone, finishes its work (a build still
//! writes a consistent output folder) and exits with its usual code, without
//! a message. Every write to stdout and stderr goes through here so nothing
//! panics on `EPIPE` the way `println!` does.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal, unless `NO_COLOR` is set; `FORCE_COLOR` or
    /// `CLICOLOR_FORCE` (set, not empty, not `0`) colour a pipe too.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How much cfgen says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Errors only (`--quiet`).
    Quiet,
    /// Errors, warnings, what changed and one summary line.
    Normal,
    /// Also every project's line and the warnings accepted in config (`--verbose`).
    Verbose,
}

/// Whether an environment variable is set to something other than empty or `0`.
fn forced(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

impl ColorChoice {
    /// Whether to colour, for a stream that is or is not a terminal. `NO_COLOR`
    /// (set and not empty) wins over the variables that force colour; `--color
    /// always`/`never` win over every variable.
    #[must_use]
    pub fn resolve(self, terminal: bool) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    false
                } else if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") {
                    true
                } else {
                    terminal
                }
            }
        }
    }
}

/// Set once a write found its reader gone; nothing more is written there.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

fn write_to(mut out: impl Write, gone: &AtomicBool, text: &str) {
    if gone.load(Ordering::Relaxed) {
        return;
    }
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        // A closed pipe (or a full disk behind a redirect): stop writing
        // there; the run's exit code says how the work went.
        gone.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stdout as it is.
pub fn stdout(text: &str) {
    write_to(std::io::stdout().lock(), &STDOUT_GONE, text);
}

/// Writes `text` to stderr as it is.
pub fn stderr(text: &str) {
    write_to(std::io::stderr().lock(), &STDERR_GONE, text);
}

/// The run's console: level, colour and width of human output.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// How much to say.
    pub level: Level,
    /// Whether human diagnostics on stderr are coloured.
    pub color: bool,
    /// Width of human output (`COLUMNS`, default 100).
    pub width: usize,
}

impl Console {
    /// The console the global options ask for.
    #[must_use]
    pub fn new(quiet: bool, verbose: bool, color: ColorChoice) -> Self {
        let level = if quiet {
            Level::Quiet
        } else if verbose {
            Level::Verbose
        } else {
            Level::Normal
        };
        Self {
            level,
            color: color.resolve(std::io::stderr().is_terminal()),
            width: std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(100),
        }
    }

    /// A line said at the normal level and above (not with `--quiet`).
    pub fn say(&self, line: &str) {
        if self.level >= Level::Normal {
            stderr(&format!("{line}\n"));
        }
    }

    /// A line said with `--verbose` only.
    pub fn detail(&self, line: &str) {
        if self.level >= Level::Verbose {
            stderr(&format!("{line}\n"));
        }
    }

    /// A line said at every level (errors).
    pub fn always(&self, line: &str) {
        stderr(&format!("{line}\n"));
    }

    /// `text` in bold `code` colour (an SGR number) when colouring.
    #[must_use]
    pub fn paint(&self, text: &str, code: u8) -> String {
        if self.color {
            format!("\x1b[1;{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

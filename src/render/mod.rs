//! Stage 5: render. A minijinja environment over the embedded templates (or a
//! user's overrides), strict about undefined values, with the few filters the
//! targets need; and the generated-file header every artifact starts with.

mod filters;

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};

use crate::plan::{Artifact, Syntax};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Renders artifacts.
pub struct Renderer {
    env: Environment<'static>,
    /// Names of the templates replaced by a `--templates` override.
    overridden: std::collections::BTreeSet<&'static str>,
}

/// Work one render may do, in minijinja's fuel: about one unit per
/// instruction and per 64 bytes of data it creates. The built-in templates
/// use at most 3,569 on the example projects; this bounds a user's override
/// (nested `range(100000)` loops, `"x" * 10**9`) in time and memory.
pub const FUEL: u64 = 5_000_000;

/// Deepest nesting of includes, macros and blocks (minijinja's own maximum).
pub const MAX_RECURSION: usize = 500;

/// Largest rendered artifact, in bytes: what `--check` can read back.
pub const MAX_OUTPUT_BYTES: usize = crate::load::MAX_FILE_BYTES as usize;

/// A writer that refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct Bounded {
    bytes: Vec<u8>,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            return Err(std::io::Error::other("output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A template that failed to render.
#[derive(Debug)]
pub struct RenderError {
    /// The template.
    pub template: String,
    /// minijinja's explanation, with the line in the template.
    pub detail: String,
    /// Whether the template came from `--templates` (the user's) or is built in (our bug).
    pub overridden: bool,
    /// The line in the template, when known.
    pub line: Option<usize>,
}

impl RenderError {
    /// The message a user reads for `artifact`: a user's template is blamed
    /// as theirs ("error in your template"), a built-in one as cfgen's bug.
    #[must_use]
    pub fn message(&self, artifact: &str) -> String {
        if self.overridden {
            crate::messages::user_template_error(&self.template, self.line, &self.detail)
        } else {
            crate::messages::render_failed(artifact, &self.template, &self.detail)
        }
    }
}

impl Renderer {
    /// A renderer over the embedded templates, with any file under `overrides`
    /// replacing the embedded template of the same relative name.
    ///
    /// # Errors
    /// When an override cannot be read or does not compile.
    pub fn new(overrides: Option<&Path>) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(MAX_RECURSION);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        filters::register(&mut env);
        let mut overridden_names = std::collections::BTreeSet::new();
        for (name, text) in EMBEDDED {
            let source = match overrides {
                Some(dir) => read_override(dir, name)?,
                None => None,
            };
            let overridden = source.is_some();
            if overridden {
                overridden_names.insert(*name);
            }
            let text = source.unwrap_or_else(|| (*text).to_owned());
            env.add_template_owned((*name).to_owned(), text)
                .map_err(|e| from_minijinja(name, overridden, &e))?;
        }
        Ok(Self {
            env,
            overridden: overridden_names,
        })
    }

    /// A minijinja error of `template` as a [`RenderError`], with the limits worded.
    fn error(&self, template: &str, overridden: bool, e: &minijinja::Error) -> RenderError {
        from_minijinja(template, overridden, e)
    }

    /// Whether `template` comes from the user's `--templates` folder.
    #[must_use]
    pub fn is_overridden(&self, template: &str) -> bool {
        self.overridden.contains(template)
    }

    /// Names of the embedded templates.
    #[must_use]
    pub fn embedded_names() -> Vec<&'static str> {
        EMBEDDED.iter().map(|(n, _)| *n).collect()
    }

    /// Renders one artifact: header, template output, normalised whitespace.
    ///
    /// # Errors
    /// When the template fails (an undefined value, a filter error).
    pub fn render(&self, artifact: &Artifact) -> Result<String, RenderError> {
        let overridden = self.is_overridden(artifact.template);
        let fail = |detail: String| RenderError {
            template: artifact.template.to_owned(),
            detail,
            overridden,
            line: None,
        };
        let template = self
            .env
            .get_template(artifact.template)
            .map_err(|e| fail(format!("{e:#}")))?;
        let mut out = Bounded::default();
        template
            .render_captured_to(&artifact.context, &mut out)
            .map_err(|e| self.error(artifact.template, overridden, &e))?;
        let body =
            String::from_utf8(out.bytes).map_err(|_| fail("the output is not UTF-8".into()))?;
        Ok(normalize(&with_header(artifact, &body)))
    }
}

/// The override of template `name` in `dir`, if there is one. Anything at
/// that path is read only when it is a regular file inside `dir` (a link is
/// followed only when it stays there), without blocking, at most 4 MiB;
/// anything else there is refused, not ignored.
fn read_override(dir: &Path, name: &str) -> Result<Option<String>, RenderError> {
    let path = dir.join(name);
    if path.symlink_metadata().is_err() {
        return Ok(None);
    }
    let refuse = |detail: String| RenderError {
        template: name.to_owned(),
        detail,
        overridden: true,
        line: None,
    };
    let shown = path.display().to_string();
    let bytes = crate::load::read_regular(Some(dir), &path).map_err(|r| {
        refuse(match r {
            crate::load::Refused::Io(e) => crate::messages::read_failed(&shown, &e),
            crate::load::Refused::Kind(kind) => crate::messages::override_refused(&shown, &kind),
        })
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| refuse(crate::messages::override_not_utf8(&shown)))
}

fn from_minijinja(template: &str, overridden: bool, e: &minijinja::Error) -> RenderError {
    use minijinja::ErrorKind;
    let name = e.name().unwrap_or(template).to_owned();
    let detail = match e.kind() {
        ErrorKind::OutOfFuel => crate::messages::template_out_of_fuel(FUEL),
        ErrorKind::WriteFailure => crate::messages::template_output_too_large(MAX_OUTPUT_BYTES),
        _ => match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        },
    };
    let detail = if overridden { detail } else { format!("{e:#}") };
    RenderError {
        template: name,
        detail,
        overridden,
        line: e.line(),
    }
}

/// The header naming the sources and saying the file is generated. The
/// sources are the files whose values the artifact's view read (its
/// provenance record), so the header never names a file that cannot change it.
fn header_lines(artifact: &Artifact) -> Vec<String> {
    let sources = &artifact.sources;
    let sources = if sources.is_empty() {
        "cfgen's defaults only".to_owned()
    } else {
        sources.join(", ")
    };
    vec![
        "Generated by cfgen. Do not edit: change the config and run `cfgen build`.".to_owned(),
        format!("Source: {sources}"),
    ]
}

fn with_header(artifact: &Artifact, body: &str) -> String {
    let lines = header_lines(artifact);
    match artifact.syntax {
        Syntax::Markdown => {
            format!("<!--\n{}\n-->\n{body}", lines.join("\n"))
        }
        Syntax::Shell | Syntax::Dockerfile => {
            // A shebang or parser directive must stay on the first line.
            let hashed: String = lines.iter().map(|l| format!("# {l}\n")).collect();
            match body.split_once('\n') {
                Some((first, rest))
                    if first.starts_with("#!") || first.starts_with("# syntax=") =>
                {
                    format!("{first}\n{hashed}{rest}")
                }
                _ => format!("{hashed}{body}"),
            }
        }
        Syntax::Yaml | Syntax::Nginx | Syntax::Ignore | Syntax::Conf => {
            let hashed: String = lines.iter().map(|l| format!("# {l}\n")).collect();
            format!("{hashed}{body}")
        }
    }
}

/// LF line ends, no trailing blanks, no runs of blank lines, exactly one final newline.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.replace("\r\n", "\n").lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.is_empty() {
        out.push('\n');
    }
    out
}

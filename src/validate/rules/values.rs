//! Values that reach a generated file are checked where they are entered:
//! a line break in a step's `command` would split a workflow `run:` line or
//! a deploy script, so it is an error at its line, not a failure of `build`;
//! a script path with `..` would run (and make cfgen look for) a file outside
//! the project.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages;
use crate::model::FileKind::Scripts;

/// The first control character in `text` (line breaks included; a tab is allowed), if any.
fn control_char(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control() && *c != '\t')
}

/// Step names and commands of `scripts.yaml` are single lines without control characters.
pub fn step_values_are_single_lines(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let s = &ctx.config.scripts;
    let phases = [
        ("pre_deploy", &s.pre_deploy),
        ("deploy", &s.deploy),
        ("post_deploy", &s.post_deploy),
    ];
    let mut out = Vec::new();
    for (phase, steps) in phases {
        for (i, step) in steps.iter().enumerate() {
            let index = i.to_string();
            let fields: [(&str, &str); 2] = [("name", &step.name), ("command", &step.command)];
            for (field, value) in fields {
                let Some(c) = control_char(value) else {
                    continue;
                };
                out.push(
                    ctx.error(
                        "rule::control-character",
                        messages::control_character_in_step(&step.name, field, c),
                        Scripts,
                        &["deployment_scripts", phase, &index, field],
                    )
                    .with_label(messages::control_character_label(c))
                    .with_help(messages::control_character_help(field)),
                );
            }
            if let Some(script) = step.script()
                && script.split('/').any(|part| part == "..")
            {
                out.push(
                    ctx.error(
                        "rule::script-outside",
                        messages::script_outside_project(&step.name, script),
                        Scripts,
                        &["deployment_scripts", phase, &index, "command"],
                    )
                    .with_label(messages::SCRIPT_OUTSIDE_PROJECT_LABEL)
                    .with_help(messages::SCRIPT_OUTSIDE_PROJECT_HELP),
                );
            }
        }
    }
    out
}

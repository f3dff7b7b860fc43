//! The provenance property over every config value of the example (its
//! manifest, nine base files and environment overlays): varying a value in
//! its file, validating and rendering the project as `cfgen build` does,
//! changes only lines that `cfgen explain` attributes to that value, and
//! never a line it calls cfgen's ("fixed by cfgen") or the header.
//!
//! The variations are not explain's own (see `tests/leaves.rs`), and they go
//! through the files and the whole validation, where explain varies the
//! loaded documents: a value the record of reads misses, or one whose
//! effect explain's variations do not reveal, fails here.

use cfgen::explain::{self, LineExplanation};
use cfgen::render::Renderer;
use cfgen::validate::check_project;

use crate::common::copy_example_with_overlays;
use crate::leaves::{leaves, with_varied};

#[test]
fn every_line_a_config_value_changes_is_attributed_to_it_and_no_fixed_line_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    copy_example_with_overlays(&dir);
    let renderer = Renderer::new(None).unwrap();
    let project = check_project(&dir).project.expect("the example is valid");
    let blame = explain::blame(&project, &renderer, None);
    let base = explain::render_all(&project, &renderer, None);
    assert_eq!(blame.len(), base.len());
    let all = leaves(&dir);
    let (mut invalid, mut silent, mut lines) = (0, 0, 0);
    let mut wrong = Vec::new();
    for leaf in &all {
        // The first variation that validates.
        let Some((varied, other)) = leaf.variations.iter().find_map(|v| {
            with_varied(&dir, leaf, v, || check_project(&dir).project).map(|p| (v, p))
        }) else {
            invalid += 1;
            continue;
        };
        let texts = explain::render_all(&other, &renderer, None);
        let before = lines;
        for (rel, (_, old)) in &base {
            let Some((_, new)) = texts.get(rel) else {
                continue;
            };
            for index in explain::changed_lines(old, new) {
                lines += 1;
                let said = &blame[rel][index];
                // The header names the files read: a value that decides what
                // else is read changes it, and explain calls it the header.
                let attributed = match said {
                    LineExplanation::SetBy(setters) => setters.iter().any(|s| {
                        s.file == leaf.file && s.line == leaf.line && s.column == leaf.column
                    }),
                    LineExplanation::Header { .. } => old
                        .lines()
                        .nth(index)
                        .is_some_and(|l| l.contains("Source: ")),
                    LineExplanation::Fixed { .. } => false,
                };
                if !attributed {
                    wrong.push(format!(
                        "{}:{}:{} {} -> {}: {rel}:{} changed ({:?}), explain says {said:?}",
                        leaf.file,
                        leaf.line,
                        leaf.column,
                        leaf.written,
                        varied,
                        index + 1,
                        old.lines().nth(index).unwrap_or_default().trim(),
                    ));
                }
            }
        }
        if lines == before {
            silent += 1;
        }
    }
    eprintln!(
        "{} values: {} varied, {invalid} invalid once varied, {silent} changing no line; \
         {lines} changed lines checked, {} not attributed",
        all.len(),
        all.len() - invalid,
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} changed lines not attributed to the value that changed them:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(400)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The property says something: most values vary validly and change lines.
    assert!(all.len() > 150, "{} values", all.len());
    assert!(
        invalid * 3 < all.len(),
        "{invalid} of {} invalid",
        all.len()
    );
    assert!(lines > 500, "{lines} changed lines");
}

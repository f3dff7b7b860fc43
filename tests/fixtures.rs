//! Fixture-folder snapshot tests of the validate stage: each
//! `tests/fixtures/invalid/err_*` folder is laid over the example project and
//! must be rejected; the snapshot is the diagnostic a user would read.

use cfgen::diagnostics::Diagnostic;
use cfgen::validate::check_project;

use crate::common::{overlay_project, render};

#[test]
fn invalid_fixtures_are_rejected_at_their_source() {
    let baseline = check_project(&crate::common::example()).diagnostics;
    assert!(baseline.iter().all(|d| !d.is_error()));
    insta::glob!("fixtures/invalid/err_*", |fixture| {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        overlay_project(fixture, &project);
        let outcome = check_project(&project);
        assert!(
            outcome.project.is_none() && outcome.diagnostics.iter().any(|d| d.is_error()),
            "{} was accepted",
            fixture.display()
        );
        for d in &outcome.diagnostics {
            assert!(
                d.location.is_some(),
                "{}: diagnostic without a location: {}",
                fixture.display(),
                d.message
            );
        }
        // The example's own warnings (the RPO, the log file) show up in every
        // fixture that reaches the rules; leave them out so that each snapshot
        // shows what its one change causes.
        let shown: Vec<Diagnostic> = outcome
            .diagnostics
            .into_iter()
            .filter(|d| {
                d.is_error()
                    || !baseline
                        .iter()
                        .any(|b| b.code == d.code && b.message == d.message)
            })
            .collect();
        let description = std::fs::read_to_string(fixture.join("README.md")).unwrap_or_default();
        insta::with_settings!({ description => description.trim(), omit_expression => true }, {
            insta::assert_snapshot!(render(&shown, tmp.path()));
        });
    });
}

#[test]
fn the_example_is_valid_with_the_rpo_warning() {
    let outcome = check_project(&crate::common::example());
    let codes: Vec<&str> = outcome.diagnostics.iter().map(|d| d.code).collect();
    assert!(outcome.project.is_some(), "{codes:?}");
    assert!(codes.contains(&"rule::rpo"), "{codes:?}");
    assert!(outcome.diagnostics.iter().all(|d| !d.is_error()));
}

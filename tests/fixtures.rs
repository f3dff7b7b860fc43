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
fn valid_fixtures_are_accepted_with_their_warnings() {
    let baseline = check_project(&crate::common::example()).diagnostics;
    insta::glob!("fixtures/valid/warn_*", |fixture| {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        overlay_project(fixture, &project);
        let outcome = check_project(&project);
        let errors: Vec<&str> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            outcome.project.is_some() && errors.is_empty(),
            "{} was rejected: {errors:?}",
            fixture.display()
        );
        let shown: Vec<Diagnostic> = outcome
            .diagnostics
            .into_iter()
            .filter(|d| {
                !baseline
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

/// Hostile input is refused without a panic by a bound on work: the fixtures' alias bomb
/// and deep nesting, and larger variants of them, each stop at a limit (alias expansion,
/// node count, depth), which is what keeps the work bounded. Speed is measured in
/// BENCHMARKS.md, not here; the only clock is a hang detector (60 s, where an unbounded
/// expansion would take hours), because a 2 s budget failed on a loaded 2-core machine.
#[test]
fn hostile_yaml_is_refused_fast() {
    use cfgen::load::{LoadErrorKind, ReadError, load_bytes, load_file};
    let refused = |result: Result<_, ReadError>| match result {
        Err(ReadError::Load(_, errors)) => errors.into_iter().map(|e| e.kind).collect::<Vec<_>>(),
        Ok(_) => panic!("accepted"),
        Err(ReadError::Io(e)) => panic!("{e}"),
    };
    let fixtures = crate::common::repo().join("tests/fixtures/invalid");
    let chain: String = std::iter::once("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned())
        .chain((1..30).map(|i| {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            format!("a{i}: &a{i} [{refs}]\n")
        }))
        .collect();
    let block: String = (0..2000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    type Case<'a> = (&'a str, Box<dyn Fn() -> Vec<LoadErrorKind> + 'a>);
    let cases: Vec<Case<'_>> = vec![
        (
            "alias bomb fixture",
            Box::new(|| {
                refused(load_file(
                    None,
                    &fixtures.join("err_alias_bomb/config/deployment/logging.yaml"),
                ))
            }),
        ),
        (
            "deep nesting fixture",
            Box::new(|| {
                refused(load_file(
                    None,
                    &fixtures.join("err_deep_nesting/config/deployment/checklist.yaml"),
                ))
            }),
        ),
        (
            "10^30 alias expansion",
            Box::new(|| refused(load_bytes("x.yaml".as_ref(), chain.clone().into_bytes()))),
        ),
        (
            "100,000 `{`",
            Box::new(|| {
                refused(load_bytes(
                    "x.yaml".as_ref(),
                    "{".repeat(100_000).into_bytes(),
                ))
            }),
        ),
        (
            "150,000 list items",
            Box::new(|| {
                let items = vec!["1"; 150_000].join(",");
                refused(load_bytes(
                    "x.yaml".as_ref(),
                    format!("[{items}]").into_bytes(),
                ))
            }),
        ),
        (
            "2,000 nested block mappings",
            Box::new(|| refused(load_bytes("x.yaml".as_ref(), block.clone().into_bytes()))),
        ),
    ];
    for (name, case) in &cases {
        let start = std::time::Instant::now();
        let kinds = case();
        let elapsed = start.elapsed();
        assert!(
            kinds.iter().any(|k| matches!(
                k,
                LoadErrorKind::AliasExpansion { .. }
                    | LoadErrorKind::TooManyNodes { .. }
                    | LoadErrorKind::TooDeep { .. }
            )),
            "{name}: {kinds:?}"
        );
        assert!(elapsed.as_secs() < 60, "{name} hung: {elapsed:?}");
    }
}

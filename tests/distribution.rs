//! The repository URL is set once, in Cargo.toml (`repository`), and what
//! names it follows: the schemas' `$id`, the install, action and pre-commit
//! instructions, the modeline `cfgen init` writes. The license files the
//! crate's `license` names exist.

use crate::common::repo;

const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Every `github.com/<owner>/<name>` a text names for cfgen itself.
fn cfgen_repositories(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for host in ["https://github.com/", "https://raw.githubusercontent.com/"] {
        for (i, _) in text.match_indices(host) {
            let rest = &text[i + host.len()..];
            let parts: Vec<&str> = rest.splitn(3, '/').take(2).collect();
            if let [owner, name] = parts.as_slice() {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                if name == "cfgen" {
                    out.push(format!("https://github.com/{owner}/{name}"));
                }
            }
        }
    }
    out
}

#[test]
fn the_repository_url_is_set_once_and_followed_everywhere() {
    assert_eq!(REPOSITORY, "https://github.com/cfgen-dev/cfgen");
    let owner_name = REPOSITORY.trim_start_matches("https://github.com/");
    for file in [
        "README.md",
        ".pre-commit-hooks.yaml",
        "action.yml",
        "CHANGELOG.md",
        "docs/json.md",
    ] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        for found in cfgen_repositories(&text) {
            assert_eq!(found, REPOSITORY, "{file} names another repository");
        }
        for (i, _) in text.match_indices("uses: ") {
            let used = text[i + 6..].split(['@', '\n']).next().unwrap();
            if used.ends_with("/cfgen") {
                assert_eq!(used, owner_name, "{file}: the action's name");
            }
        }
    }
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains(&format!("cargo install --locked --git {REPOSITORY} cfgen")));
    assert!(readme.contains(&format!(
        "- uses: {owner_name}@v{}",
        env!("CARGO_PKG_VERSION")
    )));
    let raw = REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/");
    for kind in cfgen::model::FileKind::ALL {
        let id = kind.schema()["$id"].as_str().unwrap().to_owned();
        assert_eq!(
            id,
            format!(
                "{raw}/v{}/schema/{}",
                env!("CARGO_PKG_VERSION"),
                kind.schema_file()
            )
        );
        assert_eq!(id, cfgen::model::schema_url(kind));
    }
    assert!(readme.contains(&cfgen::model::schema_url(cfgen::model::FileKind::Manifest)));
}

#[test]
fn the_license_files_exist_for_both_licenses() {
    assert_eq!(env!("CARGO_PKG_LICENSE"), "MIT OR Apache-2.0");
    let mit = std::fs::read_to_string(repo().join("LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("MIT License\n"));
    let apache = std::fs::read_to_string(repo().join("LICENSE-APACHE")).unwrap();
    assert!(
        apache.contains("Apache License\n                           Version 2.0, January 2004")
    );
    let license = std::fs::read_to_string(repo().join("LICENSE")).unwrap();
    assert!(license.contains("LICENSE-APACHE") && license.contains("LICENSE-MIT"));
    let changelog = std::fs::read_to_string(repo().join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains(&format!("## [{}]", env!("CARGO_PKG_VERSION"))));
}

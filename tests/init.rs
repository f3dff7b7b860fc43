//! `cfgen init`: from a folder with a runtime's marker file (or flags) to a
//! project that builds clean at once; it never overwrites, and says so when
//! the runtime the folder asks for has no recipe in this cfgen.

use std::path::Path;

use insta_cmd::assert_cmd_snapshot;

use crate::common::cfgen;

/// `init DIR` then `build DIR`: both exit 0, the build warns about nothing and
/// reports no unused value; returns the manifest written.
fn init_then_build(root: &Path, dir: &str, init_args: &[&str]) -> String {
    let out = cfgen(root)
        .args(["init", dir])
        .args(init_args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "next: set `image:` to your registry, then run `cfgen build {dir}`"
        )),
        "{stderr}"
    );
    let out = cfgen(root).args(["build", dir]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
    assert!(!stderr.contains('⚠'), "{stderr}");
    assert!(!stderr.contains("influence"), "{stderr}");
    assert!(stderr.contains("; 0 errors, 0 warnings"), "{stderr}");
    std::fs::read_to_string(root.join(dir).join("cfgen.yaml")).unwrap()
}

#[test]
fn requirements_txt_makes_a_python_project_with_its_dependencies() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("shop")).unwrap();
    std::fs::write(
        tmp.path().join("shop/requirements.txt"),
        "fastapi==0.115\npsycopg[binary]==3.2\nredis==5.2\n",
    )
    .unwrap();
    let manifest = init_then_build(tmp.path(), "shop", &[]);
    insta::assert_snapshot!(manifest);
}

#[test]
fn pyproject_toml_makes_a_python_project() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("svc")).unwrap();
    std::fs::write(
        tmp.path().join("svc/pyproject.toml"),
        "[project]\nname = \"svc\"\n",
    )
    .unwrap();
    let manifest = init_then_build(tmp.path(), "svc", &[]);
    assert!(manifest.contains("  runtime: python"), "{manifest}");
    assert!(manifest.contains("# dependencies:"), "{manifest}");
}

#[test]
fn cargo_toml_makes_a_rust_project_running_the_package_binary() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("api")).unwrap();
    std::fs::write(
        tmp.path().join("api/Cargo.toml"),
        "[package]\nname = \"orders-api\"\nversion = \"0.1.0\"\n\n[dependencies]\ntokio-postgres = \"0.7\"\n",
    )
    .unwrap();
    let manifest = init_then_build(tmp.path(), "api", &["--port", "9000"]);
    assert!(manifest.contains("  runtime: rust"), "{manifest}");
    assert!(manifest.contains("  entrypoint: orders-api "), "{manifest}");
    assert!(manifest.contains("    port: 9000 "), "{manifest}");
    assert!(
        manifest.contains("  database: { engine: postgres }"),
        "{manifest}"
    );
}

#[test]
fn flags_choose_runtime_and_dependencies_in_an_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = init_then_build(
        tmp.path(),
        "new",
        &[
            "--runtime",
            "python",
            "--database",
            "mariadb",
            "--name",
            "orders",
        ],
    );
    assert!(manifest.contains("name: orders "), "{manifest}");
    assert!(
        manifest.contains("  database: { engine: mysql, flavour: mariadb }"),
        "{manifest}"
    );
}

#[test]
fn init_refuses_to_overwrite_a_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("p")).unwrap();
    std::fs::write(tmp.path().join("p/cfgen.yaml"), "# mine\n").unwrap();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["init", "p", "--runtime", "python"]));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("p/cfgen.yaml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn package_json_makes_a_node_project_running_its_main_script() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("web")).unwrap();
    std::fs::write(
        tmp.path().join("web/package.json"),
        "{\"name\": \"web\", \"main\": \"src/server.js\", \"dependencies\": {\"pg\": \"8\"}}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("web/pnpm-lock.yaml"),
        "lockfileVersion: '9.0'\n",
    )
    .unwrap();
    let manifest = init_then_build(tmp.path(), "web", &[]);
    assert!(manifest.contains("  runtime: node "), "{manifest}");
    assert!(
        manifest.contains("  entrypoint: src/server.js "),
        "{manifest}"
    );
    assert!(manifest.contains("  package_manager: pnpm "), "{manifest}");
    assert!(manifest.contains("    port: 3000 "), "{manifest}");
    assert!(
        manifest.contains("  database: { engine: postgres }"),
        "{manifest}"
    );
}

#[test]
fn go_mod_and_gradle_make_go_and_java_projects() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("billing")).unwrap();
    std::fs::write(
        tmp.path().join("billing/go.mod"),
        "module example.com/billing\n\ngo 1.23\n",
    )
    .unwrap();
    let manifest = init_then_build(tmp.path(), "billing", &[]);
    assert!(manifest.contains("  runtime: go "), "{manifest}");
    assert!(manifest.contains("  entrypoint: . "), "{manifest}");
    std::fs::create_dir(tmp.path().join("ledger")).unwrap();
    std::fs::write(
        tmp.path().join("ledger/build.gradle"),
        "plugins { id 'java' }\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("ledger/gradlew"), "#!/bin/sh\n").unwrap();
    let manifest = init_then_build(tmp.path(), "ledger", &[]);
    assert!(manifest.contains("  runtime: java "), "{manifest}");
    assert!(manifest.contains("  build_tool: gradle "), "{manifest}");
    assert!(
        manifest.contains("  entrypoint: build/libs/ledger.jar "),
        "{manifest}"
    );
}

#[test]
fn a_folder_without_a_marker_needs_a_runtime_flag() {
    let tmp = tempfile::tempdir().unwrap();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["init", "empty"]));
    assert!(!tmp.path().join("empty").exists());
}

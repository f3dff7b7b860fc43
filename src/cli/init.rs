//! `cfgen init [DIR]`: a commented version-2 `cfgen.yaml` that builds clean
//! as it is. The runtime, port and dependencies come from the flags, or are
//! detected from the folder (`package.json`, `pyproject.toml`/`requirements.txt`,
//! `go.mod`, `Cargo.toml`, `pom.xml`/`build.gradle`).
//!
//! It writes one file, `DIR/cfgen.yaml`, created new (never overwriting; not
//! through a link), and validates it before saying it is done; a manifest
//! that does not validate is removed again (that is a bug in cfgen).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::console::Console;
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, output};
use crate::diagnostics::report::{Files, ProjectReport, RunReport};
use crate::diagnostics::{Diagnostic, Format};
use crate::messages;
use crate::model::MANIFEST_FILE;
use crate::model::manifest::Runtime;

/// Arguments of `cfgen init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The project folder (default: the current folder; created when missing).
    pub dir: Option<PathBuf>,
    /// Project name, a DNS label (default: from the folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Language runtime: python, node, go, java or rust (default: detected from the folder).
    #[arg(long, value_name = "RUNTIME")]
    pub runtime: Option<String>,
    /// Port the web process listens on (default: the runtime's usual one).
    #[arg(long)]
    pub port: Option<u16>,
    /// A database the app connects to: postgres, mysql or mariadb (default: detected).
    #[arg(long, value_name = "ENGINE")]
    pub database: Option<String>,
    /// A cache the app connects to: redis (default: detected).
    #[arg(long, value_name = "ENGINE")]
    pub cache: Option<String>,
    /// No database or cache, whatever the folder suggests.
    #[arg(long, conflicts_with_all = ["database", "cache"])]
    pub no_dependencies: bool,
    /// The image repository CI pushes to (default: `registry.example.com/<name>`, to edit).
    #[arg(long)]
    pub image: Option<String>,
    /// How to report: `human` or a document on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// The files that tell a folder's runtime, in the order they are looked for.
const MARKERS: &[(&str, &str)] = &[
    ("Cargo.toml", "rust"),
    ("go.mod", "go"),
    ("package.json", "node"),
    ("pyproject.toml", "python"),
    ("requirements.txt", "python"),
    ("pom.xml", "java"),
    ("build.gradle", "java"),
    ("build.gradle.kts", "java"),
];

/// Words in a dependency manifest that mean a database or cache client.
const CLIENTS: &[(&str, &str, &str)] = &[
    ("database", "postgres", "psycopg"),
    ("database", "postgres", "asyncpg"),
    ("database", "postgres", "\"pg\""),
    ("database", "postgres", "tokio-postgres"),
    ("database", "postgres", "jackc/pgx"),
    ("database", "postgres", "lib/pq"),
    ("database", "postgres", "org.postgresql"),
    ("database", "mysql", "mysqlclient"),
    ("database", "mysql", "pymysql"),
    ("database", "mysql", "mysql2"),
    ("database", "mysql", "mysql_async"),
    ("database", "mysql", "go-sql-driver/mysql"),
    ("database", "mysql", "mysql-connector"),
    ("cache", "redis", "redis"),
];

/// Most bytes read of a marker file.
const MAX_MARKER_BYTES: u64 = 1 << 20;

/// What init found in the folder.
#[derive(Debug, Default)]
struct Detected {
    runtime: Option<(&'static str, &'static str)>,
    database: Option<&'static str>,
    cache: Option<&'static str>,
}

/// A marker file's text, read as a regular file inside `dir` only, capped.
fn marker_text(dir: &Path, name: &str) -> Option<String> {
    use std::io::Read as _;
    let path = dir.join(name);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_MARKER_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

fn detect(dir: &Path) -> Detected {
    let mut found = Detected::default();
    for (file, runtime) in MARKERS {
        let Some(text) = marker_text(dir, file) else {
            continue;
        };
        if found.runtime.is_none() {
            found.runtime = Some((runtime, file));
        }
        let lower = text.to_lowercase();
        for (slot, engine, word) in CLIENTS {
            if lower.contains(word) {
                match *slot {
                    "database" => found.database = found.database.or(Some(engine)),
                    _ => found.cache = found.cache.or(Some(engine)),
                }
            }
        }
    }
    found
}

/// A DNS label from a folder name: lowercase, `-` for the rest, at most 63.
fn dns_label(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out = out.trim_matches('-').to_owned();
    out.truncate(63);
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("app{}", if out.is_empty() { "" } else { "-" }) + &out
    } else {
        out
    }
}

/// The `[package] name` of a Cargo.toml, if it has a plain one.
fn cargo_package(text: &str) -> Option<String> {
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(rest) = line.strip_prefix("name") {
            let value = rest
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .trim_matches('"');
            return Some(value.to_owned());
        }
    }
    None
}

/// The `"main"` script of a package.json, if it names a plain relative file.
fn package_main(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let main = value.get("main")?.as_str()?.trim_start_matches("./");
    let plain = !main.is_empty()
        && !main.starts_with('/')
        && !main.split('/').any(|part| part == "..")
        && main
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    plain.then(|| main.to_owned())
}

/// Column of the comments beside values.
const COMMENT_COLUMN: usize = 33;

/// `code`, then `# comment` at [`COMMENT_COLUMN`] (or one space after a longer code).
fn line(t: &mut String, code: &str, comment: &str) {
    t.push_str(code);
    if !comment.is_empty() {
        let pad = COMMENT_COLUMN.saturating_sub(code.chars().count()).max(1);
        t.push_str(&" ".repeat(pad));
        t.push_str("# ");
        t.push_str(comment);
    }
    t.push('\n');
}

/// The runtime-specific lines of `build:`, and the default port.
fn build_lines(t: &mut String, runtime: Runtime, dir: &Path, name: &str) -> u16 {
    let runtimes: Vec<&str> = Runtime::ALL.iter().map(|r| r.name()).collect();
    let runtimes = runtimes.join(" | ");
    match runtime {
        Runtime::Python => {
            line(t, "  runtime: python", &runtimes);
            line(
                t,
                "  entrypoint: app.main:app",
                "the module and the ASGI/WSGI application object",
            );
            line(
                t,
                "  server: uvicorn",
                "uvicorn (ASGI: FastAPI) | gunicorn (WSGI: Django, Flask)",
            );
            line(
                t,
                "  # sources: [app/]",
                "copied into the image (default: app/)",
            );
            8000
        }
        Runtime::Rust => {
            let bin = marker_text(dir, "Cargo.toml")
                .and_then(|t| cargo_package(&t))
                .filter(|b| {
                    !b.is_empty()
                        && b.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .unwrap_or_else(|| name.to_owned());
            line(t, "  runtime: rust", &runtimes);
            line(
                t,
                &format!("  entrypoint: {bin}"),
                "the binary the image runs",
            );
            8080
        }
        Runtime::Node => {
            let main = marker_text(dir, "package.json")
                .and_then(|t| package_main(&t))
                .unwrap_or_else(|| "server.js".to_owned());
            line(t, "  runtime: node", &runtimes);
            line(
                t,
                &format!("  entrypoint: {main}"),
                "the script `node` starts",
            );
            let manager = if dir.join("pnpm-lock.yaml").is_file() {
                Some("pnpm")
            } else if dir.join("yarn.lock").is_file() {
                Some("yarn")
            } else {
                None
            };
            if let Some(manager) = manager {
                line(
                    t,
                    &format!("  package_manager: {manager}"),
                    "npm | pnpm | yarn: the lockfile the build installs from",
                );
            }
            3000
        }
        Runtime::Go => {
            line(t, "  runtime: go", &runtimes);
            line(
                t,
                "  entrypoint: .",
                "the main package's folder, e.g. ./cmd/api",
            );
            8080
        }
        Runtime::Java => {
            line(t, "  runtime: java", &runtimes);
            if dir.join("pom.xml").is_file() || !dir.join("gradlew").is_file() {
                line(
                    t,
                    &format!("  entrypoint: target/{name}.jar"),
                    "the jar the build produces",
                );
            } else {
                line(t, "  build_tool: gradle", "maven | gradle");
                line(
                    t,
                    &format!("  entrypoint: build/libs/{name}.jar"),
                    "the jar the build produces",
                );
            }
            8080
        }
    }
}

/// The manifest's text.
fn manifest_text(
    name: &str,
    image: &str,
    runtime: Runtime,
    port: Option<u16>,
    dir: &Path,
    database: Option<&str>,
    cache: Option<&str>,
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# yaml-language-server: $schema={}",
        crate::model::schema_url(crate::model::FileKind::Manifest)
    );
    t.push_str(
        "# The cfgen manifest (version 2): what runs, from which image, needing what. Reference:\n",
    );
    let _ = writeln!(
        t,
        "# {}#the-manifest-version-2-the-workload-and-the-nine-files-the-policy",
        env!("CARGO_PKG_REPOSITORY")
    );
    t.push_str(
        "# The platform's policy (hardening, resources, monitoring, backups) has safe defaults;\n",
    );
    t.push_str("# override any of it in config/deployment/*.yaml. Then: `cfgen build`.\n");
    line(&mut t, "version: 2", "");
    line(
        &mut t,
        &format!("name: {name}"),
        "a DNS label: names the objects, the compose project",
    );
    line(
        &mut t,
        &format!("image: {image}"),
        "EDIT: the repository CI pushes to, no tag",
    );
    line(
        &mut t,
        "build:",
        "absent: `image` is prebuilt, cfgen writes no Dockerfile",
    );
    let default_port = build_lines(&mut t, runtime, dir, name);
    line(
        &mut t,
        "processes:",
        "long-running processes from the one image",
    );
    line(&mut t, "  web:", "");
    line(
        &mut t,
        &format!("    port: {}", port.unwrap_or(default_port)),
        "a Service, the Ingress, nginx and HTTP probes",
    );
    line(
        &mut t,
        "    # probes: { liveness: /health, readiness: /ready, metrics: /metrics }",
        "",
    );
    line(&mut t, "# jobs:", "");
    line(
        &mut t,
        "#   migrate: { command: [your, migrate, command] }",
        "once per deploy, before traffic",
    );
    line(
        &mut t,
        "# env: { LOG_LEVEL: info }",
        "plain variables of every process",
    );
    line(
        &mut t,
        "# secrets: { API_KEY: file }",
        "by name; the app reads API_KEY_FILE",
    );
    if database.is_some() || cache.is_some() {
        line(
            &mut t,
            "dependencies:",
            "their URLs reach the app as DATABASE_URL, REDIS_URL",
        );
        if let Some(engine) = database {
            let (engine, extra) = match engine {
                "mariadb" => ("mysql", ", flavour: mariadb"),
                e => (e, ""),
            };
            line(
                &mut t,
                &format!("  database: {{ engine: {engine}{extra} }}"),
                "`external: true`: a managed one",
            );
        }
        if let Some(engine) = cache {
            line(&mut t, &format!("  cache: {{ engine: {engine} }}"), "");
        }
    } else {
        line(
            &mut t,
            "# dependencies:",
            "their URLs reach the app as DATABASE_URL, REDIS_URL",
        );
        line(
            &mut t,
            "#   database: { engine: postgres }",
            "postgres | mysql; `external: true`: managed",
        );
        line(&mut t, "#   cache: { engine: redis }", "");
    }
    line(
        &mut t,
        "routing:",
        "public traffic: gateway-api (Gateway + HTTPRoutes) | ingress",
    );
    line(&mut t, "  api: gateway-api", "");
    line(
        &mut t,
        "environments:",
        "deployed in this order, production last",
    );
    line(&mut t, "  staging:", "");
    line(
        &mut t,
        &format!("    host: staging.{name}.example.com"),
        "EDIT: the public host names",
    );
    line(&mut t, "  production:", "");
    line(&mut t, &format!("    host: {name}.example.com"), "");
    t
}

/// Runs the command.
pub fn run(args: &InitArgs, console: &Console) -> i32 {
    let mut report = RunReport {
        command: "init",
        ..RunReport::default()
    };
    report.exit_code = scaffold(args, console, &mut report);
    if args.format != Format::Human {
        return output::finish(report, args.format, console, false);
    }
    for d in report.all_diagnostics() {
        console.always(&format!("error: {}", d.message));
        if let Some(help) = &d.help {
            console.always(&format!("  help: {help}"));
        }
    }
    report.exit_code
}

fn usage(report: &mut RunReport, message: String, help: Option<String>) -> i32 {
    report
        .diagnostics
        .push(Diagnostic::unlocated("usage", message).with_help_opt(help));
    EXIT_USAGE
}

fn scaffold(args: &InitArgs, console: &Console, report: &mut RunReport) -> i32 {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let shown = dir.display().to_string();
    let manifest = dir.join(MANIFEST_FILE);
    if std::fs::symlink_metadata(&manifest).is_ok() {
        return usage(
            report,
            messages::init_exists(&manifest.display().to_string()),
            None,
        );
    }
    let detected = detect(&dir);
    let available: Vec<String> = Runtime::ALL.iter().map(|r| r.name().to_owned()).collect();
    let (wanted, because) = match (&args.runtime, detected.runtime) {
        (Some(r), _) => (r.clone(), None),
        (None, Some((r, file))) => (r.to_owned(), Some(file)),
        (None, None) => {
            return usage(
                report,
                messages::init_no_runtime(&shown),
                Some(messages::init_runtime_help(&available)),
            );
        }
    };
    let Some(runtime) = Runtime::ALL.into_iter().find(|r| r.name() == wanted) else {
        return usage(
            report,
            messages::init_runtime_unavailable(&wanted, because),
            Some(messages::init_runtime_help(&available)),
        );
    };
    let database = args.database.as_deref().or(detected.database);
    let cache = args.cache.as_deref().or(detected.cache);
    let (database, cache) = if args.no_dependencies {
        (None, None)
    } else {
        (database, cache)
    };
    if let Some(db) = database
        && !["postgres", "mysql", "mariadb"].contains(&db)
    {
        return usage(report, messages::init_bad_engine("database", db), None);
    }
    if let Some(c) = cache
        && c != "redis"
    {
        return usage(report, messages::init_bad_engine("cache", c), None);
    }
    let folder_name = std::fs::canonicalize(&dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".into());
    let name = args.name.clone().unwrap_or_else(|| dns_label(&folder_name));
    let image = args
        .image
        .clone()
        .unwrap_or_else(|| format!("registry.example.com/{name}"));
    let text = manifest_text(&name, &image, runtime, args.port, &dir, database, cache);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        report.diagnostics.push(Diagnostic::unlocated(
            "io",
            messages::create_folder_failed(&shown, &e),
        ));
        return EXIT_USAGE;
    }
    // Created new: an existing file (or a link put there since) is never replaced.
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&manifest)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    if let Err(e) = created {
        report.diagnostics.push(Diagnostic::unlocated(
            "io",
            messages::write_failed(&manifest.display().to_string(), &e),
        ));
        return EXIT_USAGE;
    }
    // The flags may still make an invalid project (a name that is no DNS
    // label, a port below 1024): report it, and take the file back.
    let outcome = crate::validate::check_project(&dir);
    if !outcome.diagnostics.is_empty() {
        let _ = std::fs::remove_file(&manifest);
        report.projects.push(ProjectReport {
            path: shown,
            diagnostics: outcome.diagnostics,
            ..ProjectReport::default()
        });
        return EXIT_INVALID;
    }
    let mut facts = vec![format!("runtime `{}`", runtime.name())];
    if let Some(file) = because {
        facts[0].push_str(&format!(" (from `{file}`)"));
    }
    facts.extend(database.map(|d| format!("database `{d}`")));
    facts.extend(cache.map(|c| format!("cache `{c}`")));
    console.say(&messages::init_done(
        &manifest.display().to_string(),
        &messages::all_of(&facts).replace('`', ""),
    ));
    console.say(&messages::init_next(&shown));
    report.projects.push(ProjectReport {
        path: shown,
        name: Some(name),
        files: Some(Files {
            written: vec![MANIFEST_FILE.to_owned()],
            ..Files::default()
        }),
        ..ProjectReport::default()
    });
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_become_dns_labels() {
        assert_eq!(dns_label("My_Service"), "my-service");
        assert_eq!(dns_label("2fa"), "app-2fa");
        assert_eq!(dns_label("--"), "app");
    }

    #[test]
    fn the_package_name_of_a_cargo_manifest() {
        let text = "[workspace]\nname = \"no\"\n[package]\nname = \"shop\"\nversion = \"0.1.0\"\n";
        assert_eq!(cargo_package(text).as_deref(), Some("shop"));
    }
}

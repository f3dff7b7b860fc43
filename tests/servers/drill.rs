//! The restore drill (issue 17), run for real: the seed example's generated
//! backup_database.sh dumps a database of a real MariaDB / PostgreSQL on loopback (with
//! the row counts of its largest tables next to the dump), then its restore_drill.sh
//! restores the newest dump into a second, empty server started for the drill (the
//! Kubernetes CronJob's sidecar in the cluster), checks it and reports the measured
//! restore time against the RTO. A corrupt dump, an empty one and a dump that lost rows
//! make it fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{Server, mariadb, output_text, postgres};

/// The example's project for `engine` (`mysql`: as written; `postgres`: the same project
/// with a PostgreSQL database), built into a temp folder: its scripts folder.
fn scripts(engine: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_example_inputs(dir.path());
    let manifest = dir.path().join("cfgen.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace(
        "database: { engine: mysql }",
        &format!("database: {{ engine: {engine} }}"),
    );
    assert!(text.contains(&format!("engine: {engine} }}")));
    std::fs::write(&manifest, text).unwrap();
    let out = crate::common::cfgen(dir.path())
        .args(["build", "--target", "scripts"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scripts = dir.path().join("deploy/scripts");
    (dir, scripts)
}

const KEY: &str = "the drill's passphrase";

fn run(script: &Path, envs: &[(&str, String)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .env("BACKUP_KEY", KEY)
        .env("SECOND_SITE_COPY", "later")
        .env_remove("DATABASE_URL_FILE")
        .env_remove("BACKUP_KEY_FILE")
        .env_remove("SCRATCH_PASSWORD_FILE");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Live data: three tables (one empty), the largest with 2000 rows.
fn live_sql(engine: &str) -> &'static str {
    if engine == "postgres" {
        "CREATE TABLE orders (id INT PRIMARY KEY, total INT NOT NULL);
         INSERT INTO orders SELECT g, g * 3 FROM generate_series(1, 2000) g;
         CREATE TABLE users (id INT PRIMARY KEY, name TEXT);
         INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 40) g;
         CREATE TABLE refunds (id INT PRIMARY KEY);"
    } else {
        "CREATE TABLE orders (id INT PRIMARY KEY, total INT NOT NULL);
         INSERT INTO orders SELECT seq, seq * 3 FROM seq_1_to_2000;
         CREATE TABLE users (id INT PRIMARY KEY, name TEXT);
         INSERT INTO users SELECT seq, CONCAT('user ', seq) FROM seq_1_to_40;
         CREATE TABLE refunds (id INT PRIMARY KEY);"
    }
}

struct Drill {
    _live: Server,
    scratch: Server,
    _project: tempfile::TempDir,
    scripts: PathBuf,
    work: tempfile::TempDir,
    engine: &'static str,
}

impl Drill {
    fn backups(&self) -> PathBuf {
        self.work.path().join("backups")
    }

    fn textfile(&self) -> String {
        std::fs::read_to_string(self.work.path().join("textfile/restore_drill.prom"))
            .unwrap_or_default()
    }

    fn drill(&self) -> Output {
        let user = if self.engine == "postgres" {
            "postgres"
        } else {
            "root"
        };
        run(
            &self.scripts.join("restore_drill.sh"),
            &[
                ("BACKUP_DIR", self.backups().display().to_string()),
                ("SCRATCH_HOST", "127.0.0.1".into()),
                ("SCRATCH_PORT", self.scratch.port.to_string()),
                ("SCRATCH_USER", user.into()),
                (
                    "TEXTFILE_DIR",
                    self.work.path().join("textfile").display().to_string(),
                ),
            ],
        )
    }

    /// The newest dump's path.
    fn newest(&self) -> PathBuf {
        let mut dumps: Vec<PathBuf> = std::fs::read_dir(self.backups())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "enc"))
            .collect();
        dumps.sort();
        dumps.pop().expect("a dump")
    }
}

/// Starts the live server with data and TLS (security.yaml asks for it), dumps it with
/// the generated backup script, and starts the empty scratch server.
fn prepare(engine: &'static str) -> Drill {
    let (project, scripts) = scripts(engine);
    let (live, url) = if engine == "postgres" {
        let s = postgres(true, "ecommerce", live_sql(engine));
        let url = format!("postgres://postgres:unused@127.0.0.1:{}/ecommerce", s.port);
        (s, url)
    } else {
        let s = mariadb(true, "ecommerce", live_sql(engine));
        let url = format!("mysql://shop:unused@127.0.0.1:{}/ecommerce", s.port);
        (s, url)
    };
    let work = tempfile::tempdir().unwrap();
    let backups = work.path().join("backups");
    let out = run(
        &scripts.join("backup_database.sh"),
        &[
            ("DATABASE_URL", url),
            ("BACKUP_DIR", backups.display().to_string()),
        ],
    );
    assert!(out.status.success(), "backup: {}", output_text(&out));
    // the scratch server: empty, no TLS, reached only by the drill
    let scratch = if engine == "postgres" {
        postgres(false, "unused", "SELECT 1")
    } else {
        mariadb(false, "unused", "SELECT 1")
    };
    let drill = Drill {
        _live: live,
        scratch,
        _project: project,
        scripts,
        work,
        engine,
    };
    let rows = std::fs::read_to_string(drill.newest().with_extension("enc.rows")).unwrap();
    assert!(
        rows.contains("orders\t2000\n") && rows.contains("users\t40\n"),
        "{rows}"
    );
    drill
}

fn drill_passes_and_fails_on_bad_dumps(engine: &'static str) {
    let d = prepare(engine);
    let out = d.drill();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{engine}: {}", output_text(&out));
    assert!(
        stdout.contains("restore drill: ecommerce_")
            && stdout.contains("(3 tables, 2040 rows)")
            && stdout.contains("RTO 4h (14400 s): met"),
        "{engine}: {}",
        output_text(&out)
    );
    // the measured restore time, for the record
    eprintln!("{engine}: {}", stdout.trim());
    let prom = d.textfile();
    assert!(
        prom.contains("cfgen_restore_drill_success{database=\"ecommerce\"} 1\n")
            && prom.contains(
                "cfgen_restore_drill_last_success_timestamp_seconds{database=\"ecommerce\"} "
            ),
        "{prom}"
    );
    let good = d.newest();
    let rows = std::fs::read_to_string(good.with_extension("enc.rows")).unwrap();
    let newer = |name: &str, bytes: &[u8], rows: &str| {
        let dump = d.backups().join(name);
        std::fs::write(&dump, bytes).unwrap();
        std::fs::write(dump.with_extension("enc.rows"), rows).unwrap();
        dump
    };
    let ext = if engine == "postgres" {
        "dump.enc"
    } else {
        "sql.gz.enc"
    };
    // a corrupt dump: the good one with its middle overwritten
    let mut bytes = std::fs::read(&good).unwrap();
    let (mid, len) = (bytes.len() / 2, bytes.len());
    for b in &mut bytes[mid..(mid + 64).min(len)] {
        *b ^= 0x5a;
    }
    let corrupt = newer(&format!("ecommerce_29991231T000000Z.{ext}"), &bytes, &rows);
    let out = d.drill();
    assert!(
        !out.status.success(),
        "{engine}: a corrupt dump passed: {}",
        output_text(&out)
    );
    assert!(
        d.textfile()
            .contains("cfgen_restore_drill_success{database=\"ecommerce\"} 0\n")
    );
    // the last success is kept when a drill fails
    assert!(
        d.textfile()
            .contains("cfgen_restore_drill_last_success_timestamp_seconds")
    );
    std::fs::remove_file(&corrupt).unwrap();
    // an empty dump
    let empty = newer(&format!("ecommerce_29991231T000001Z.{ext}"), b"", &rows);
    let out = d.drill();
    assert!(
        !out.status.success(),
        "{engine}: an empty dump passed: {}",
        output_text(&out)
    );
    std::fs::remove_file(&empty).unwrap();
    // a dump that restores fine but holds fewer rows than the backup counted
    let inflated = rows.replace("orders\t2000", "orders\t2500");
    let short = newer(
        &format!("ecommerce_29991231T000002Z.{ext}"),
        &std::fs::read(&good).unwrap(),
        &inflated,
    );
    let out = d.drill();
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr)
                .contains("orders: 2000 rows restored, the backup counted 2500"),
        "{engine}: {}",
        output_text(&out)
    );
    std::fs::remove_file(&short).unwrap();
    // and the good dump passes again
    let out = d.drill();
    assert!(out.status.success(), "{engine}: {}", output_text(&out));
}

#[test]
fn restore_drill_mariadb() {
    drill_passes_and_fails_on_bad_dumps("mysql");
}

#[test]
fn restore_drill_postgres() {
    drill_passes_and_fails_on_bad_dumps("postgres");
}

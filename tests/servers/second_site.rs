//! The second backup site (issue 17, backup.yaml `backup_sites: 2`): the seed example's
//! generated second_site_copy.sh copies a dump with rclone to an S3 endpoint, reads it back
//! and compares, and applies the retention there. The endpoint is moto's server mode: an
//! EMULATOR of the S3 API on loopback (PyPI `moto`, tests/tools/requirements.txt), not S3;
//! rclone is Debian's (1.60), the version the CronJob's rclone image pins.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::{Server, free_port, output_text, program};

const BUCKET: &str = "acme-ecommerce-backups";

/// `moto_server` from the PATH (.ci/run puts .venv/bin first).
fn moto_server() -> Server {
    let exe = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("moto_server"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "`moto_server` is missing: .ci/install puts moto[s3], flask and flask-cors \
                 (tests/tools/requirements.txt) into .venv; put .venv/bin on the PATH"
            )
        });
    let port = free_port();
    let mut cmd = Command::new(exe);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    Server::start(cmd, port, tempfile::tempdir().unwrap(), 60, move || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
}

/// The environment rclone's remote `secondsite` needs: the emulator's endpoint and its
/// (any) credentials.
fn env(cmd: &mut Command, port: u16) -> &mut Command {
    cmd.env("SECOND_SITE_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .env("RCLONE_CONFIG_SECONDSITE_ACCESS_KEY_ID", "testing")
        .env("RCLONE_CONFIG_SECONDSITE_SECRET_ACCESS_KEY", "testing")
        .env("RCLONE_CONFIG_SECONDSITE_TYPE", "s3")
        .env("RCLONE_CONFIG_SECONDSITE_PROVIDER", "Other")
        .env(
            "RCLONE_CONFIG_SECONDSITE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .env("RCLONE_CONFIG_SECONDSITE_REGION", "eu-central-1")
        .env("RCLONE_CONFIG", "/dev/null")
        // rclone 1.60's S3 client cannot take a custom CA bundle (`LoadCustomCABundleError:
        // … unsupported transport`); plain http to the emulator needs none
        .env_remove("AWS_CA_BUNDLE")
}

fn rclone(port: u16, args: &[&str]) -> Output {
    let mut cmd = Command::new(program("rclone", "rclone"));
    env(&mut cmd, port).args(args).output().unwrap()
}

fn copy(script: &Path, dir: &Path, port: u16, dump: Option<&Path>) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg(script);
    if let Some(d) = dump {
        cmd.arg(d);
    }
    env(&mut cmd, port)
        .env("BACKUP_DIR", dir)
        .env("DB_NAME", "ecommerce")
        .output()
        .unwrap()
}

fn dump(dir: &Path, stamp: &str, seed: u8, days_old: u64) -> PathBuf {
    let path = dir.join(format!("ecommerce_{stamp}.sql.gz.enc"));
    let bytes: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed)
        .collect();
    std::fs::write(&path, bytes).unwrap();
    std::fs::write(path.with_extension("enc.rows"), "orders\t2000\n").unwrap();
    let when = std::time::SystemTime::now() - Duration::from_secs(days_old * 86_400);
    for p in [path.clone(), path.with_extension("enc.rows")] {
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    path
}

#[test]
fn second_site_copy_is_read_back_and_kept_as_long_as_retention_says() {
    let script = crate::common::example().join("deploy/scripts/second_site_copy.sh");
    assert!(script.is_file(), "{}", script.display());
    let s3 = moto_server();
    let port = s3.port;
    let out = rclone(port, &["mkdir", &format!("secondsite:{BUCKET}")]);
    assert!(out.status.success(), "{}", output_text(&out));
    let backups = tempfile::tempdir().unwrap();
    let remote = format!("secondsite:{BUCKET}/ecommerce");

    // without credentials it refuses
    let out = Command::new("sh")
        .arg(&script)
        .env_remove("RCLONE_CONFIG_SECONDSITE_ACCESS_KEY_ID")
        .env_remove("AWS_CA_BUNDLE")
        .env("BACKUP_DIR", backups.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", output_text(&out));

    // a dump 40 days old (retention: 30d) reaches the site first, with the credentials as
    // files (the CronJob mounts the Secret: SECOND_SITE_CREDENTIALS_DIR)
    let old = dump(backups.path(), "20261020T020000Z", 1, 40);
    let creds = tempfile::tempdir().unwrap();
    std::fs::write(creds.path().join("access-key-id"), "testing").unwrap();
    std::fs::write(creds.path().join("secret-access-key"), "testing").unwrap();
    let mut cmd = Command::new("sh");
    env(&mut cmd, port)
        .arg(&script)
        .arg(&old)
        .env_remove("RCLONE_CONFIG_SECONDSITE_ACCESS_KEY_ID")
        .env_remove("RCLONE_CONFIG_SECONDSITE_SECRET_ACCESS_KEY")
        .env("SECOND_SITE_CREDENTIALS_DIR", creds.path())
        .env("BACKUP_DIR", backups.path());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    std::fs::remove_file(&old).unwrap();

    // today's dump: copied, verified, and the old one gone from the site
    let started = Instant::now();
    let new = dump(backups.path(), "20261201T020000Z", 2, 0);
    let out = copy(&script, backups.path(), port, None);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("verified secondsite:"),
        "{}",
        output_text(&out)
    );
    eprintln!(
        "second site: copied and verified {} bytes in {:?}",
        std::fs::metadata(&new).unwrap().len(),
        started.elapsed()
    );
    let listing = rclone(port, &["lsf", &remote]);
    assert!(listing.status.success(), "{}", output_text(&listing));
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert_eq!(
        listing,
        "ecommerce_20261201T020000Z.sql.gz.enc\necommerce_20261201T020000Z.sql.gz.enc.rows\n",
        "the old dump outlived the retention, or the new one is missing"
    );
    // read the copy back here too: the same bytes
    let back = rclone(
        port,
        &[
            "cat",
            &format!("{remote}/ecommerce_20261201T020000Z.sql.gz.enc"),
        ],
    );
    assert!(back.status.success(), "{}", output_text(&back));
    assert!(
        back.stdout == std::fs::read(&new).unwrap(),
        "the copy differs"
    );
}

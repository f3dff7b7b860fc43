//! The dependencies must be ones cfgen can honour: a supported version of each
//! engine, images of the right engine in docker.yaml's slots, and no pool
//! settings for a dependency the project does not have.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::manifest::{DatabaseEngine, MysqlFlavour};
use crate::provenance::{Origin, Tracked};

/// Oldest supported major line per engine, with the date the line before it
/// reached end of life (as of 2026-12; update with the engines' releases).
const SUPPORTED: &[(&str, &[u32], &str)] = &[
    (
        "PostgreSQL",
        &[13],
        "PostgreSQL 12 reached end of life on 2024-11-21",
    ),
    (
        "MySQL",
        &[8, 4],
        "MySQL 8.0 reached end of life in April 2026 (8.4 is the LTS line)",
    ),
    (
        "MariaDB",
        &[10, 11],
        "MariaDB 10.6 reached end of life in July 2026 (10.11 and 11.4 are LTS)",
    ),
    (
        "Redis",
        &[7, 2],
        "Redis 7.0 and older are no longer supported (7.2 is the oldest maintained line)",
    ),
];

/// Every dependency rule.
pub fn dependencies_are_honourable(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    versions(ctx, &mut out);
    image_slots(ctx, &mut out);
    postgres_certificate(ctx, &mut out);
    cache_tls(ctx, &mut out);
    pools(ctx, &mut out);
    out
}

/// `16`, `8.4`, `7.2`: numbers separated by dots.
fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|p| p.parse().ok()).collect()
}

fn check_version(
    ctx: &Ctx<'_>,
    out: &mut Vec<Diagnostic>,
    engine: &str,
    version: Option<&Tracked<String>>,
) {
    let Some(version) = version else { return };
    let Some((_, oldest, why)) = SUPPORTED.iter().find(|(e, ..)| *e == engine) else {
        return;
    };
    let text = version.peek().as_str();
    let problem = match parse_version(text) {
        None => Some((
            format!("`{text}` is not a version of {engine}"),
            "expected a version number".to_owned(),
            format!(
                "write the major line, e.g. `{}`",
                oldest
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            ),
        )),
        Some(v) if v.as_slice() < *oldest => Some((
            format!("{engine} {text} is no longer supported"),
            "end of life".to_owned(),
            format!(
                "{why}; use {} or later",
                oldest
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            ),
        )),
        Some(_) => None,
    };
    if let Some((message, label, help)) = problem
        && let Some(d) = ctx.error_at("rule::dependency-version", message, version.origin())
    {
        out.push(d.with_label(label).with_help(help));
    }
}

fn versions(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let deps = &ctx.config.manifest.dependencies;
    if let Some(db) = &deps.database {
        let engine = match (*db.engine.peek(), db.flavour.as_ref().map(|f| *f.peek())) {
            (DatabaseEngine::Postgres, _) => "PostgreSQL",
            (DatabaseEngine::Mysql, Some(MysqlFlavour::Mariadb)) => "MariaDB",
            (DatabaseEngine::Mysql, _) => "MySQL",
        };
        check_version(ctx, out, engine, db.version.as_ref());
        if let Some(flavour) = &db.flavour
            && *db.engine.peek() != DatabaseEngine::Mysql
            && let Some(d) = ctx.error_at(
                "rule::dependency-flavour",
                "`flavour` applies to the `mysql` engine only".into(),
                flavour.origin(),
            )
        {
            out.push(
                d.with_label("not a PostgreSQL option")
                    .with_help("remove `flavour`, or set `engine: mysql` for MySQL or MariaDB"),
            );
        }
    }
    if let Some(cache) = &deps.cache {
        check_version(ctx, out, "Redis", cache.version.as_ref());
    }
}

/// The engine an image reference runs, judged by its name.
fn engine_of(image: &str) -> Option<&'static str> {
    let name = image.rsplit('/').next().unwrap_or(image);
    let name = name.split([':', '@']).next().unwrap_or(name);
    [
        ("postgres", "PostgreSQL"),
        ("postgis", "PostgreSQL"),
        ("mysql", "MySQL"),
        ("mariadb", "MariaDB"),
        ("percona", "MySQL"),
        ("redis", "Redis"),
        ("valkey", "Redis"),
    ]
    .into_iter()
    .find(|(n, _)| name.contains(n))
    .map(|(_, e)| e)
}

fn image_slots(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let images = &ctx.config.docker.base_images;
    let slots = [
        ("mysql", images.mysql.as_ref(), &["MySQL", "MariaDB"][..]),
        ("postgres", images.postgres.as_ref(), &["PostgreSQL"][..]),
        ("redis", images.redis.as_ref(), &["Redis"][..]),
    ];
    for (slot, image, wanted) in slots {
        let Some(image) = image else { continue };
        let text = image.peek().to_string();
        let Some(engine) = engine_of(&text) else {
            continue;
        };
        if wanted.contains(&engine) {
            continue;
        }
        if let Some(d) = ctx.error_at(
            "rule::image-slot",
            format!("`base_images.{slot}` is `{text}`, an image of {engine}"),
            image.origin(),
        ) {
            let right = match engine {
                "PostgreSQL" => "postgres",
                "Redis" => "redis",
                _ => "mysql",
            };
            out.push(
                d.with_label(format!("{engine} in the {slot} slot"))
                    .with_help(format!(
                        "move it to `base_images.{right}`, and declare the engine in cfgen.yaml `dependencies` (the slot follows the engine, not the other way round)"
                    )),
            );
        }
    }
}

/// Compose starts PostgreSQL with TLS on the image's own self-signed certificate (the
/// Debian images' `ssl-cert-snakeoil`), since the scripts require TLS when security.yaml
/// asks for encryption in transit; the Alpine images have no such certificate.
fn postgres_certificate(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let config = ctx.config;
    let Some(image) = config.docker.base_images.postgres.as_ref() else {
        return;
    };
    let runs_postgres = config
        .manifest
        .dependencies
        .database
        .as_ref()
        .is_some_and(|d| {
            *d.engine.peek() == DatabaseEngine::Postgres
                && !d.external.as_ref().is_some_and(|e| *e.peek())
        });
    let text = image.peek().to_string();
    if !runs_postgres
        || !config
            .manifest
            .wants(crate::model::manifest::Target::Compose)
        || !*config.security.data.encryption_in_transit.peek()
        || !text.contains("alpine")
    {
        return;
    }
    if let Some(d) = ctx.error_at(
        "rule::postgres-tls-certificate",
        format!("`{text}` has no certificate for the TLS that security.yaml asks for"),
        image.origin(),
    ) {
        let d = d
            .with_label("an Alpine image: no self-signed certificate to serve TLS with")
            .with_help("use a Debian-based tag (e.g. `postgres:16`), whose ssl-cert certificate compose starts PostgreSQL with, or set security.yaml `data.encryption_in_transit: false`");
        out.push(ctx.related_origin(
            d,
            config.security.data.encryption_in_transit.origin(),
            "TLS required here",
        ));
    }
}

/// `dependencies.cache.tls: true` needs a Redis that has a certificate: an external one.
/// The Redis compose runs has none, so a connection test with `--tls` could never pass.
fn cache_tls(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let config = ctx.config;
    let Some(cache) = config.manifest.dependencies.cache.as_ref() else {
        return;
    };
    let Some(tls) = cache.tls.as_ref().filter(|t| *t.peek()) else {
        return;
    };
    let external = cache.external.as_ref().is_some_and(|e| *e.peek());
    if external
        || !config
            .manifest
            .wants(crate::model::manifest::Target::Compose)
    {
        return;
    }
    if let Some(d) = ctx.error_at(
        "rule::cache-tls-compose",
        "the Redis compose runs cannot speak TLS".to_owned(),
        tls.origin(),
    ) {
        out.push(
            d.with_label("TLS to a Redis that compose starts without a certificate")
                .with_help("set `external: true` for a managed Redis with TLS, or remove `tls` (the compose Redis is reachable only on the internal network)"),
        );
    }
}

fn pools(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let deps = &ctx.config.manifest.dependencies;
    let p = &ctx.config.performance;
    let mut report = |written: &[(&str, Origin)], section: &str, what: &str, key: &str| {
        for (name, origin) in written {
            if let Some(d) = ctx.error_at(
                "rule::pool-without-dependency",
                format!("`performance_config.{section}.{name}` tunes {what}, but cfgen.yaml declares none"),
                *origin,
            ) {
                out.push(d.with_label(format!("{what} cfgen.yaml does not declare")).with_help(format!(
                    "declare `dependencies.{key}` in cfgen.yaml, or remove this setting"
                )));
            }
        }
    };
    // Only written values are reported (a default tunes nothing the user asked for).
    let written = |values: &[(&'static str, Origin)]| -> Vec<(&'static str, Origin)> {
        values
            .iter()
            .copied()
            .filter(|(_, origin)| matches!(origin, Origin::Input(..)))
            .collect()
    };
    if deps.database.is_none() {
        let d = &p.database;
        let values = written(&[
            ("connection_pool_size", d.connection_pool_size.origin()),
            ("max_overflow", d.max_overflow.origin()),
            ("pool_timeout", d.pool_timeout.origin()),
            ("pool_recycle", d.pool_recycle.origin()),
            ("query_timeout", d.query_timeout.origin()),
        ]);
        report(&values, "database", "a database", "database");
    }
    if deps.cache.is_none() {
        let c = &p.cache;
        let values = written(&[
            ("redis_pool_size", c.redis_pool_size.origin()),
            ("redis_timeout", c.redis_timeout.origin()),
            ("cache_ttl", c.cache_ttl.origin()),
        ]);
        report(&values, "cache", "a cache", "cache");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_by_image_name() {
        assert_eq!(engine_of("postgres:16-alpine"), Some("PostgreSQL"));
        assert_eq!(engine_of("docker.io/library/mariadb:11.4"), Some("MariaDB"));
        assert_eq!(engine_of("registry.example.com/redis:7"), Some("Redis"));
        assert_eq!(engine_of("ghcr.io/acme/shop"), None);
        assert_eq!(parse_version("8.4"), Some(vec![8, 4]));
        assert_eq!(parse_version("16-alpine"), None);
        assert!(parse_version("8.0").unwrap().as_slice() < &[8, 4][..]);
        assert!(parse_version("16").unwrap().as_slice() >= &[13][..]);
    }
}

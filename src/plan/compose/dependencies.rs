//! The services compose runs beside the workload: the database and the
//! cache (their images, by engine and flavour), the order the workload waits
//! for them, and the optional `monitoring` profile with their exporters.

use serde::Serialize;

use crate::model::Config;
use crate::model::manifest::{DatabaseEngine, MysqlFlavour, Target};

/// A database or cache service.
#[derive(Serialize)]
pub(super) struct Dependency {
    /// `mysql`, `mariadb`, `postgres` or `redis`.
    pub(super) engine: &'static str,
    /// Its service name (the host in the connection URL).
    pub(super) service: &'static str,
    /// Its image.
    pub(super) image: String,
}

/// The optional `monitoring` profile: Prometheus and Alertmanager on the
/// generated config, the exporters of the dependencies compose runs, and
/// node_exporter. `docker compose --profile monitoring up -d`.
#[derive(Serialize)]
pub(super) struct Monitoring {
    prometheus_image: &'static str,
    alertmanager_image: &'static str,
    node_exporter_image: &'static str,
    exporters: Vec<ExporterService>,
    /// Alertmanager's secret files (name, what goes in it).
    alert_secrets: Vec<(&'static str, &'static str)>,
    /// The host folder of the restore drill's textfile metrics, when the project has a drill.
    textfile_dir: Option<&'static str>,
}

/// The exporter of a dependency compose runs.
#[derive(Serialize)]
pub(super) struct ExporterService {
    /// Compose service (`postgres-exporter`).
    service: String,
    image: &'static str,
    /// The dependency's service.
    of: &'static str,
    engine: &'static str,
    port: u16,
}

/// Images of the monitoring profile, pinned by tag (the releases these configs are checked against).
const PROMETHEUS_IMAGE: &str = "prom/prometheus:v3.5.0";
const ALERTMANAGER_IMAGE: &str = "prom/alertmanager:v0.28.1";
const NODE_EXPORTER_IMAGE: &str = "prom/node-exporter:v1.9.1";
const POSTGRES_EXPORTER_IMAGE: &str = "prometheuscommunity/postgres-exporter:v0.17.1";
const MYSQLD_EXPORTER_IMAGE: &str = "prom/mysqld-exporter:v0.17.2";
const REDIS_EXPORTER_IMAGE: &str = "oliver006/redis_exporter:v1.74.0";

pub(super) fn monitoring(
    config: &Config,
    database: Option<&Dependency>,
    cache: Option<&Dependency>,
) -> Option<Monitoring> {
    if !config.manifest.wants(Target::Monitoring) {
        return None;
    }
    // prometheus.yml exists only for a project with a process that serves metrics.
    crate::plan::monitoring::Names::new(config)?;
    let mut exporters = Vec::new();
    if let Some(db) = database {
        let (image, port) = if db.service == "postgres" {
            (POSTGRES_EXPORTER_IMAGE, 9187)
        } else {
            (MYSQLD_EXPORTER_IMAGE, 9104)
        };
        exporters.push(ExporterService {
            service: format!("{}-exporter", db.service),
            image,
            of: db.service,
            engine: db.engine,
            port,
        });
    }
    if cache.is_some() {
        exporters.push(ExporterService {
            service: "redis-exporter".into(),
            image: REDIS_EXPORTER_IMAGE,
            of: "redis",
            engine: "redis",
            port: 9121,
        });
    }
    Some(Monitoring {
        prometheus_image: PROMETHEUS_IMAGE,
        alertmanager_image: ALERTMANAGER_IMAGE,
        node_exporter_image: NODE_EXPORTER_IMAGE,
        exporters,
        alert_secrets: crate::plan::monitoring::routing::secret_files(&config.monitoring.alerts),
        textfile_dir: crate::plan::drill::view(config).map(|d| d.textfile_dir),
    })
}

/// The dependency services the workload waits for until healthy.
pub(super) fn dependency_waits(config: &Config) -> Vec<(String, &'static str)> {
    let deps = &config.manifest.dependencies;
    let mut out = Vec::new();
    if let Some(db) = deps
        .database
        .as_ref()
        .filter(|d| !is_external(d.external.as_deref()))
    {
        out.push((service_of(*db.engine).to_owned(), "service_healthy"));
    }
    if deps
        .cache
        .as_ref()
        .is_some_and(|c| !is_external(c.external.as_deref()))
    {
        out.push(("redis".to_owned(), "service_healthy"));
    }
    out
}

pub(super) fn is_external(flag: Option<&bool>) -> bool {
    flag.copied().unwrap_or(false)
}

/// The compose service of a database engine.
pub(super) fn service_of(engine: DatabaseEngine) -> &'static str {
    match engine {
        DatabaseEngine::Mysql => "mysql",
        DatabaseEngine::Postgres => "postgres",
    }
}

/// The default image of a database, by engine and flavour.
pub(super) fn database_image(config: &Config) -> Option<Dependency> {
    let db = config.manifest.dependencies.database.as_ref()?;
    if is_external(db.external.as_deref()) {
        return None;
    }
    let images = &config.docker.base_images;
    let version = db.version.as_ref().map(ToString::to_string);
    Some(match *db.engine {
        DatabaseEngine::Mysql => {
            let mariadb = db.flavour.as_deref() == Some(&MysqlFlavour::Mariadb);
            let (name, default) = if mariadb {
                ("mariadb", "11.4")
            } else {
                ("mysql", "8.4")
            };
            Dependency {
                engine: if mariadb { "mariadb" } else { "mysql" },
                service: "mysql",
                image: images.mysql.as_ref().map_or_else(
                    || format!("{name}:{}", version.as_deref().unwrap_or(default)),
                    ToString::to_string,
                ),
            }
        }
        DatabaseEngine::Postgres => Dependency {
            engine: "postgres",
            service: "postgres",
            image: images.postgres.as_ref().map_or_else(
                || format!("postgres:{}", version.as_deref().unwrap_or("16")),
                ToString::to_string,
            ),
        },
    })
}

pub(super) fn cache_image(config: &Config) -> Option<Dependency> {
    let cache = config.manifest.dependencies.cache.as_ref()?;
    if is_external(cache.external.as_deref()) {
        return None;
    }
    // The one engine there is: the image follows it.
    let crate::model::manifest::CacheEngine::Redis = *cache.engine;
    Some(Dependency {
        engine: "redis",
        service: "redis",
        image: config.docker.base_images.redis.as_ref().map_or_else(
            || {
                format!(
                    "redis:{}",
                    cache
                        .version
                        .as_ref()
                        .map_or("7.4".to_owned(), ToString::to_string)
                )
            },
            ToString::to_string,
        ),
    })
}

//! Values several targets share, computed once: names, labels, the app's
//! environment variables (the contract with the app, see `app/README.md`).

use serde::Serialize;

use crate::model::Config;
use crate::model::logging::LogLevel;

/// UID and GID the app runs as in every target (numeric, non-root, above 10000).
pub const APP_UID: u32 = 10001;

/// The public URL of `host` in an environment whose config is `config`:
/// `https://` unless kubernetes.yaml `networking.ssl_enabled` is off there.
#[must_use]
pub fn public_url(config: &Config, host: &str) -> String {
    let scheme = if *config.kubernetes.networking.ssl_enabled {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// One environment variable of the app container.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// The `LOG_LEVEL` filter from `logging_config.levels`: the root level first,
/// then `logger=level` for each named logger (tracing `EnvFilter` syntax,
/// which uvicorn/python logging config in the python image maps the same way).
#[must_use]
pub fn log_filter(config: &Config) -> String {
    let levels = &config.logging.levels;
    let root = levels.get("root").map_or(LogLevel::Info, |l| **l);
    let mut parts = vec![root.filter_word().to_owned()];
    parts.extend(
        levels
            .iter()
            .filter(|(name, _)| name.as_str() != "root")
            .map(|(name, level)| format!("{name}={}", level.filter_word())),
    );
    parts.join(",")
}

/// Whether the app logs JSON: a formatter named `json`, or one whose format is a JSON object.
#[must_use]
pub fn log_format(config: &Config) -> &'static str {
    let json = config
        .logging
        .formatters
        .iter()
        .any(|(name, f)| name == "json" || f.format.trim_start().starts_with('{'));
    if json { "json" } else { "text" }
}

/// cfgen's variables of every container, sorted by name: the contract with
/// the app (`app/README.md`), from the policy files; the pool settings only
/// for the dependencies the project has. Secrets come from files or Secrets
/// and are not listed here; `PORT` is per process.
#[must_use]
pub fn app_env(config: &Config) -> Vec<EnvVar> {
    let p = &config.performance;
    let deps = &config.manifest.dependencies;
    let var = |name: &str, value: String| EnvVar {
        name: name.to_owned(),
        value,
    };
    let mut vars = vec![
        var("RUN_MODE", "production".into()),
        var("LOG_LEVEL", log_filter(config)),
        var("LOG_FORMAT", log_format(config).into()),
        var("WORKERS", p.application.workers.to_string()),
        var(
            "WORKER_CONNECTIONS",
            p.application.worker_connections.to_string(),
        ),
        var(
            "KEEPALIVE_TIMEOUT_SECONDS",
            p.application.keepalive_timeout.to_string(),
        ),
        var(
            "REQUEST_BODY_LIMIT_BYTES",
            p.application.client_max_body_size.bytes().to_string(),
        ),
    ];
    if deps.database.is_some() {
        vars.extend([
            var("DB_POOL_SIZE", p.database.connection_pool_size.to_string()),
            var("DB_MAX_OVERFLOW", p.database.max_overflow.to_string()),
            var(
                "DB_POOL_TIMEOUT_SECONDS",
                p.database.pool_timeout.to_string(),
            ),
            var(
                "DB_POOL_RECYCLE_SECONDS",
                p.database.pool_recycle.to_string(),
            ),
            var(
                "DB_QUERY_TIMEOUT_SECONDS",
                p.database.query_timeout.to_string(),
            ),
        ]);
    }
    if deps.cache.is_some() {
        vars.extend([
            var("REDIS_POOL_SIZE", p.cache.redis_pool_size.to_string()),
            var("REDIS_TIMEOUT_SECONDS", p.cache.redis_timeout.to_string()),
            var("CACHE_TTL_SECONDS", p.cache.cache_ttl.to_string()),
        ]);
    }
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

//! Configuration from the environment (12-factor).
//!
//! Every variable that cfgen renders into compose files and ConfigMaps is read here, and only
//! here. Parsing goes through a lookup function rather than `std::env` directly so that it
//! can be tested without touching the process environment. An empty value counts as unset.
//! Error messages name the variable but never echo a secret value.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A configuration error: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable at fault (or the pair of them).
    pub variable: String,
    /// A human readable explanation, free of secret values.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {}: {}",
            self.variable, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

fn err(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        message: message.into(),
    }
}

/// Whether the service runs in production or development mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Production: migrations are never run implicitly.
    Production,
    /// Development: `serve` runs pending migrations at start-up.
    Development,
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human readable text.
    Text,
}

/// Logging settings (`LOG_LEVEL`, `LOG_FORMAT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// An `EnvFilter` directive string such as `info,sqlx=warn`.
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

/// Database settings.
#[derive(Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// `mysql://` URL; may contain a password, so `Debug` redacts it.
    pub url: String,
    /// `DB_POOL_SIZE`: connections kept open.
    pub pool_size: u32,
    /// `DB_MAX_OVERFLOW`: extra connections allowed above `pool_size` under load.
    pub max_overflow: u32,
    /// `DB_POOL_TIMEOUT_SECONDS`: how long to wait for a free connection.
    pub pool_timeout: Duration,
    /// `DB_POOL_RECYCLE_SECONDS`: maximum lifetime of a connection.
    pub pool_recycle: Duration,
    /// `DB_QUERY_TIMEOUT_SECONDS`: bound on one database operation.
    pub query_timeout: Duration,
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("max_overflow", &self.max_overflow)
            .field("pool_timeout", &self.pool_timeout)
            .field("pool_recycle", &self.pool_recycle)
            .field("query_timeout", &self.query_timeout)
            .finish()
    }
}

impl DbConfig {
    /// The effective maximum number of connections: pool size plus overflow.
    pub fn max_connections(&self) -> u32 {
        self.pool_size.saturating_add(self.max_overflow)
    }
}

/// Redis settings.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://` URL; may contain a password, so `Debug` redacts it.
    pub url: String,
    /// `REDIS_POOL_SIZE`: maximum pooled connections.
    pub pool_size: usize,
    /// `REDIS_TIMEOUT_SECONDS`: bound on connecting, waiting for a connection and each command.
    pub timeout: Duration,
    /// `CACHE_TTL_SECONDS`: TTL of cached product listings; 0 disables the cache.
    pub cache_ttl_seconds: u64,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("cache_ttl_seconds", &self.cache_ttl_seconds)
            .finish()
    }
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `PORT`: the TCP port to listen on (all interfaces).
    pub port: u16,
    /// `WORKERS`: tokio worker threads.
    pub workers: usize,
    /// `WORKER_CONNECTIONS`: maximum concurrent in-flight API requests.
    pub worker_connections: usize,
    /// `KEEPALIVE_TIMEOUT_SECONDS`: idle keep-alive connections are closed after this long.
    pub keepalive_timeout: Duration,
    /// `REQUEST_BODY_LIMIT_BYTES`: larger request bodies get 413.
    pub request_body_limit: usize,
    /// `SHUTDOWN_GRACE_SECONDS`: bound on draining in-flight requests after SIGTERM.
    pub shutdown_grace: Duration,
}

/// Everything `shop serve` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `RUN_MODE`.
    pub run_mode: RunMode,
    /// Logging.
    pub log: LogConfig,
    /// HTTP server.
    pub http: HttpConfig,
    /// Database.
    pub db: DbConfig,
    /// Redis.
    pub redis: RedisConfig,
    /// `PAYMENT_FAILURE_RATE`: share of simulated payments that fail, 0.0 to 1.0.
    pub payment_failure_rate: f64,
}

/// Default values, in one place so that the README and the code agree.
pub mod defaults {
    /// `PORT`.
    pub const PORT: u16 = 8080;
    /// `LOG_LEVEL`.
    pub const LOG_LEVEL: &str = "info";
    /// `DB_POOL_SIZE`.
    pub const DB_POOL_SIZE: u32 = 10;
    /// `DB_MAX_OVERFLOW`.
    pub const DB_MAX_OVERFLOW: u32 = 0;
    /// `DB_POOL_TIMEOUT_SECONDS`.
    pub const DB_POOL_TIMEOUT_SECONDS: u64 = 5;
    /// `DB_POOL_RECYCLE_SECONDS`.
    pub const DB_POOL_RECYCLE_SECONDS: u64 = 1800;
    /// `DB_QUERY_TIMEOUT_SECONDS`.
    pub const DB_QUERY_TIMEOUT_SECONDS: u64 = 10;
    /// `REDIS_POOL_SIZE`.
    pub const REDIS_POOL_SIZE: usize = 8;
    /// `REDIS_TIMEOUT_SECONDS`.
    pub const REDIS_TIMEOUT_SECONDS: u64 = 2;
    /// `CACHE_TTL_SECONDS`.
    pub const CACHE_TTL_SECONDS: u64 = 60;
    /// `WORKER_CONNECTIONS`.
    pub const WORKER_CONNECTIONS: usize = 1024;
    /// `KEEPALIVE_TIMEOUT_SECONDS`.
    pub const KEEPALIVE_TIMEOUT_SECONDS: u64 = 75;
    /// `REQUEST_BODY_LIMIT_BYTES` (1 MiB).
    pub const REQUEST_BODY_LIMIT_BYTES: usize = 1024 * 1024;
    /// `SHUTDOWN_GRACE_SECONDS`.
    pub const SHUTDOWN_GRACE_SECONDS: u64 = 25;
    /// `PAYMENT_FAILURE_RATE`.
    pub const PAYMENT_FAILURE_RATE: f64 = 0.0;
}

/// Reads variables through a lookup function; empty values count as unset.
pub struct Env<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// Wraps a lookup function (for example `|k| std::env::var(k).ok()`).
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: FromStr>(&self, name: &str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| err(name, format!("expected {what}, got {raw:?}"))),
        }
    }

    fn positive<T: FromStr + PartialOrd + Default>(
        &self,
        name: &str,
        default: T,
        what: &str,
    ) -> Result<T, ConfigError> {
        let value = self.parse(name, default, what)?;
        if value <= T::default() {
            return Err(err(name, format!("expected {what} greater than 0")));
        }
        Ok(value)
    }

    fn seconds(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        self.positive(name, default, "a whole number of seconds")
            .map(Duration::from_secs)
    }

    /// A secret given either directly (`NAME`) or as a mounted file (`NAME_FILE`).
    fn secret(&self, name: &str) -> Result<String, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.get(name), self.get(&file_var)) {
            (Some(_), Some(_)) => Err(err(
                &format!("{name}/{file_var}"),
                "set exactly one of the two, not both",
            )),
            (None, None) => Err(err(
                &format!("{name}/{file_var}"),
                "one of the two is required",
            )),
            (Some(value), None) => Ok(value.trim().to_owned()),
            (None, Some(path)) => {
                let path = PathBuf::from(path.trim());
                let content = std::fs::read_to_string(&path).map_err(|e| {
                    err(
                        &file_var,
                        format!("cannot read secret file {}: {e}", path.display()),
                    )
                })?;
                let value = content.trim().to_owned();
                if value.is_empty() {
                    return Err(err(
                        &file_var,
                        format!("secret file {} is empty", path.display()),
                    ));
                }
                Ok(value)
            }
        }
    }

    /// `RUN_MODE`.
    pub fn run_mode(&self) -> Result<RunMode, ConfigError> {
        match self.get("RUN_MODE").as_deref().map(str::trim) {
            None | Some("production") => Ok(RunMode::Production),
            Some("development") => Ok(RunMode::Development),
            Some(other) => Err(err(
                "RUN_MODE",
                format!("expected \"production\" or \"development\", got {other:?}"),
            )),
        }
    }

    /// `LOG_LEVEL` and `LOG_FORMAT`.
    pub fn log(&self) -> Result<LogConfig, ConfigError> {
        let level = self
            .get("LOG_LEVEL")
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| defaults::LOG_LEVEL.to_owned());
        tracing_subscriber::EnvFilter::builder()
            .parse(&level)
            .map_err(|e| err("LOG_LEVEL", format!("not a valid filter directive: {e}")))?;
        let format = match self.get("LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(err(
                    "LOG_FORMAT",
                    format!("expected \"json\" or \"text\", got {other:?}"),
                ));
            }
        };
        Ok(LogConfig { level, format })
    }

    /// `PORT`.
    pub fn port(&self) -> Result<u16, ConfigError> {
        self.positive("PORT", defaults::PORT, "a TCP port number (1-65535)")
    }

    /// `DATABASE_URL`/`DATABASE_URL_FILE` and the `DB_*` pool settings.
    pub fn db(&self) -> Result<DbConfig, ConfigError> {
        let url = self.secret("DATABASE_URL")?;
        let source = if self.get("DATABASE_URL").is_some() {
            "DATABASE_URL"
        } else {
            "DATABASE_URL_FILE"
        };
        if !(url.starts_with("mysql://") || url.starts_with("mariadb://")) {
            return Err(err(source, "expected a mysql:// URL"));
        }
        sqlx::mysql::MySqlConnectOptions::from_str(&url)
            .map_err(|_| err(source, "not a valid mysql:// URL"))?;
        Ok(DbConfig {
            url,
            pool_size: self.positive(
                "DB_POOL_SIZE",
                defaults::DB_POOL_SIZE,
                "a positive whole number",
            )?,
            max_overflow: self.parse(
                "DB_MAX_OVERFLOW",
                defaults::DB_MAX_OVERFLOW,
                "a whole number (0 or more)",
            )?,
            pool_timeout: self
                .seconds("DB_POOL_TIMEOUT_SECONDS", defaults::DB_POOL_TIMEOUT_SECONDS)?,
            pool_recycle: self
                .seconds("DB_POOL_RECYCLE_SECONDS", defaults::DB_POOL_RECYCLE_SECONDS)?,
            query_timeout: self.seconds(
                "DB_QUERY_TIMEOUT_SECONDS",
                defaults::DB_QUERY_TIMEOUT_SECONDS,
            )?,
        })
    }

    /// `REDIS_URL`/`REDIS_URL_FILE`, `REDIS_*` and `CACHE_TTL_SECONDS`.
    pub fn redis(&self) -> Result<RedisConfig, ConfigError> {
        let url = self.secret("REDIS_URL")?;
        let source = if self.get("REDIS_URL").is_some() {
            "REDIS_URL"
        } else {
            "REDIS_URL_FILE"
        };
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(err(source, "expected a redis:// URL"));
        }
        if url.starts_with("rediss://") {
            return Err(err(
                source,
                "rediss:// (TLS) is not supported by this build; use redis://",
            ));
        }
        redis::Client::open(url.as_str()).map_err(|_| err(source, "not a valid redis:// URL"))?;
        Ok(RedisConfig {
            url,
            pool_size: self.positive(
                "REDIS_POOL_SIZE",
                defaults::REDIS_POOL_SIZE,
                "a positive whole number",
            )?,
            timeout: self.seconds("REDIS_TIMEOUT_SECONDS", defaults::REDIS_TIMEOUT_SECONDS)?,
            cache_ttl_seconds: self.parse(
                "CACHE_TTL_SECONDS",
                defaults::CACHE_TTL_SECONDS,
                "a whole number of seconds (0 disables the cache)",
            )?,
        })
    }

    /// `PORT`, `WORKERS`, `WORKER_CONNECTIONS`, `KEEPALIVE_TIMEOUT_SECONDS`,
    /// `REQUEST_BODY_LIMIT_BYTES`, `SHUTDOWN_GRACE_SECONDS`.
    pub fn http(&self) -> Result<HttpConfig, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(HttpConfig {
            port: self.port()?,
            workers: self.positive("WORKERS", cores, "a positive whole number")?,
            worker_connections: self.positive(
                "WORKER_CONNECTIONS",
                defaults::WORKER_CONNECTIONS,
                "a positive whole number",
            )?,
            keepalive_timeout: self.seconds(
                "KEEPALIVE_TIMEOUT_SECONDS",
                defaults::KEEPALIVE_TIMEOUT_SECONDS,
            )?,
            request_body_limit: self.positive(
                "REQUEST_BODY_LIMIT_BYTES",
                defaults::REQUEST_BODY_LIMIT_BYTES,
                "a positive number of bytes",
            )?,
            shutdown_grace: self
                .seconds("SHUTDOWN_GRACE_SECONDS", defaults::SHUTDOWN_GRACE_SECONDS)?,
        })
    }

    /// `PAYMENT_FAILURE_RATE`.
    pub fn payment_failure_rate(&self) -> Result<f64, ConfigError> {
        let rate: f64 = self.parse(
            "PAYMENT_FAILURE_RATE",
            defaults::PAYMENT_FAILURE_RATE,
            "a number between 0.0 and 1.0",
        )?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(err(
                "PAYMENT_FAILURE_RATE",
                format!("expected a number between 0.0 and 1.0, got {rate}"),
            ));
        }
        Ok(rate)
    }

    /// The whole configuration `shop serve` needs.
    pub fn config(&self) -> Result<Config, ConfigError> {
        Ok(Config {
            run_mode: self.run_mode()?,
            log: self.log()?,
            http: self.http()?,
            db: self.db()?,
            redis: self.redis()?,
            payment_failure_rate: self.payment_failure_rate()?,
        })
    }
}

/// An [`Env`] over the real process environment.
pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env::new(|name: &str| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Env::new(move |k: &str| map.get(k).cloned())
    }

    const BASE: &[(&str, &str)] = &[
        ("DATABASE_URL", "mysql://shop:s3cret@db:3306/shop"),
        ("REDIS_URL", "redis://cache:6379/0"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = BASE.to_vec();
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn defaults_apply() {
        let c = env(BASE).config().unwrap();
        assert_eq!(c.run_mode, RunMode::Production);
        assert_eq!(c.http.port, 8080);
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.log.level, "info");
        assert_eq!(c.http.shutdown_grace, Duration::from_secs(25));
        assert_eq!(c.payment_failure_rate, 0.0);
        assert_eq!(c.db.max_connections(), 10);
    }

    #[test]
    fn all_values_parse() {
        let vars = with(&[
            ("PORT", "9000"),
            ("RUN_MODE", "development"),
            ("LOG_LEVEL", "info,sqlx=warn"),
            ("LOG_FORMAT", "text"),
            ("DB_POOL_SIZE", "5"),
            ("DB_MAX_OVERFLOW", "3"),
            ("DB_POOL_TIMEOUT_SECONDS", "7"),
            ("DB_POOL_RECYCLE_SECONDS", "600"),
            ("DB_QUERY_TIMEOUT_SECONDS", "4"),
            ("REDIS_POOL_SIZE", "2"),
            ("REDIS_TIMEOUT_SECONDS", "1"),
            ("CACHE_TTL_SECONDS", "0"),
            ("WORKERS", "3"),
            ("WORKER_CONNECTIONS", "64"),
            ("KEEPALIVE_TIMEOUT_SECONDS", "5"),
            ("REQUEST_BODY_LIMIT_BYTES", "2048"),
            ("SHUTDOWN_GRACE_SECONDS", "10"),
            ("PAYMENT_FAILURE_RATE", "0.25"),
        ]);
        let c = env(&vars).config().unwrap();
        assert_eq!(c.http.port, 9000);
        assert_eq!(c.run_mode, RunMode::Development);
        assert_eq!(c.log.format, LogFormat::Text);
        assert_eq!(c.db.max_connections(), 8);
        assert_eq!(c.db.query_timeout, Duration::from_secs(4));
        assert_eq!(c.redis.cache_ttl_seconds, 0);
        assert_eq!(c.http.workers, 3);
        assert_eq!(c.http.worker_connections, 64);
        assert_eq!(c.http.request_body_limit, 2048);
        assert_eq!(c.payment_failure_rate, 0.25);
    }

    fn error_for(extra: &[(&'static str, &'static str)]) -> ConfigError {
        env(&with(extra)).config().unwrap_err()
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("PORT", "http"),
            ("PORT", "0"),
            ("PORT", "70000"),
            ("RUN_MODE", "staging"),
            ("LOG_FORMAT", "xml"),
            ("LOG_LEVEL", "info,[[["),
            ("DB_POOL_SIZE", "0"),
            ("DB_MAX_OVERFLOW", "-1"),
            ("DB_POOL_TIMEOUT_SECONDS", "soon"),
            ("DB_QUERY_TIMEOUT_SECONDS", "0"),
            ("REDIS_POOL_SIZE", "many"),
            ("CACHE_TTL_SECONDS", "-5"),
            ("WORKERS", "0"),
            ("WORKER_CONNECTIONS", "x"),
            ("REQUEST_BODY_LIMIT_BYTES", "1MB"),
            ("SHUTDOWN_GRACE_SECONDS", "2.5"),
            ("PAYMENT_FAILURE_RATE", "1.5"),
            ("PAYMENT_FAILURE_RATE", "NaN"),
        ] {
            let e = error_for(&[(var, value)]);
            assert_eq!(e.variable, var, "{var}={value}: {e}");
        }
    }

    #[test]
    fn secrets_need_exactly_one_source() {
        let e = env(&[("REDIS_URL", "redis://x")]).config().unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL/DATABASE_URL_FILE");
        let e = env(&with(&[("DATABASE_URL_FILE", "/nonexistent")]))
            .config()
            .unwrap_err();
        assert!(e.message.contains("not both"), "{e}");
        let e = env(&[
            ("DATABASE_URL_FILE", "/nonexistent/secret"),
            ("REDIS_URL", "redis://x"),
        ])
        .config()
        .unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL_FILE");
    }

    #[test]
    fn secrets_are_read_from_files_and_never_echoed() {
        let dir = std::env::temp_dir().join(format!("shop-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("db");
        std::fs::write(&good, "mysql://u:pw@h/db\n").unwrap();
        let bad = dir.join("bad");
        std::fs::write(&bad, "postgres://u:topsecret@h/db\n").unwrap();
        let good_s = good.to_str().unwrap().to_owned();
        let bad_s = bad.to_str().unwrap().to_owned();
        let map = move |k: &str| match k {
            "DATABASE_URL_FILE" => Some(good_s.clone()),
            "REDIS_URL" => Some("redis://r".to_owned()),
            _ => None,
        };
        let c = Env::new(map).config().unwrap();
        assert_eq!(c.db.url, "mysql://u:pw@h/db");
        assert!(!format!("{c:?}").contains("pw@"));
        let map = move |k: &str| match k {
            "DATABASE_URL_FILE" => Some(bad_s.clone()),
            "REDIS_URL" => Some("redis://r".to_owned()),
            _ => None,
        };
        let e = Env::new(map).config().unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL_FILE");
        assert!(!e.to_string().contains("topsecret"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wrong_schemes_are_rejected() {
        let e = env(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("REDIS_URL", "redis://r"),
        ])
        .config()
        .unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        let e = env(&[("DATABASE_URL", "mysql://x/y"), ("REDIS_URL", "http://r")])
            .config()
            .unwrap_err();
        assert_eq!(e.variable, "REDIS_URL");
    }

    #[test]
    fn empty_means_unset() {
        let c = env(&with(&[("PORT", ""), ("LOG_FORMAT", " ")]))
            .config()
            .unwrap();
        assert_eq!(c.http.port, 8080);
        assert_eq!(c.log.format, LogFormat::Json);
    }
}

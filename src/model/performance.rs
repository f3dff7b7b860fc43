//! `config/deployment/performance.yaml`: workers, pools, timeouts, caching.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{AtLeast, Between};
use crate::provenance::Tracked;

use super::values::ByteSize;

/// The file `performance.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen performance.yaml")]
pub struct PerformanceFile {
    /// Tuning of the app, its pools and the proxy.
    pub performance_config: PerformanceConfig,
}

/// Tuning of the app, its pools and the proxy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PerformanceConfig {
    /// App server and proxy.
    pub application: ApplicationTuning,
    /// Database connection pool.
    pub database: DatabaseTuning,
    /// Redis pool and cache.
    pub cache: CacheTuning,
    /// CDN in front of the site.
    pub cdn: CdnTuning,
}

/// App server and proxy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ApplicationTuning {
    /// App worker processes (python) or threads (rust): `WORKERS`.
    pub workers: Tracked<u32, Between<1, 256>>,
    /// Connections per nginx worker and the app's concurrent request limit: `WORKER_CONNECTIONS`.
    pub worker_connections: Tracked<u32, AtLeast<1>>,
    /// Seconds an idle keep-alive connection stays open (nginx `keepalive_timeout`, `KEEPALIVE_TIMEOUT_SECONDS`).
    pub keepalive_timeout: Tracked<u32>,
    /// Largest request body accepted (nginx `client_max_body_size`, `REQUEST_BODY_LIMIT_BYTES`).
    pub client_max_body_size: Tracked<ByteSize>,
}

/// Database connection pool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseTuning {
    /// Connections kept in the pool: `DB_POOL_SIZE`.
    pub connection_pool_size: Tracked<u32, AtLeast<1>>,
    /// Extra connections allowed above the pool size under load: `DB_MAX_OVERFLOW`.
    pub max_overflow: Tracked<u32>,
    /// Seconds to wait for a free connection: `DB_POOL_TIMEOUT_SECONDS`.
    pub pool_timeout: Tracked<u32>,
    /// Seconds after which a connection is replaced: `DB_POOL_RECYCLE_SECONDS`.
    pub pool_recycle: Tracked<u32>,
    /// Seconds a query may run: `DB_QUERY_TIMEOUT_SECONDS`.
    pub query_timeout: Tracked<u32>,
}

/// Redis pool and cache.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CacheTuning {
    /// Redis connections: `REDIS_POOL_SIZE`.
    pub redis_pool_size: Tracked<u32, AtLeast<1>>,
    /// Seconds a Redis command may take: `REDIS_TIMEOUT_SECONDS`.
    pub redis_timeout: Tracked<u32>,
    /// Seconds cached entries live: `CACHE_TTL_SECONDS`.
    pub cache_ttl: Tracked<u32>,
    /// Compress responses at the proxy (gzip).
    pub compression: Tracked<bool>,
}

/// CDN in front of the site.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CdnTuning {
    /// CDN provider (documentation: cfgen renders the cache headers every CDN honours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Tracked<CdnProvider>>,
    /// Cache every response at the edge, not only static files; when false, API responses get `Cache-Control: no-store`.
    pub cache_everything: Tracked<bool>,
    /// Seconds browsers cache static assets (`Cache-Control: max-age`).
    pub browser_cache_ttl: Tracked<u32>,
    /// Seconds the edge caches static assets (`Cache-Control: s-maxage`).
    pub edge_cache_ttl: Tracked<u32>,
}

/// A CDN provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CdnProvider {
    /// Cloudflare.
    Cloudflare,
    /// Amazon CloudFront.
    Cloudfront,
    /// Fastly.
    Fastly,
    /// Akamai.
    Akamai,
}

fn n<C>(value: u32) -> Tracked<u32, C> {
    Tracked::default_value(value)
}

impl Default for ApplicationTuning {
    /// Two workers, 1000 connections each, 65 s keep-alive, 10 MiB bodies.
    fn default() -> Self {
        Self {
            workers: n(2),
            worker_connections: n(1000),
            keepalive_timeout: n(65),
            client_max_body_size: "10M".parse().expect("valid size"),
        }
    }
}

impl Default for DatabaseTuning {
    /// A pool of 10 (10 more under load), 30 s waits and queries, connections renewed hourly.
    fn default() -> Self {
        Self {
            connection_pool_size: n(10),
            max_overflow: n(10),
            pool_timeout: n(30),
            pool_recycle: n(3600),
            query_timeout: n(30),
        }
    }
}

impl Default for CacheTuning {
    /// Ten connections, 5 s commands, entries kept an hour, gzip at the proxy.
    fn default() -> Self {
        Self {
            redis_pool_size: n(10),
            redis_timeout: n(5),
            cache_ttl: n(3600),
            compression: Tracked::default_value(true),
        }
    }
}

impl Default for CdnTuning {
    /// No edge caching of API answers; static files an hour in browsers, a day at the edge.
    fn default() -> Self {
        Self {
            provider: None,
            cache_everything: Tracked::default_value(false),
            browser_cache_ttl: n(3600),
            edge_cache_ttl: n(86_400),
        }
    }
}

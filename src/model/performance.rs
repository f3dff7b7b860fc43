//! `config/deployment/performance.yaml`: workers, pools, timeouts, caching.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provenance::Tracked;

use super::values::ByteSize;

/// The file `performance.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cfgen performance.yaml")]
pub struct PerformanceFile {
    /// Tuning of the app, its pools and the proxy.
    pub performance_config: PerformanceConfig,
}

/// Tuning of the app, its pools and the proxy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct ApplicationTuning {
    /// App worker processes (python) or threads (rust): `WORKERS`.
    #[schemars(range(min = 1, max = 256))]
    pub workers: Tracked<u32>,
    /// Connections per nginx worker and the app's concurrent request limit: `WORKER_CONNECTIONS`.
    #[schemars(range(min = 1))]
    pub worker_connections: Tracked<u32>,
    /// Seconds an idle keep-alive connection stays open (nginx `keepalive_timeout`, `KEEPALIVE_TIMEOUT_SECONDS`).
    pub keepalive_timeout: Tracked<u32>,
    /// Largest request body accepted (nginx `client_max_body_size`, `REQUEST_BODY_LIMIT_BYTES`).
    pub client_max_body_size: Tracked<ByteSize>,
}

/// Database connection pool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseTuning {
    /// Connections kept in the pool: `DB_POOL_SIZE`.
    #[schemars(range(min = 1))]
    pub connection_pool_size: Tracked<u32>,
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
#[serde(deny_unknown_fields)]
pub struct CacheTuning {
    /// Redis connections: `REDIS_POOL_SIZE`.
    #[schemars(range(min = 1))]
    pub redis_pool_size: Tracked<u32>,
    /// Seconds a Redis command may take: `REDIS_TIMEOUT_SECONDS`.
    pub redis_timeout: Tracked<u32>,
    /// Seconds cached entries live: `CACHE_TTL_SECONDS`.
    pub cache_ttl: Tracked<u32>,
    /// Compress responses at the proxy (gzip).
    pub compression: Tracked<bool>,
}

/// CDN in front of the site.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnTuning {
    /// CDN provider.
    pub provider: Tracked<CdnProvider>,
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

//! Redis: the product listing cache and the readiness ping.
//!
//! Redis is an optimisation: when it is down, reads fall through to the database and
//! `/ready` reports it, but requests still succeed.

use std::time::Duration;

use deadpool_redis::redis::AsyncCommands;
use deadpool_redis::{Pool, PoolConfig, Runtime, Timeouts};

use crate::config::RedisConfig;

/// The cache key of the product listing (bump the suffix when its JSON shape changes).
pub const PRODUCTS_KEY: &str = "shop:products:v1";

/// Builds the Redis pool without connecting (connections open on first use).
pub fn pool(config: &RedisConfig) -> Result<Pool, String> {
    let mut cfg = deadpool_redis::Config::from_url(config.url.clone());
    let timeouts = Timeouts {
        wait: Some(config.timeout),
        create: Some(config.timeout),
        recycle: Some(config.timeout),
    };
    cfg.pool = Some(PoolConfig {
        max_size: config.pool_size,
        timeouts,
        ..PoolConfig::default()
    });
    cfg.create_pool(Some(Runtime::Tokio1))
        .map_err(|e| format!("cannot create the Redis pool: {e}"))
}

/// Redis access with a timeout on every operation.
#[derive(Clone)]
pub struct Cache {
    pool: Pool,
    timeout: Duration,
    ttl_seconds: u64,
}

impl Cache {
    /// Wraps a pool.
    pub fn new(pool: Pool, timeout: Duration, ttl_seconds: u64) -> Self {
        Self {
            pool,
            timeout,
            ttl_seconds,
        }
    }

    /// Whether caching is enabled (`CACHE_TTL_SECONDS` > 0).
    pub fn enabled(&self) -> bool {
        self.ttl_seconds > 0
    }

    async fn bounded<T, F>(&self, what: &str, fut: F) -> Result<T, String>
    where
        F: Future<Output = Result<T, String>>,
    {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(result) => result,
            Err(_) => Err(format!("redis {what} timed out (REDIS_TIMEOUT_SECONDS)")),
        }
    }

    /// `GET key`.
    pub async fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.bounded("GET", async {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            conn.get(key).await.map_err(|e| e.to_string())
        })
        .await
    }

    /// `SET key value EX ttl` with the configured TTL.
    pub async fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.bounded("SET", async {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            conn.set_ex(key, value, self.ttl_seconds)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// `DEL key`.
    pub async fn del(&self, key: &str) -> Result<(), String> {
        self.bounded("DEL", async {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            conn.del(key).await.map_err(|e| e.to_string())
        })
        .await
    }

    /// `PING`.
    pub async fn ping(&self) -> Result<(), String> {
        self.bounded("PING", async {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            deadpool_redis::redis::cmd("PING")
                .query_async::<String>(&mut *conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Drops idle connections (at shutdown).
    pub fn close(&self) {
        self.pool.close();
    }
}

//! Redis: the product listing cache and the readiness ping.
//!
//! Redis is an optimisation: when it is down, reads fall through to the database and
//! `/ready` reports it, but requests still succeed.
//!
//! The "pool" is `REDIS_POOL_SIZE` multiplexed connections used round-robin: each one
//! pipelines any number of concurrent commands, so there is no check-out (and no per-use
//! PING) on the hot path. Connections open lazily on first use, and a connection that
//! fails a command is dropped and re-opened on its next use, so the cache recovers on its
//! own when Redis comes back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

use crate::config::RedisConfig;

/// The cache key of the product listing (bump the suffix when its JSON shape changes).
pub const PRODUCTS_KEY: &str = "shop:products:v1";

/// Redis access with a timeout on every operation.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    slots: Vec<Mutex<Option<MultiplexedConnection>>>,
    next: AtomicUsize,
    timeout: Duration,
    ttl_seconds: u64,
}

impl Cache {
    /// Prepares the connections without connecting.
    pub fn new(config: &RedisConfig) -> Result<Self, String> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| format!("invalid Redis URL: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                slots: (0..config.pool_size.max(1))
                    .map(|_| Mutex::new(None))
                    .collect(),
                next: AtomicUsize::new(0),
                timeout: config.timeout,
                ttl_seconds: config.cache_ttl_seconds,
            }),
        })
    }

    /// Whether caching is enabled (`CACHE_TTL_SECONDS` > 0).
    pub fn enabled(&self) -> bool {
        self.inner.ttl_seconds > 0
    }

    /// Runs one command on the next connection (opening it if needed), bounded by
    /// `REDIS_TIMEOUT_SECONDS`; a failed connection is dropped for re-opening.
    async fn run<T, F, Fut>(&self, what: &str, command: F) -> Result<T, String>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let inner = &self.inner;
        let slot = &inner.slots[inner.next.fetch_add(1, Ordering::Relaxed) % inner.slots.len()];
        let attempt = async {
            let conn = {
                let mut guard = slot.lock().await;
                match guard.as_ref() {
                    Some(conn) => conn.clone(),
                    None => {
                        let config = redis::AsyncConnectionConfig::new()
                            .set_connection_timeout(Some(inner.timeout))
                            .set_response_timeout(Some(inner.timeout));
                        let conn = inner
                            .client
                            .get_multiplexed_async_connection_with_config(&config)
                            .await
                            .map_err(|e| format!("redis connect: {e}"))?;
                        *guard = Some(conn.clone());
                        conn
                    }
                }
            };
            command(conn)
                .await
                .map_err(|e| format!("redis {what}: {e}"))
        };
        let result = match tokio::time::timeout(inner.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!("redis {what} timed out (REDIS_TIMEOUT_SECONDS)")),
        };
        if result.is_err() {
            slot.lock().await.take();
        }
        result
    }

    /// `GET key`.
    pub async fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.run("GET", |mut c| async move { c.get(key).await })
            .await
    }

    /// `SET key value EX ttl` with the configured TTL.
    pub async fn set(&self, key: &str, value: &str) -> Result<(), String> {
        let ttl = self.inner.ttl_seconds;
        self.run(
            "SET",
            |mut c| async move { c.set_ex(key, value, ttl).await },
        )
        .await
    }

    /// `PING`.
    pub async fn ping(&self) -> Result<(), String> {
        self.run("PING", |mut c| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut c)
                .await
                .map(|_| ())
        })
        .await
    }

    /// Drops the connections (at shutdown).
    pub async fn close(&self) {
        for slot in &self.inner.slots {
            slot.lock().await.take();
        }
    }
}

//! Redis: the product listing cache and the readiness ping.
//!
//! Redis is an optimisation: when it is down, reads fall through to the database, `/ready`
//! reports it (200 `degraded`: the pod stays in service) and requests still succeed.
//!
//! The "pool" is `REDIS_POOL_SIZE` multiplexed connections used round-robin: each one
//! pipelines any number of concurrent commands, so there is no check-out (and no per-use
//! PING) on the hot path. Connections open lazily on first use. When one turns out dead
//! (Redis restarted), all are dropped and the command retried on a new connection, so the
//! cache and the readiness check recover on the first command after Redis is back.

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

    /// The connection of `slot`, opened if there is none; `true` when it was just opened.
    async fn connection(
        &self,
        slot: &Mutex<Option<MultiplexedConnection>>,
    ) -> Result<(MultiplexedConnection, bool), String> {
        let inner = &self.inner;
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref() {
            return Ok((conn.clone(), false));
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(inner.timeout))
            .set_response_timeout(Some(inner.timeout));
        let conn = inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| format!("redis connect: {e}"))?;
        *guard = Some(conn.clone());
        Ok((conn, true))
    }

    /// Drops every open connection: they are re-opened on their next use.
    async fn drop_all(&self) {
        for slot in &self.inner.slots {
            slot.lock().await.take();
        }
    }

    /// Runs one command on the next connection (opening it if needed), bounded as a whole by
    /// `REDIS_TIMEOUT_SECONDS`. A connection that turns out dead (Redis restarted, the
    /// network cut it) means every connection to that server is dead: all are dropped at
    /// once and the command is retried on a new connection, so the first command after Redis
    /// is back succeeds instead of each stale connection failing once in turn.
    async fn run<T, F, Fut>(&self, what: &str, command: F) -> Result<T, String>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let inner = &self.inner;
        let slot = &inner.slots[inner.next.fetch_add(1, Ordering::Relaxed) % inner.slots.len()];
        let attempt = async {
            let (conn, fresh) = self.connection(slot).await?;
            match command(conn).await {
                Ok(v) => Ok(v),
                Err(e) if !fresh && (e.is_unrecoverable_error() || e.is_connection_dropped()) => {
                    tracing::debug!(error = %e, "redis: connection lost, reconnecting every slot");
                    self.drop_all().await;
                    let (conn, _) = self.connection(slot).await?;
                    command(conn)
                        .await
                        .map_err(|e| format!("redis {what}: {e}"))
                }
                Err(e) => Err(format!("redis {what}: {e}")),
            }
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
        self.drop_all().await;
    }
}

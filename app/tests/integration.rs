//! Integration tests: the real `shop` binary against real MariaDB and Redis servers that
//! the harness starts on loopback (fresh datadir per test).

mod common;

use std::time::Duration;

use common::{Services, bounded, http, metric_value};
use serde_json::json;
use sqlx::Connection;

async fn register(shop: &common::Shop, email: &str) -> i64 {
    let r = shop
        .post("/users", json!({"email": email, "name": "Test User"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().expect("user id")
}

#[tokio::test]
async fn whole_order_flow_and_metrics() {
    bounded(90, async {
        let services = Services::start();
        services.migrate();
        // Migrating twice is a no-op.
        services.migrate();
        let shop = services
            .shop(&[("PAYMENT_FAILURE_RATE", "0"), ("CACHE_TTL_SECONDS", "2")])
            .await;

        let r = shop.get("/ready").await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Users.
        let user = register(&shop, "Alice@Example.com").await;
        let r = shop
            .post("/users", json!({"email": "alice@example.com", "name": "Again"}))
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.json()["error"], "conflict");

        // Products: seeded by the migration, cached in Redis.
        let mut product_reads = 1;
        let r = shop.get("/products").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-cache"), Some("miss"));
        let products = r.json()["products"].as_array().expect("products").clone();
        assert_eq!(products.len(), 5);
        let mug = products
            .iter()
            .find(|p| p["sku"] == "MUG-CFG-01")
            .expect("seeded mug");
        let (mug_id, mug_price, mug_stock) = (
            mug["id"].as_i64().unwrap(),
            mug["price_cents"].as_i64().unwrap(),
            mug["stock"].as_i64().unwrap(),
        );
        let r = shop.get("/products").await;
        product_reads += 1;
        assert_eq!(r.header("x-cache"), Some("hit"));

        // Orders.
        let r = shop
            .post(
                "/orders",
                json!({"user_id": user, "items": [{"product_id": mug_id, "quantity": 3}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let order = r.json();
        let order_id = order["id"].as_i64().unwrap();
        assert_eq!(order["status"], "pending");
        assert_eq!(order["total_cents"].as_i64().unwrap(), 3 * mug_price);

        // The cached listing is not invalidated by orders: while cached it shows the old
        // stock; it expires after its TTL (2 s here), and then shows the lower stock.
        let stock_of = |r: &common::Resp| {
            r.json()["products"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == mug_id)
                .unwrap()["stock"]
                .as_i64()
                .unwrap()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let r = shop.get("/products").await;
            product_reads += 1;
            match r.header("x-cache") {
                Some("hit") => assert_eq!(stock_of(&r), mug_stock, "cached listing"),
                Some("miss") => {
                    assert_eq!(stock_of(&r), mug_stock - 3);
                    break;
                }
                other => panic!("unexpected X-Cache {other:?}"),
            }
            assert!(std::time::Instant::now() < deadline, "the cache never expired");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // Business failures. Nearly sell out product 1 behind the app's back first.
        let mut conn = sqlx::MySqlConnection::connect(&services.db.url())
            .await
            .expect("test connection");
        sqlx::query("UPDATE products SET stock = 2 WHERE id = 1")
            .execute(&mut conn)
            .await
            .expect("update stock");
        let r = shop
            .post(
                "/orders",
                json!({"user_id": user, "items": [{"product_id": mug_id, "quantity": 5}, {"product_id": 1, "quantity": 3}]}),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.json()["message"].as_str().unwrap().contains("insufficient stock"));
        let r = shop
            .post(
                "/orders",
                json!({"user_id": 999_999, "items": [{"product_id": mug_id, "quantity": 1}]}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = shop
            .post(
                "/orders",
                json!({"user_id": user, "items": [{"product_id": 424_242, "quantity": 1}]}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        // The failed order rolled back entirely: the mug's stock is unchanged.
        let stock_after: i64 = sqlx::query_scalar("SELECT stock FROM products WHERE id = ?")
            .bind(mug_id)
            .fetch_one(&mut conn)
            .await
            .expect("stock");
        assert_eq!(stock_after, mug_stock - 3);

        // Read and pay.
        let r = shop.get(&format!("/orders/{order_id}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), order);
        let r = shop
            .post(&format!("/orders/{order_id}/pay"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["status"], "paid");
        let r = shop
            .post(&format!("/orders/{order_id}/pay"), json!({}))
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        let r = shop.get(&format!("/orders/{order_id}")).await;
        assert_eq!(r.json()["status"], "paid");
        let r = shop.get("/orders/987654").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error"], "not_found");
        let r = shop.post("/orders/987654/pay", json!({})).await;
        assert_eq!(r.status, 404);

        // Metrics count what happened.
        let page = shop.get("/metrics").await.body;
        let m = |s: &str| metric_value(&page, s);
        assert_eq!(m("user_registrations_total"), 1.0);
        assert_eq!(m(r#"orders_total{outcome="success"}"#), 1.0);
        assert_eq!(m(r#"orders_total{outcome="failed"}"#), 3.0);
        assert_eq!(m(r#"payments_total{outcome="success"}"#), 1.0);
        assert_eq!(m(r#"payments_total{outcome="failed"}"#), 0.0);
        assert_eq!(m("active_users"), 1.0);
        assert_eq!(
            m(r#"http_requests_total{method="POST",route="/users",status="201"}"#),
            1.0
        );
        assert_eq!(
            m(r#"http_requests_total{method="POST",route="/users",status="409"}"#),
            1.0
        );
        assert_eq!(
            m(r#"http_requests_total{method="GET",route="/orders/{id}",status="200"}"#),
            2.0
        );
        assert_eq!(
            m(r#"http_requests_total{method="GET",route="/orders/{id}",status="404"}"#),
            1.0
        );
        assert_eq!(
            m(r#"http_requests_total{method="POST",route="/orders/{id}/pay",status="409"}"#),
            1.0
        );
        assert_eq!(
            m(r#"http_request_duration_seconds_count{method="GET",route="/products"}"#),
            f64::from(product_reads)
        );
        assert!(m("process_resident_memory_bytes") > 1e6);
        assert!(page.contains("process_cpu_seconds_total"));
        assert!(!page.contains("http_request_errors_total{"), "no 5xx expected:\n{page}");

        // The healthcheck subcommand.
        let out = common::run_shop(&["healthcheck"], &[("PORT".into(), shop.port.to_string())]);
        assert!(out.status.success(), "{out:?}");
        let out = common::run_shop(
            &["healthcheck"],
            &[("PORT".into(), common::free_port().to_string())],
        );
        assert_eq!(out.status.code(), Some(1), "{out:?}");

        // Logs are JSON lines carrying the request id.
        let log = shop.log();
        let line = log
            .lines()
            .find(|l| l.contains("order created"))
            .expect("order log line");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["span"]["route"], "/orders");
        assert_eq!(v["span"]["request_id"].as_str().unwrap().len(), 32);
    })
    .await;
}

#[tokio::test]
async fn declined_payments_are_recorded_and_orders_survive_a_restart() {
    bounded(90, async {
        let services = Services::start();
        services.migrate();
        let mut shop = services.shop(&[("PAYMENT_FAILURE_RATE", "1.0")]).await;
        let user = register(&shop, "bob@example.com").await;
        let r = shop
            .post(
                "/orders",
                json!({"user_id": user, "items": [{"product_id": 2, "quantity": 1}, {"product_id": 1, "quantity": 2}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let order = r.json();
        let id = order["id"].as_i64().unwrap();
        let r = shop.post(&format!("/orders/{id}/pay"), json!({})).await;
        assert_eq!(r.status, 402, "{}", r.body);
        assert_eq!(r.json()["error"], "payment_declined");
        assert_eq!(
            shop.metric(r#"payments_total{outcome="failed"}"#).await,
            1.0
        );
        shop.stop().await;

        // A new process (new port, new metrics) sees the same data.
        let shop = services.shop(&[("PAYMENT_FAILURE_RATE", "0")]).await;
        let r = shop.get(&format!("/orders/{id}")).await;
        assert_eq!(r.status, 200);
        let mut expected = order.clone();
        expected["status"] = json!("payment_failed");
        assert_eq!(r.json(), expected);
        let r = shop
            .post("/users", json!({"email": "bob@example.com", "name": "Bob"}))
            .await;
        assert_eq!(r.status, 409);
        // A declined order can be paid again.
        let r = shop.post(&format!("/orders/{id}/pay"), json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(shop.metric(r#"payments_total{outcome="success"}"#).await, 1.0);
        assert_eq!(shop.metric(r#"payments_total{outcome="failed"}"#).await, 0.0);
    })
    .await;
}

async fn wait_ready(shop: &common::Shop, want: u16) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = shop.get("/ready").await;
        if r.status == want {
            return r.json();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/ready never answered {want}; last: {} {}\n{}",
            r.status,
            r.body,
            shop.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `app_dependency_up` as a scrape of `/metrics` reports it (the readiness alert's input).
async fn assert_dependencies(shop: &common::Shop, database: f64, redis: f64) {
    for (dependency, want) in [("database", database), ("redis", redis)] {
        let series = format!(r#"app_dependency_up{{dependency="{dependency}"}}"#);
        assert_eq!(shop.metric(&series).await, want, "{series}");
    }
}

/// Polls `/ready` until its body's `status` is `want`; returns the HTTP status and body.
async fn wait_status(shop: &common::Shop, want: &str) -> (u16, serde_json::Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = shop.get("/ready").await;
        let body = r.json();
        if body["status"] == want {
            return (r.status, body);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/ready never said {want}; last: {} {}\n{}",
            r.status,
            r.body,
            shop.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A Redis outage is degraded service, not unreadiness (SPEC.md, issue 12): `/ready` stays
/// 200 (`degraded`, the pod keeps its traffic), the outage shows in `app_dependency_up`,
/// reads fall through to the database, and everything recovers when Redis is back.
#[tokio::test]
async fn ready_stays_200_while_redis_is_down() {
    bounded(60, async {
        let mut services = Services::start();
        services.migrate();
        let shop = services.shop(&[]).await;
        wait_ready(&shop, 200).await;
        services.redis.stop();
        let (status, body) = wait_status(&shop, "degraded").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["checks"]["redis"], "error");
        assert_eq!(body["checks"]["database"], "ok");
        // A scrape reports the cache outage: the cache alert's input.
        assert_dependencies(&shop, 1.0, 0.0).await;
        // Liveness is unaffected and reads fall through to the database.
        assert_eq!(shop.get("/health").await.status, 200);
        let r = shop.get("/products").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("x-cache"), Some("bypass"));
        services.redis.resume();
        let (status, _) = wait_status(&shop, "ready").await;
        assert_eq!(status, 200);
        assert_dependencies(&shop, 1.0, 1.0).await;
        let r = shop.get("/products").await;
        assert_eq!(r.header("x-cache"), Some("miss"));
        assert_eq!(shop.get("/products").await.header("x-cache"), Some("hit"));
    })
    .await;
}

/// Redis restarted while every pooled connection is open: the readiness check (and the
/// cache) fails at most once after Redis is back, not once per stale connection
/// (`redis PING: broken pipe` on each of the `REDIS_POOL_SIZE` connections in turn).
#[tokio::test]
async fn redis_restart_costs_at_most_one_failed_probe() {
    bounded(60, async {
        let mut services = Services::start();
        services.migrate();
        let pool = 8;
        let shop = services
            .shop(&[("REDIS_POOL_SIZE", &pool.to_string())])
            .await;
        wait_ready(&shop, 200).await;
        // every connection of the pool opened (round-robin: one ping each)
        for _ in 0..2 * pool {
            assert_eq!(shop.get("/ready").await.json()["checks"]["redis"], "ok");
        }
        services.redis.stop();
        services.redis.resume();
        let mut failed = Vec::new();
        for i in 0..2 * pool {
            let body = shop.get("/ready").await.json();
            if body["checks"]["redis"] != "ok" {
                failed.push(i);
            }
        }
        eprintln!(
            "{} of {} probes after the Redis restart failed the Redis check",
            failed.len(),
            2 * pool
        );
        assert!(
            failed.len() <= 1,
            "{} of {} probes after the restart failed the Redis check (probes {failed:?})\n{}",
            failed.len(),
            2 * pool,
            shop.log()
        );
        // and the cache works again at once
        let r = shop.get("/products").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_ne!(r.header("x-cache"), Some("bypass"));
    })
    .await;
}

#[tokio::test]
async fn ready_follows_the_database() {
    bounded(90, async {
        let mut services = Services::start();
        services.migrate();
        let shop = services.shop(&[]).await;
        let user = register(&shop, "carol@example.com").await;
        wait_ready(&shop, 200).await;
        services.db.stop();
        let body = wait_ready(&shop, 503).await;
        assert_eq!(body["checks"]["database"], "error");
        assert_eq!(body["checks"]["redis"], "ok");
        // A scrape reports the same: the readiness alert's input.
        assert_dependencies(&shop, 0.0, 1.0).await;
        // Writes fail with 503 and no internals.
        let r = shop
            .post(
                "/orders",
                json!({"user_id": user, "items": [{"product_id": 1, "quantity": 1}]}),
            )
            .await;
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.json()["error"], "unavailable");
        assert!(!r.body.contains("127.0.0.1") && !r.body.contains("refused"));
        assert_eq!(
            shop.metric(r#"http_request_errors_total{method="POST",route="/orders",status="503"}"#)
                .await,
            1.0
        );
        services.db.resume();
        wait_ready(&shop, 200).await;
        let r = shop
            .post(
                "/orders",
                json!({"user_id": user, "items": [{"product_id": 1, "quantity": 1}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    })
    .await;
}

/// Waits until an order transaction is blocked on the row lock held by the test.
async fn wait_until_blocked(conn: &mut sqlx::MySqlConnection) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT price_cents%FOR UPDATE'",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("processlist");
        if waiting > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the order never blocked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_an_in_flight_request() {
    bounded(90, async {
        let services = Services::start();
        services.migrate();
        let mut shop = services.shop(&[("SHUTDOWN_GRACE_SECONDS", "20")]).await;
        let user = register(&shop, "dave@example.com").await;

        // Hold a row lock on product 3 so that an order for it blocks inside its transaction.
        let mut conn = sqlx::MySqlConnection::connect(&services.db.url())
            .await
            .expect("test connection");
        let mut tx = conn.begin().await.expect("begin");
        sqlx::query("SELECT stock FROM products WHERE id = 3 FOR UPDATE")
            .execute(&mut *tx)
            .await
            .expect("lock");
        let port = shop.port;
        let in_flight = tokio::spawn(async move {
            http(
                port,
                "POST",
                "/orders",
                Some(
                    json!({"user_id": user, "items": [{"product_id": 3, "quantity": 2}]})
                        .to_string(),
                ),
            )
            .await
        });
        // Wait until the order is really waiting on the lock.
        wait_until_blocked(&mut tx).await;

        shop.sigterm();
        // Draining: new connections are soon refused, while the process keeps running.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while http(port, "GET", "/health", None).await.is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "still accepting after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(shop.wait_exit(Duration::from_millis(200)).await.is_none());

        tx.rollback().await.expect("release the lock");
        let r = in_flight
            .await
            .expect("join")
            .expect("in-flight request completed");
        assert_eq!(r.status, 201, "{}", r.body);
        let status = shop
            .wait_exit(Duration::from_secs(10))
            .await
            .expect("shop exited after draining");
        assert!(status.success(), "{status}\n{}", shop.log());
        let log = shop.log();
        assert!(log.contains("shutdown complete"), "{log}");

        // The order was committed.
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE user_id = ?")
            .bind(user)
            .fetch_one(&mut conn)
            .await
            .expect("count");
        assert_eq!(count, 1);
    })
    .await;
}

#[tokio::test]
async fn shutdown_grace_bounds_a_stuck_request() {
    bounded(60, async {
        let services = Services::start();
        services.migrate();
        let mut shop = services.shop(&[("SHUTDOWN_GRACE_SECONDS", "1")]).await;
        let user = register(&shop, "erin@example.com").await;
        let mut conn = sqlx::MySqlConnection::connect(&services.db.url())
            .await
            .expect("test connection");
        let mut tx = conn.begin().await.expect("begin");
        sqlx::query("SELECT stock FROM products WHERE id = 4 FOR UPDATE")
            .execute(&mut *tx)
            .await
            .expect("lock");
        let port = shop.port;
        let stuck = tokio::spawn(async move {
            http(
                port,
                "POST",
                "/orders",
                Some(
                    json!({"user_id": user, "items": [{"product_id": 4, "quantity": 1}]})
                        .to_string(),
                ),
            )
            .await
        });
        wait_until_blocked(&mut tx).await;
        let started = std::time::Instant::now();
        shop.sigterm();
        let status = shop
            .wait_exit(Duration::from_secs(10))
            .await
            .expect("shop exited within the grace period");
        assert!(status.success(), "{status}");
        // 1 s of grace, at most ~1 s more to close the pools, then the runtime is dropped.
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        assert!(shop.log().contains("SHUTDOWN_GRACE_SECONDS elapsed"));
        assert!(
            stuck.await.expect("join").is_err(),
            "the stuck request was cut"
        );
        tx.rollback().await.expect("rollback");
    })
    .await;
}

#[tokio::test]
async fn migrations_run_at_start_only_in_development() {
    bounded(60, async {
        let services = Services::start();
        let mut url_conn = sqlx::MySqlConnection::connect(&services.db.url())
            .await
            .expect("test connection");
        let tables = |n: &str| {
            format!(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = '{n}'"
            )
        };
        // Production (the default): serve never migrates.
        let mut shop = services.shop(&[]).await;
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(tables("_sqlx_migrations")))
            .fetch_one(&mut url_conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "production start-up must not migrate");
        let r = shop.get("/products").await;
        assert_eq!(r.status, 500, "{}", r.body);
        assert_eq!(r.json()["message"], "internal server error");
        assert!(!r.body.contains("products"), "no SQL detail leaks: {}", r.body);
        assert_eq!(
            shop.metric(r#"http_request_errors_total{method="GET",route="/products",status="500"}"#)
                .await,
            1.0
        );
        shop.stop().await;

        // Development: serve applies the migrations.
        let shop = services.shop(&[("RUN_MODE", "development")]).await;
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(tables("products")))
            .fetch_one(&mut url_conn)
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(shop.get("/products").await.status, 200);
    })
    .await;
}

//! Router tests with `oneshot`: validation, error mapping, request ids, readiness while
//! draining, metrics labels. No database or Redis is running: the pools point at a closed
//! port, so anything that reaches them fails fast (which is itself tested).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shop::api::{Limits, PaymentProvider};
use shop::cache::Cache;
use shop::config::{DbConfig, RedisConfig};
use shop::{AppState, app, store};
use tower::ServiceExt;

fn closed_port() -> u16 {
    // Bind and drop: nothing listens there afterwards.
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn state_with(limits: Limits) -> AppState {
    let port = closed_port();
    let db = store::pool(&DbConfig {
        url: format!("mysql://shop:secret-password@127.0.0.1:{port}/shop"),
        pool_size: 1,
        max_overflow: 0,
        pool_timeout: Duration::from_millis(300),
        pool_recycle: Duration::from_secs(60),
        query_timeout: Duration::from_secs(2),
    })
    .expect("pool");
    let redis_cfg = RedisConfig {
        url: format!("redis://127.0.0.1:{port}/0"),
        pool_size: 1,
        timeout: Duration::from_millis(300),
        cache_ttl_seconds: 60,
    };
    AppState::new(
        db,
        Cache::new(&redis_cfg).expect("redis config"),
        PaymentProvider::new(0.0),
        limits,
    )
}

fn state() -> AppState {
    state_with(Limits {
        readiness_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
}

struct Out {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
}

async fn send(state: &AppState, req: Request<Body>) -> Out {
    let resp = app(state.clone()).oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Out {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn health_is_ok_and_carries_a_generated_request_id() {
    let s = state();
    let out = send(&s, get("/health")).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.json(), json!({"status": "ok"}));
    let id = out.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
}

#[tokio::test]
async fn request_id_is_echoed_when_valid_and_replaced_when_not() {
    let s = state();
    let req = Request::get("/health")
        .header("x-request-id", "abc-123.def_4:5")
        .body(Body::empty())
        .unwrap();
    let out = send(&s, req).await;
    assert_eq!(out.headers["x-request-id"], "abc-123.def_4:5");
    let req = Request::get("/health")
        .header("x-request-id", "has spaces and \"quotes\"")
        .body(Body::empty())
        .unwrap();
    let out = send(&s, req).await;
    assert_eq!(out.headers["x-request-id"].len(), 32);
}

#[tokio::test]
async fn unknown_route_and_method_give_json_errors() {
    let s = state();
    let out = send(&s, get("/nope")).await;
    assert_eq!(out.status, StatusCode::NOT_FOUND);
    assert_eq!(out.json()["error"], "not_found");
    let out = send(&s, Request::delete("/users").body(Body::empty()).unwrap()).await;
    assert_eq!(out.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(out.json()["error"], "method_not_allowed");
    let metrics = send(&s, get("/metrics")).await.body;
    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn user_validation() {
    let s = state();
    for (body, status, needle) in [
        (
            r#"{"email":"not-an-email","name":"X"}"#,
            422,
            "email must contain @",
        ),
        (r#"{"email":"a@b","name":"X"}"#, 422, "not a valid address"),
        (
            r#"{"email":"a b@c.org","name":"X"}"#,
            422,
            "not a valid address",
        ),
        (r#"{"email":"","name":"X"}"#, 422, "email must not be empty"),
        (
            r#"{"email":"a@b.org","name":"   "}"#,
            422,
            "name must not be empty",
        ),
        (r#"{"email":"a@b.org"}"#, 422, "missing field `name`"),
        (
            r#"{"email":"a@b.org","name":"X","admin":true}"#,
            422,
            "unknown field",
        ),
        (r#"{"email":42,"name":"X"}"#, 422, "invalid type"),
        (r#"{"email":"a@b.org","#, 400, "JSON"),
    ] {
        let out = send(&s, post_json("/users", body)).await;
        assert_eq!(out.status.as_u16(), status, "{body}: {}", out.body);
        let msg = out.json()["message"].as_str().unwrap().to_owned();
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    let long_name = "n".repeat(101);
    let out = send(
        &s,
        post_json(
            "/users",
            &json!({"email": "a@b.org", "name": long_name}).to_string(),
        ),
    )
    .await;
    assert_eq!(out.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let s = state();
    let req = Request::post("/users")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"email":"a@b.org","name":"X"}"#))
        .unwrap();
    let out = send(&s, req).await;
    assert_eq!(out.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(out.json()["error"], "unsupported_media_type");
}

#[tokio::test]
async fn body_limit_is_413() {
    let s = state_with(Limits {
        body_bytes: 64,
        ..Limits::default()
    });
    let body = json!({"email": "a@b.org", "name": "x".repeat(100)}).to_string();
    let out = send(&s, post_json("/users", &body)).await;
    assert_eq!(out.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(out.json()["error"], "payload_too_large");
}

#[tokio::test]
async fn order_validation_counts_failed_orders() {
    let s = state();
    for (body, needle) in [
        (r#"{"user_id":1,"items":[]}"#, "items must not be empty"),
        (
            r#"{"user_id":0,"items":[{"product_id":1,"quantity":1}]}"#,
            "user_id",
        ),
        (
            r#"{"user_id":1,"items":[{"product_id":1,"quantity":0}]}"#,
            "quantity must be between 1 and 100",
        ),
        (
            r#"{"user_id":1,"items":[{"product_id":1,"quantity":101}]}"#,
            "quantity",
        ),
        (
            r#"{"user_id":1,"items":[{"product_id":-3,"quantity":1}]}"#,
            "product_id",
        ),
        (
            r#"{"user_id":1,"items":[{"product_id":1,"quantity":1},{"product_id":1,"quantity":2}]}"#,
            "more than once",
        ),
        (r#"{"user_id":1}"#, "missing field `items`"),
    ] {
        let out = send(&s, post_json("/orders", body)).await;
        assert_eq!(
            out.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            out.body
        );
        assert_eq!(out.json()["error"], "validation_failed");
        let msg = out.json()["message"].as_str().unwrap().to_owned();
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    let lines: Vec<Value> = (1..=51)
        .map(|i| json!({"product_id": i, "quantity": 1}))
        .collect();
    let out = send(
        &s,
        post_json(
            "/orders",
            &json!({"user_id": 1, "items": lines}).to_string(),
        ),
    )
    .await;
    assert_eq!(out.status, StatusCode::UNPROCESSABLE_ENTITY);
    let metrics = send(&s, get("/metrics")).await.body;
    assert!(
        metrics.contains(r#"orders_total{outcome="failed"} 8"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"orders_total{outcome="success"} 0"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn bad_path_parameter_is_400_with_the_route_template_in_metrics() {
    let s = state();
    let out = send(&s, get("/orders/abc")).await;
    assert_eq!(out.status, StatusCode::BAD_REQUEST);
    assert_eq!(out.json()["error"], "bad_request");
    let out = send(
        &s,
        Request::post("/orders/xyz/pay")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::BAD_REQUEST);
    let metrics = send(&s, get("/metrics")).await.body;
    assert!(
        metrics
            .contains(r#"http_requests_total{method="GET",route="/orders/{id}",status="400"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"http_request_duration_seconds_count{method="POST",route="/orders/{id}/pay"} 1"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn unreachable_database_is_503_without_internals() {
    let s = state();
    let out = send(&s, post_json("/users", r#"{"email":"a@b.org","name":"A"}"#)).await;
    assert_eq!(out.status, StatusCode::SERVICE_UNAVAILABLE, "{}", out.body);
    assert_eq!(
        out.json(),
        json!({"error": "unavailable", "message": "service temporarily unavailable"})
    );
    assert!(!out.body.contains("secret-password"));
    let metrics = send(&s, get("/metrics")).await.body;
    assert!(
        metrics
            .contains(r#"http_request_errors_total{method="POST",route="/users",status="503"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("user_registrations_total 0"));
}

/// Readiness answers for what the app cannot serve without: the database (here unreachable,
/// like Redis) and draining. That Redis alone down keeps it 200 (`degraded`) is tested with
/// real servers in integration.rs (`ready_stays_200_while_redis_is_down`).
#[tokio::test]
async fn ready_is_503_without_the_database_and_while_draining() {
    let s = state();
    let out = send(&s, get("/ready")).await;
    assert_eq!(out.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        out.json(),
        json!({"status": "not_ready", "checks": {"database": "error", "redis": "error"}})
    );
    // The same checks run on each scrape: readiness as a metric, per dependency.
    let metrics = send(&s, get("/metrics")).await.body;
    for line in [
        "# TYPE app_dependency_up gauge",
        r#"app_dependency_up{dependency="database"} 0"#,
        r#"app_dependency_up{dependency="redis"} 0"#,
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    s.start_draining();
    let out = send(&s, get("/ready")).await;
    assert_eq!(out.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(out.json()["status"], "draining");
    // Liveness does not depend on draining.
    assert_eq!(send(&s, get("/health")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let s = state();
    let out = send(&s, get("/metrics")).await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(
        out.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    for name in [
        "# TYPE orders_total counter",
        "# TYPE payments_total counter",
        "# TYPE user_registrations_total counter",
        "# TYPE active_users gauge",
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_resident_memory_bytes gauge",
    ] {
        assert!(out.body.contains(name), "missing {name}:\n{}", out.body);
    }
}

//! The HTTP API: state, router, handlers and the observability middleware.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, HeaderName};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sqlx::mysql::MySqlPool;
use tracing::Instrument;

use crate::cache::{Cache, PRODUCTS_KEY};
use crate::error::{AppError, AppJson, AppPath};
use crate::metrics::{DEPENDENCY_DATABASE, DEPENDENCY_REDIS, Metrics, Outcome};
use crate::store;

/// The request id header, taken from the request when valid and echoed in the response.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The simulated payment provider: declines a configurable share of payments.
#[derive(Debug, Clone, Copy)]
pub struct PaymentProvider {
    failure_rate: f64,
}

impl PaymentProvider {
    /// A provider that declines `failure_rate` (0.0 to 1.0) of the payments.
    pub fn new(failure_rate: f64) -> Self {
        Self {
            failure_rate: failure_rate.clamp(0.0, 1.0),
        }
    }

    /// Charges an amount; `true` when the payment went through.
    pub fn charge(&self, _amount_cents: i64) -> bool {
        fastrand::f64() >= self.failure_rate
    }
}

/// Limits applied by the router.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `REQUEST_BODY_LIMIT_BYTES`.
    pub body_bytes: usize,
    /// `WORKER_CONNECTIONS`: concurrent in-flight API requests (ops endpoints are exempt).
    pub in_flight: usize,
    /// `DB_QUERY_TIMEOUT_SECONDS`.
    pub query_timeout: Duration,
    /// Bound on each readiness check.
    pub readiness_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: crate::config::defaults::REQUEST_BODY_LIMIT_BYTES,
            in_flight: crate::config::defaults::WORKER_CONNECTIONS,
            query_timeout: Duration::from_secs(crate::config::defaults::DB_QUERY_TIMEOUT_SECONDS),
            readiness_timeout: Duration::from_secs(2),
        }
    }
}

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: MySqlPool,
    cache: Cache,
    metrics: Metrics,
    payments: PaymentProvider,
    limits: Limits,
    draining: AtomicBool,
}

impl AppState {
    /// Bundles the pools, the payment provider and the limits; creates fresh metrics.
    pub fn new(db: MySqlPool, cache: Cache, payments: PaymentProvider, limits: Limits) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                cache,
                metrics: Metrics::new(),
                payments,
                limits,
                draining: AtomicBool::new(false),
            }),
        }
    }

    /// The database pool.
    pub fn db(&self) -> &MySqlPool {
        &self.inner.db
    }

    /// The Redis cache.
    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Marks the process as draining: `/ready` answers 503 from now on.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the process is draining.
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    async fn bounded<T>(
        &self,
        fut: impl Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        tokio::time::timeout(self.inner.limits.query_timeout, fut).await?
    }
}

/// Builds the router: API routes behind the concurrency limit, ops routes outside it, and
/// the request-id/logging/metrics middleware around everything.
pub fn app(state: AppState) -> Router {
    let limits = state.inner.limits;
    let api = Router::new()
        .route("/users", post(register_user))
        .route("/products", get(list_products))
        .route("/orders", post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/pay", post(pay_order))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.in_flight,
        ));
    let ops = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics));
    api.merge(ops)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound("route")
}

async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(serde_json::json!({
            "error": "method_not_allowed",
            "message": "method not allowed on this route",
        })),
    )
        .into_response()
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn valid_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut n = fastrand::u128(..);
    let mut buf = [0u8; 32];
    for b in buf.iter_mut().rev() {
        *b = HEX[(n & 0xf) as usize];
        n >>= 4;
    }
    HeaderValue::from_bytes(&buf).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Request id, span, access log and HTTP metrics for every request.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|v| valid_request_id(v))
        .cloned()
        .unwrap_or_else(new_request_id);
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method_label(req.method());
    // Probes and scrapes are hot and uninteresting: no span, and their log line is `debug`
    // (unless they fail). API requests get a span so every line they log has the request id.
    let ops = matches!(route, "/health" | "/ready" | "/metrics");
    let span = if ops {
        tracing::Span::none()
    } else {
        tracing::info_span!(
            "request",
            request_id = request_id.to_str().unwrap_or_default(),
            method,
            route,
        )
    };
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    state
        .metrics()
        .observe_request(route, method, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let id = request_id.to_str().unwrap_or_default();
    if ops && status < 500 {
        tracing::debug!(
            request_id = id,
            method,
            route,
            status,
            latency_ms,
            "request finished"
        );
    } else if ops {
        tracing::warn!(
            request_id = id,
            method,
            route,
            status,
            latency_ms,
            "request finished"
        );
    } else {
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!(status, latency_ms, "request finished");
            } else {
                tracing::info!(status, latency_ms, "request finished");
            }
        });
    }
    response
        .headers_mut()
        .insert(X_REQUEST_ID.clone(), request_id);
    response
}

const HEALTH_BODY: &str = r#"{"status":"ok"}"#;

async fn health() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], HEALTH_BODY)
}

#[derive(Serialize)]
struct ReadyBody {
    status: &'static str,
    checks: ReadyChecks,
}

#[derive(Serialize)]
struct ReadyChecks {
    database: &'static str,
    redis: &'static str,
}

async fn ready(State(state): State<AppState>) -> Response {
    if state.is_draining() {
        let body = ReadyBody {
            status: "draining",
            checks: ReadyChecks {
                database: "skipped",
                redis: "skipped",
            },
        };
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    let (db_ok, redis_ok) = check_dependencies(&state).await;
    let label = |ok: bool| if ok { "ok" } else { "error" };
    // Ready means "can serve": the database is required, the cache is not (reads fall
    // through to the database, orders need no Redis), so a Redis outage is degraded service,
    // reported here and in `app_dependency_up`, never a reason to take the pod out of service.
    let (status, code) = match (db_ok, redis_ok) {
        (true, true) => ("ready", StatusCode::OK),
        (true, false) => ("degraded", StatusCode::OK),
        (false, _) => ("not_ready", StatusCode::SERVICE_UNAVAILABLE),
    };
    let body = ReadyBody {
        status,
        checks: ReadyChecks {
            database: label(db_ok),
            redis: label(redis_ok),
        },
    };
    (code, axum::Json(body)).into_response()
}

/// The readiness checks: `SELECT 1` on the database and `PING` on Redis, concurrently, each
/// bounded by the readiness timeout. Records the outcome in `app_dependency_up` (so a scrape
/// sees what `/ready` sees) and returns (database ok, Redis ok).
async fn check_dependencies(state: &AppState) -> (bool, bool) {
    let bound = state.inner.limits.readiness_timeout;
    let (db, redis) = tokio::join!(
        tokio::time::timeout(bound, store::ping(state.db())),
        tokio::time::timeout(bound, state.cache().ping()),
    );
    let db_ok = match db {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: database check timed out");
            false
        }
    };
    let redis_ok = match redis {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: redis unreachable");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: redis check timed out");
            false
        }
    };
    let metrics = state.metrics();
    metrics.dependency(DEPENDENCY_DATABASE, db_ok);
    metrics.dependency(DEPENDENCY_REDIS, redis_ok);
    (db_ok, redis_ok)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // readiness as a metric: the checks run on each scrape (bounded, like /ready). While
    // draining the gauges keep their last values: shutting down is not a dependency failure.
    if !state.is_draining() {
        check_dependencies(&state).await;
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics().render(),
    )
}

/// `POST /users` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterUser {
    /// Email address; unique, compared case-insensitively.
    pub email: String,
    /// Display name, 1 to 100 characters.
    pub name: String,
}

/// Checks and normalises a registration: returns the lower-cased email and trimmed name.
pub fn validate_user(input: &RegisterUser) -> Result<(String, String), AppError> {
    let email = input.email.trim().to_lowercase();
    let name = input.name.trim().to_owned();
    let invalid = |m: &str| Err(AppError::Validation(m.to_owned()));
    if email.is_empty() {
        return invalid("email must not be empty");
    }
    if email.len() > 254 {
        return invalid("email must be at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return invalid("email must contain @");
    };
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return invalid("email is not a valid address");
    }
    if name.is_empty() {
        return invalid("name must not be empty");
    }
    if name.chars().count() > 100 {
        return invalid("name must be at most 100 characters");
    }
    if name.chars().any(char::is_control) {
        return invalid("name must not contain control characters");
    }
    Ok((email, name))
}

async fn register_user(
    State(state): State<AppState>,
    AppJson(input): AppJson<RegisterUser>,
) -> Result<impl IntoResponse, AppError> {
    let (email, name) = validate_user(&input)?;
    let user = state
        .bounded(store::insert_user(state.db(), &email, &name))
        .await?;
    state.metrics().registrations.inc();
    state
        .metrics()
        .user_seen(u64::try_from(user.id).unwrap_or_default());
    tracing::info!(user_id = user.id, "user registered");
    Ok((StatusCode::CREATED, axum::Json(user)))
}

#[derive(Serialize)]
struct ProductsBody<'a> {
    products: &'a [store::Product],
}

async fn list_products(State(state): State<AppState>) -> Result<Response, AppError> {
    let cache = state.cache();
    let json_response = |body: String, cache_status: &'static str| {
        (
            [
                (CONTENT_TYPE, "application/json"),
                (HeaderName::from_static("x-cache"), cache_status),
            ],
            body,
        )
            .into_response()
    };
    // "bypass": caching disabled, or Redis failed on the read (then don't wait on it twice).
    let mut use_cache = cache.enabled();
    if use_cache {
        match cache.get(PRODUCTS_KEY).await {
            Ok(Some(body)) => return Ok(json_response(body, "hit")),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "product cache read failed; using the database");
                use_cache = false;
            }
        }
    }
    let products = state.bounded(store::list_products(state.db())).await?;
    let body = serde_json::to_string(&ProductsBody {
        products: &products,
    })
    .map_err(|e| AppError::Internal(format!("cannot serialise products: {e}")))?;
    if !use_cache {
        return Ok(json_response(body, "bypass"));
    }
    if let Err(e) = cache.set(PRODUCTS_KEY, &body).await {
        tracing::warn!(error = %e, "product cache write failed");
    }
    Ok(json_response(body, "miss"))
}

/// One line of `POST /orders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// Product id.
    pub product_id: i64,
    /// Units, 1 to 100.
    pub quantity: i64,
}

/// `POST /orders` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// The ordering user.
    pub user_id: i64,
    /// 1 to 50 lines with distinct product ids.
    pub items: Vec<OrderLine>,
}

/// Maximum lines per order.
pub const MAX_ORDER_LINES: usize = 50;
/// Maximum units per line.
pub const MAX_QUANTITY: i64 = 100;

/// Checks an order request; returns its `(product_id, quantity)` pairs.
pub fn validate_order(input: &CreateOrder) -> Result<Vec<(i64, i64)>, AppError> {
    let invalid = |m: String| Err(AppError::Validation(m));
    if input.user_id <= 0 {
        return invalid("user_id must be a positive integer".to_owned());
    }
    if input.items.is_empty() {
        return invalid("items must not be empty".to_owned());
    }
    if input.items.len() > MAX_ORDER_LINES {
        return invalid(format!("at most {MAX_ORDER_LINES} items per order"));
    }
    let mut lines = Vec::with_capacity(input.items.len());
    for (i, line) in input.items.iter().enumerate() {
        if line.product_id <= 0 {
            return invalid(format!("items[{i}].product_id must be a positive integer"));
        }
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return invalid(format!(
                "items[{i}].quantity must be between 1 and {MAX_QUANTITY}"
            ));
        }
        if lines.iter().any(|&(p, _)| p == line.product_id) {
            return invalid(format!(
                "items[{i}].product_id {} appears more than once",
                line.product_id
            ));
        }
        lines.push((line.product_id, line.quantity));
    }
    Ok(lines)
}

async fn create_order(
    State(state): State<AppState>,
    input: Result<AppJson<CreateOrder>, AppError>,
) -> Result<impl IntoResponse, AppError> {
    let result = async {
        let AppJson(input) = input?;
        let lines = validate_order(&input)?;
        state
            .bounded(store::create_order(state.db(), input.user_id, &lines))
            .await
    }
    .await;
    match result {
        Ok(order) => {
            state.metrics().order(Outcome::Success);
            state
                .metrics()
                .user_seen(u64::try_from(order.user_id).unwrap_or_default());
            tracing::info!(
                order_id = order.id,
                total_cents = order.total_cents,
                "order created"
            );
            Ok((StatusCode::CREATED, axum::Json(order)))
        }
        Err(e) => {
            state.metrics().order(Outcome::Failed);
            tracing::info!(reason = e.code(), "order rejected");
            Err(e)
        }
    }
}

async fn get_order(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<impl IntoResponse, AppError> {
    let order = state
        .bounded(store::get_order(state.db(), id))
        .await?
        .ok_or(AppError::NotFound("order"))?;
    Ok(axum::Json(order))
}

async fn pay_order(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<impl IntoResponse, AppError> {
    let provider = state.inner.payments;
    let (order, ok) = state
        .bounded(store::pay_order(state.db(), id, |amount| {
            provider.charge(amount)
        }))
        .await?;
    state
        .metrics()
        .user_seen(u64::try_from(order.user_id).unwrap_or_default());
    if ok {
        state.metrics().payment(Outcome::Success);
        tracing::info!(order_id = order.id, "payment succeeded");
        Ok(axum::Json(order))
    } else {
        state.metrics().payment(Outcome::Failed);
        tracing::info!(order_id = order.id, "payment declined");
        Err(AppError::PaymentDeclined)
    }
}

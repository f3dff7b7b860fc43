//! Command line: `shop [serve|migrate|healthcheck]`.
//!
//! Exit status: 0 on success, 1 on a runtime failure or bad configuration (the message
//! names the variable), 2 on a usage error.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::api::{self, AppState, Limits, PaymentProvider};
use crate::cache::Cache;
use crate::config::{self, Config, ConfigError, RunMode};
use crate::server::{self, Drained, ServeOptions};
use crate::{store, telemetry};

const USAGE: &str = "\
usage: shop [COMMAND]

commands:
  serve        run the HTTP service (default)
  migrate      apply pending database migrations and exit
  healthcheck  GET http://127.0.0.1:$PORT/health; exit 0 when healthy, 1 otherwise
  help         show this text

configuration comes from the environment; see app/README.md.";

/// Entry point of the binary; `args` excludes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let command = args.first().map(String::as_str).unwrap_or("serve");
    if args.len() > 1 {
        eprintln!("shop: unexpected argument {:?}\n\n{USAGE}", args[1]);
        return ExitCode::from(2);
    }
    match command {
        "serve" => serve(),
        "migrate" => migrate(),
        "healthcheck" => healthcheck(),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        "--version" | "-V" => {
            println!("shop {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("shop: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn config_failure(e: &ConfigError) -> ExitCode {
    eprintln!("shop: {e}");
    ExitCode::FAILURE
}

fn runtime(workers: usize) -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("shop: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        })
}

fn healthcheck() -> ExitCode {
    let port = match config::process_env().port() {
        Ok(port) => port,
        Err(e) => return config_failure(&e),
    };
    match crate::healthcheck::check(port, Duration::from_secs(3)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop healthcheck: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate() -> ExitCode {
    let env = config::process_env();
    let (log, db) = match env.log().and_then(|log| Ok((log, env.db()?))) {
        Ok(pair) => pair,
        Err(e) => return config_failure(&e),
    };
    let _guard = telemetry::init(&log);
    let rt = match runtime(1) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let pool = match store::migration_pool(&db) {
            Ok(pool) => pool,
            Err(e) => {
                tracing::error!(error = %e, "cannot configure the database pool");
                return ExitCode::FAILURE;
            }
        };
        let started = Instant::now();
        let result = store::migrate(&pool).await;
        pool.close().await;
        match result {
            Ok(()) => {
                tracing::info!(
                    migrations = store::MIGRATOR.iter().count(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "database schema is up to date"
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!(error = %e, "migration failed");
                ExitCode::FAILURE
            }
        }
    })
}

fn serve() -> ExitCode {
    let config = match config::process_env().config() {
        Ok(config) => config,
        Err(e) => return config_failure(&e),
    };
    let _guard = telemetry::init(&config.log);
    let rt = match runtime(config.http.workers) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let code = rt.block_on(run(config));
    // Connection tasks cut at the end of the grace period must not hold the exit up.
    rt.shutdown_timeout(Duration::from_secs(1));
    code
}

async fn run(config: Config) -> ExitCode {
    let db = match store::pool(&config.db) {
        Ok(pool) => pool,
        Err(e) => {
            tracing::error!(error = %e, "cannot configure the database pool");
            return ExitCode::FAILURE;
        }
    };
    let cache = match Cache::new(&config.redis) {
        Ok(cache) => cache,
        Err(e) => {
            tracing::error!(error = %e, "cannot configure the Redis pool");
            return ExitCode::FAILURE;
        }
    };
    if config.run_mode == RunMode::Development {
        tracing::info!("RUN_MODE=development: applying pending migrations");
        if let Err(e) = store::migrate(&db).await {
            tracing::error!(error = %e, "migration failed");
            return ExitCode::FAILURE;
        }
    }
    let limits = Limits {
        body_bytes: config.http.request_body_limit,
        in_flight: config.http.worker_connections,
        query_timeout: config.db.query_timeout,
        readiness_timeout: config
            .db
            .pool_timeout
            .max(config.redis.timeout)
            .min(Duration::from_secs(2)),
    };
    let state = AppState::new(
        db.clone(),
        cache.clone(),
        PaymentProvider::new(config.payment_failure_rate),
        limits,
    );
    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], config.http.port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, %addr, "cannot listen (PORT)");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        %addr,
        run_mode = ?config.run_mode,
        workers = config.http.workers,
        worker_connections = config.http.worker_connections,
        db_max_connections = config.db.max_connections(),
        "listening"
    );
    let grace = config.http.shutdown_grace;
    let draining_state = state.clone();
    let signal_at = std::sync::Arc::new(std::sync::OnceLock::new());
    let signal_at_set = signal_at.clone();
    let shutdown = async move {
        server::shutdown_signal().await;
        draining_state.start_draining();
        let _ = signal_at_set.set(Instant::now());
    };
    let drained = server::serve(
        listener,
        api::app(state),
        ServeOptions {
            keepalive_timeout: config.http.keepalive_timeout,
            shutdown_grace: grace,
        },
        shutdown,
    )
    .await;
    if let Drained::TimedOut(n) = drained {
        tracing::warn!(
            connections = n,
            "SHUTDOWN_GRACE_SECONDS elapsed with requests still in flight; cutting them"
        );
    }
    let started = signal_at.get().copied().unwrap_or_else(Instant::now);
    let left = grace
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(500));
    cache.close().await;
    if tokio::time::timeout(left, db.close()).await.is_err() {
        tracing::warn!("database pool did not close within the grace period");
    }
    tracing::info!("shutdown complete");
    ExitCode::SUCCESS
}

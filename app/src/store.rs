//! MySQL persistence: users, products, orders, order items and payments.
//!
//! Queries are plain runtime-checked `sqlx` queries (no compile-time database needed).
//! Timestamps are formatted by the server in UTC (sqlx sets the session time zone to
//! `+00:00`), which keeps the crate free of a date-time dependency.

use serde::Serialize;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::{MySql, Row, Transaction};
use std::str::FromStr;

use crate::config::DbConfig;
use crate::error::AppError;

/// The versioned migrations in `app/migrations`, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Builds the connection pool without connecting (connections open on first use).
///
/// The pool keeps `DB_POOL_SIZE` connections open (opened in the background, re-opened when
/// lost); under load it may open up to `DB_MAX_OVERFLOW` more. With overflow allowed, idle
/// connections are closed after a minute and the pool is refilled to `DB_POOL_SIZE`, which
/// sheds the overflow. Every connection is replaced after `DB_POOL_RECYCLE_SECONDS`.
pub fn pool(config: &DbConfig) -> Result<MySqlPool, sqlx::Error> {
    let options = MySqlConnectOptions::from_str(&config.url)?;
    Ok(pool_options(config).connect_lazy_with(options))
}

fn pool_options(config: &DbConfig) -> MySqlPoolOptions {
    MySqlPoolOptions::new()
        .max_connections(config.max_connections())
        .min_connections(config.pool_size)
        .acquire_timeout(config.pool_timeout)
        .max_lifetime(config.pool_recycle)
        // sqlx reaps every connection idle past the timeout, then refills to the minimum:
        // only worth it when there are overflow connections to shed.
        .idle_timeout((config.max_overflow > 0).then(|| std::time::Duration::from_secs(60)))
        .test_before_acquire(true)
}

/// A single-connection pool for `shop migrate` (connects lazily, waits up to
/// `DB_POOL_TIMEOUT_SECONDS` for the server).
pub fn migration_pool(config: &DbConfig) -> Result<MySqlPool, sqlx::Error> {
    let options = MySqlConnectOptions::from_str(&config.url)?;
    Ok(MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(config.pool_timeout)
        .connect_lazy_with(options))
}

/// Runs the pending migrations.
pub async fn migrate(pool: &MySqlPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

const TS: &str = "%Y-%m-%dT%H:%i:%sZ";

/// A registered user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Email address (lower-cased).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Registration time, RFC 3339 UTC.
    pub created_at: String,
}

/// A product of the catalogue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Product {
    /// Id.
    pub id: i64,
    /// Stock keeping unit.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit price in cents.
    pub price_cents: i64,
    /// Units in stock.
    pub stock: i64,
}

/// One line of an order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OrderItem {
    /// Product id.
    pub product_id: i64,
    /// Units ordered.
    pub quantity: i64,
    /// Unit price at order time, in cents.
    pub unit_price_cents: i64,
}

/// An order with its lines.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Order {
    /// Id.
    pub id: i64,
    /// The user who placed it.
    pub user_id: i64,
    /// `pending`, `paid` or `payment_failed`.
    pub status: String,
    /// Sum of the lines, in cents.
    pub total_cents: i64,
    /// Lines, ordered by product id.
    pub items: Vec<OrderItem>,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
}

/// Inserts a user; a duplicate email is a conflict.
pub async fn insert_user(pool: &MySqlPool, email: &str, name: &str) -> Result<User, AppError> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query("INSERT INTO users (email, name) VALUES (?, ?)")
        .bind(email)
        .bind(name)
        .execute(&mut *tx)
        .await;
    let id = match result {
        Ok(done) => i64::try_from(done.last_insert_id())
            .map_err(|_| AppError::Internal("user id out of range".to_owned()))?,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AppError::Conflict(
                "a user with this email already exists".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let row = sqlx::query(
        "SELECT id, email, name, DATE_FORMAT(created_at, ?) AS created_at FROM users WHERE id = ?",
    )
    .bind(TS)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

/// All products, by id.
pub async fn list_products(pool: &MySqlPool) -> Result<Vec<Product>, AppError> {
    let rows = sqlx::query("SELECT id, sku, name, price_cents, stock FROM products ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Product {
                id: row.try_get("id")?,
                sku: row.try_get("sku")?,
                name: row.try_get("name")?,
                price_cents: row.try_get("price_cents")?,
                stock: row.try_get("stock")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// The current UTC time as `(MySQL DATETIME literal, RFC 3339)`, to the second.
fn utc_now() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_at(secs)
}

/// [`utc_now`] for a given number of seconds since the Unix epoch.
fn utc_at(secs: u64) -> (String, String) {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}"),
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z"),
    )
}

/// Creates an order in one transaction: locks the products (in id order, so concurrent
/// orders cannot deadlock), checks and decrements stock, inserts the order and its lines.
/// An unknown user is caught by the foreign key, which saves a round trip.
///
/// `items` must be non-empty with distinct product ids and positive quantities.
pub async fn create_order(
    pool: &MySqlPool,
    user_id: i64,
    items: &[(i64, i64)],
) -> Result<Order, AppError> {
    let mut items = items.to_vec();
    items.sort_unstable();
    let mut tx = pool.begin().await?;
    let mut lines = Vec::with_capacity(items.len());
    let mut total: i64 = 0;
    for &(product_id, quantity) in &items {
        let row = sqlx::query("SELECT price_cents, stock FROM products WHERE id = ? FOR UPDATE")
            .bind(product_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::Validation(format!("product {product_id} does not exist")))?;
        let price: i64 = row.try_get("price_cents")?;
        let stock: i64 = row.try_get("stock")?;
        if stock < quantity {
            return Err(AppError::Conflict(format!(
                "insufficient stock for product {product_id}: {stock} left, {quantity} requested"
            )));
        }
        total = price
            .checked_mul(quantity)
            .and_then(|line| total.checked_add(line))
            .ok_or_else(|| AppError::Validation("order total out of range".to_owned()))?;
        lines.push(OrderItem {
            product_id,
            quantity,
            unit_price_cents: price,
        });
    }
    for line in &lines {
        sqlx::query("UPDATE products SET stock = stock - ? WHERE id = ?")
            .bind(line.quantity)
            .bind(line.product_id)
            .execute(&mut *tx)
            .await?;
    }
    let (created_db, created_at) = utc_now();
    let done = match sqlx::query(
        "INSERT INTO orders (user_id, status, total_cents, created_at) VALUES (?, 'pending', ?, ?)",
    )
    .bind(user_id)
    .bind(total)
    .bind(&created_db)
    .execute(&mut *tx)
    .await
    {
        Ok(done) => done,
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(AppError::Validation(format!(
                "user {user_id} does not exist"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let order_id = i64::try_from(done.last_insert_id())
        .map_err(|_| AppError::Internal("order id out of range".to_owned()))?;
    for line in &lines {
        sqlx::query(
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?)",
        )
        .bind(order_id)
        .bind(line.product_id)
        .bind(line.quantity)
        .bind(line.unit_price_cents)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Order {
        id: order_id,
        user_id,
        status: "pending".to_owned(),
        total_cents: total,
        items: lines,
        created_at,
    })
}

async fn fetch_order(
    tx: &mut Transaction<'static, MySql>,
    order_id: i64,
    lock: bool,
) -> Result<Option<Order>, AppError> {
    let sql = if lock {
        "SELECT id, user_id, status, total_cents, DATE_FORMAT(created_at, ?) AS created_at FROM orders WHERE id = ? FOR UPDATE"
    } else {
        "SELECT id, user_id, status, total_cents, DATE_FORMAT(created_at, ?) AS created_at FROM orders WHERE id = ?"
    };
    let Some(row) = sqlx::query(sql)
        .bind(TS)
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let items = sqlx::query(
        "SELECT product_id, quantity, unit_price_cents FROM order_items WHERE order_id = ? ORDER BY product_id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(OrderItem {
            product_id: r.try_get("product_id")?,
            quantity: r.try_get("quantity")?,
            unit_price_cents: r.try_get("unit_price_cents")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Order {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        status: row.try_get("status")?,
        total_cents: row.try_get("total_cents")?,
        items,
        created_at: row.try_get("created_at")?,
    }))
}

/// Reads an order with its lines.
pub async fn get_order(pool: &MySqlPool, order_id: i64) -> Result<Option<Order>, AppError> {
    let mut tx = pool.begin().await?;
    let order = fetch_order(&mut tx, order_id, false).await?;
    tx.commit().await?;
    Ok(order)
}

/// Pays an order: locks it, refuses if already paid, asks `charge` for the outcome,
/// records the payment attempt and the new status. Returns the updated order and whether
/// the payment succeeded.
pub async fn pay_order(
    pool: &MySqlPool,
    order_id: i64,
    charge: impl FnOnce(i64) -> bool,
) -> Result<(Order, bool), AppError> {
    let mut tx = pool.begin().await?;
    let mut order = fetch_order(&mut tx, order_id, true)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    if order.status == "paid" {
        return Err(AppError::Conflict("order is already paid".to_owned()));
    }
    let ok = charge(order.total_cents);
    let status = if ok { "paid" } else { "payment_failed" };
    sqlx::query("INSERT INTO payments (order_id, amount_cents, outcome) VALUES (?, ?, ?)")
        .bind(order_id)
        .bind(order.total_cents)
        .bind(if ok { "success" } else { "failed" })
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE orders SET status = ? WHERE id = ?")
        .bind(status)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    status.clone_into(&mut order.status);
    Ok((order, ok))
}

/// `SELECT 1`: is the database reachable?
pub async fn ping(pool: &MySqlPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_now_is_well_formed() {
        let (db, rfc) = super::utc_now();
        assert_eq!(db.len(), 19);
        assert_eq!(rfc.len(), 20);
        assert_eq!(db.replace(' ', "T") + "Z", rfc);
        assert!(rfc.starts_with("20"), "{rfc}");
        assert_eq!(super::utc_at(0).1, "1970-01-01T00:00:00Z");
        assert_eq!(super::utc_at(951_782_400).1, "2000-02-29T00:00:00Z");
        assert_eq!(super::utc_at(1_709_210_096).0, "2024-02-29 12:34:56");
        assert_eq!(super::utc_at(4_102_444_799).1, "2099-12-31T23:59:59Z");
    }
}

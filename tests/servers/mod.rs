//! The generated scripts run against real servers on loopback: a Redis, a MariaDB and a
//! PostgreSQL started by the test (Debian's `redis-server`, `mariadb-server`,
//! `postgresql`), each in a temp folder, killed on drop. Every project of the repository
//! (examples/* and app) is checked, so a defect cannot hide behind the example's config.
//! A missing server binary fails the test, naming the package (no silent skip).

mod backup;
mod drill;
mod harness;
mod redis;
mod second_site;

pub use harness::*;

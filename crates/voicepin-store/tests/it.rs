//! Integration tests of the store adapters, in one binary (one link, one process: cheaper
//! to build, and the suites share their fixtures).
//!
//! - [`accounts`]: administrator accounts and sessions, stored and through the use cases;
//! - [`contract`]: what every [`voicepin_core::ports::Store`] must do, written against
//!   `Arc<dyn Store>` so each backend runs the very same cases;
//! - [`usecases`]: the Exchange stories through [`voicepin_core::VoicePin`] over a real store,
//!   the concurrency of sign-ins included;
//! - [`secrets`]: no PIN in clear anywhere in the database;
//! - [`sqlite`]: the suites on SQLite files, and what is particular to SQLite;
//! - [`postgres`]: the suites on PostgreSQL, a schema per test, and several nodes over one
//!   database (`VOICEPIN_TEST_POSTGRES_URL`, see the module);
//! - [`schema`]: the two backends' migrations describe the same schema;
//! - [`keyring`]: the record of the keys a database was written with, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "it/accounts.rs"]
mod accounts;
#[path = "it/contract.rs"]
mod contract;
#[path = "it/keyring.rs"]
mod keyring;
#[path = "it/postgres.rs"]
mod postgres;
#[path = "it/schema.rs"]
mod schema;
#[path = "it/secrets.rs"]
mod secrets;
#[path = "it/sqlite.rs"]
mod sqlite;
#[path = "it/support.rs"]
mod support;
#[path = "it/usecases.rs"]
mod usecases;

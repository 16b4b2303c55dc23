//! What differs between the backends, and nothing else.

use sqlx::Database;

/// The few words in which SQLite and PostgreSQL differ, for the statements both run.
/// Implemented in `crate::sqlite` and `crate::postgres`; sealed (the trait cannot be named
/// outside this crate).
pub trait Dialect: Database + Sync {
    /// Begins a transaction that writes. SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so two commits never deadlock upgrading a read lock; PostgreSQL
    /// locks rows as it goes (READ COMMITTED).
    const BEGIN_WRITE: &'static str;
    /// Begins a transaction that reads several statements from one snapshot. SQLite's
    /// deferred transaction has one; PostgreSQL's READ COMMITTED takes a snapshot per
    /// statement, so it asks for REPEATABLE READ.
    const BEGIN_READ: &'static str;
    /// Appended to a `SELECT` that reads a row about to be changed or removed: PostgreSQL
    /// locks it (`FOR UPDATE`) until the commit; SQLite already holds the database's write
    /// lock.
    const LOCK_ROW: &'static str;
    /// Appended to the `SELECT` that picks rows to claim: PostgreSQL locks them and skips
    /// rows another transaction holds (`FOR UPDATE SKIP LOCKED`), so two nodes claim
    /// different messages without waiting; SQLite has one writer at a time.
    const SKIP_LOCKED: &'static str;
    /// The function that finds a text in another: `f(haystack, needle)` is its 1-based
    /// position, 0 when absent.
    const POSITION: &'static str;

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

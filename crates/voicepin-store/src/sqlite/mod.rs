//! The SQLite store: one database file, WAL journaling, a small pool of connections.
//!
//! Writes take the write lock up front (`BEGIN IMMEDIATE`), so two commits never deadlock
//! upgrading a read lock; a busy connection waits up to ten seconds for its turn.
//! Reads that need several statements run in one read transaction, a consistent snapshot.

use std::path::Path;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult, SqliteSynchronous};
use voicepin_core::StoreError;

use crate::MailSealer;
use crate::sql::{Dialect, SqlStore};

/// How long a connection waits for a lock held by another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in the pool: SQLite has one writer at a time, so a handful is plenty.
const MAX_CONNECTIONS: u32 = 5;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The [`Store`](voicepin_core::ports::Store) over an SQLite database file: the embedded
/// default. Open one with [`SqliteStore::open`].
pub type SqliteStore = SqlStore<Sqlite>;

impl Dialect for Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const BEGIN_READ: &'static str = "BEGIN";
    const LOCK_ROW: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
    const POSITION: &'static str = "instr";

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqlStore<Sqlite> {
    /// Opens (creating it if missing) the database at `path` and brings its schema up to
    /// date. Queued message bodies are sealed and opened with `sealer`.
    ///
    /// The connections use WAL journaling, `synchronous = NORMAL`, foreign keys and a
    /// busy timeout of ten seconds.
    pub async fn open(path: &Path, sealer: MailSealer) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open database {}: {e}", path.display())))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot migrate database {}: {e}", path.display())))?;
        Ok(Self::new(pool, sealer))
    }
}

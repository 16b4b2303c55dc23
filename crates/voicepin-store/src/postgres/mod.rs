//! The PostgreSQL store, for deployments with many nodes sharing one database.
//!
//! Commits run at READ COMMITTED, concurrently: each update or delete names the revision it
//! read (`WHERE id = $1 AND revision = $2`), which waits for the row's lock and re-checks
//! the revision, so a lost update is impossible; deletes lock the row they check first.
//! Reads of several statements run in one REPEATABLE READ snapshot.

use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgPoolOptions, PgQueryResult};
use voicepin_core::StoreError;

use crate::MailSealer;
use crate::sql::{Dialect, SqlStore};

/// Connections in the pool of each node.
const MAX_CONNECTIONS: u32 = 10;
/// How long a caller waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The [`Store`](voicepin_core::ports::Store) over a PostgreSQL database, shared by every
/// node of a deployment. Connect with [`PgStore::connect`].
pub type PgStore = SqlStore<Postgres>;

impl Dialect for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const BEGIN_READ: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    const LOCK_ROW: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const POSITION: &'static str = "strpos";

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqlStore<Postgres> {
    /// Connects to the database at `url` (`postgres://user@host:5432/db`, with any of
    /// libpq's parameters, e.g. `?sslmode=require` or `?options=-csearch_path%3Dvoicepin`)
    /// and brings its schema up to date; nodes starting together take turns (the migrator
    /// holds an advisory lock). Queued message bodies are sealed and opened with `sealer`,
    /// which every node must share.
    ///
    /// The pool keeps up to ten connections.
    pub async fn connect(url: &str, sealer: MailSealer) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot migrate the PostgreSQL database: {e}")))?;
        Ok(Self::new(pool, sealer))
    }
}

//! Store adapters: the [`voicepin_core::ports::Store`] port over SQL databases.
//!
//! - [`SqliteStore`]: the embedded default, one file with WAL journaling;
//! - [`PgStore`]: PostgreSQL, for deployments with many nodes;
//! - [`MailSealer`]: encrypts queued message bodies, which may carry a PIN until sent.
//!
//! Both are one [`SqlStore`]: the statements are written once (the private `sql` module),
//! in the SQL both databases speak, and a backend adds only the few words in which they
//! differ. Each backend has its own migrations folder (`migrations/sqlite`,
//! `migrations/postgres`) describing the same logical schema, which a test compares; the
//! conventions both follow (times as Unix nanoseconds, ids as text, lower-case keys for
//! case-insensitive names) live in one place, the private `codec` module. No PIN is ever
//! stored in clear: mailboxes hold keyed Argon2id hashes, and message bodies are sealed.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod codec;
mod postgres;
mod sealer;
mod sql;
mod sqlite;

pub use postgres::PgStore;
pub use sealer::{KEY_LENGTH, MailSealer};
pub use sql::{Backend, KeyFingerprint, SqlStore};
pub use sqlite::SqliteStore;

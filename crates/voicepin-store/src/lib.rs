//! Store adapters: the [`voicepin_core::ports::Store`] port over SQL databases.
//!
//! - [`SqliteStore`]: the embedded default, one file with WAL journaling;
//! - [`MailSealer`]: encrypts queued message bodies, which may carry a PIN until sent.
//!
//! Each backend has its own migrations folder (`migrations/sqlite`, `migrations/postgres`)
//! describing the same logical schema; the conventions both follow (times as Unix
//! nanoseconds, ids as text, lower-case keys for case-insensitive names) live in one place,
//! the private `codec` module. No PIN is ever stored in clear: mailboxes hold keyed
//! Argon2id hashes, and message bodies are sealed.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod codec;
mod sealer;
mod sqlite;

pub use sealer::{KEY_LENGTH, MailSealer};
pub use sqlite::SqliteStore;

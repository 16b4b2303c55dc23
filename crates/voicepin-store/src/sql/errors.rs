//! Database errors as [`StoreError`]s, whichever the backend.

use sqlx::Database;
use sqlx::error::ErrorKind;
use voicepin_core::StoreError;

/// A failure of the database, named after its backend (`SQLite: ...`, `PostgreSQL: ...`).
/// `?` turns it into a [`StoreError::Backend`]; a write first asks it for a [`Violation`].
#[derive(Debug)]
pub struct DbError {
    backend: &'static str,
    error: sqlx::Error,
}

impl DbError {
    /// An error of the backend `DB`.
    pub fn of<DB: Database>(error: sqlx::Error) -> Self {
        Self { backend: DB::NAME, error }
    }

    /// The constraint the failed write broke, if that is what happened.
    pub fn violation(&self) -> Option<Violation<'_>> {
        let sqlx::Error::Database(error) = &self.error else {
            return None;
        };
        match error.kind() {
            // PostgreSQL names the constraint (23505, `dial_plans_name_key_key`); SQLite names
            // the columns in its message (`UNIQUE constraint failed: dial_plans.name_key`).
            // Either way the column's name is in the text.
            ErrorKind::UniqueViolation => Some(Violation::Unique(error.constraint().unwrap_or(error.message()))),
            // 23503 in PostgreSQL; SQLite does not say which key.
            ErrorKind::ForeignKeyViolation => Some(Violation::ForeignKey),
            _ => None,
        }
    }

    /// Whether the database rolled the transaction back because of another one, so that
    /// trying again, from a fresh read, succeeds: a deadlock victim (PostgreSQL's 40P01,
    /// two commits taking the same extensions in opposite orders) or a serialization
    /// failure (40001). SQLite, which runs one writer at a time, has neither.
    fn is_transient(&self) -> bool {
        let sqlx::Error::Database(error) = &self.error else {
            return false;
        };
        error.code().is_some_and(|code| TRANSIENT_CODES.contains(&code.as_ref()))
    }
}

/// The SQLSTATEs of [`DbError::is_transient`].
const TRANSIENT_CODES: [&str; 2] = ["40P01", "40001"];

impl From<DbError> for StoreError {
    /// A transient failure is a [`StoreError::Conflict`]: the use cases re-read and retry.
    fn from(error: DbError) -> Self {
        if error.is_transient() {
            return StoreError::Conflict;
        }
        StoreError::Backend(format!("{}: {}", error.backend, error.error))
    }
}

/// A failure of the database `DB` itself.
pub fn db<DB: Database>(error: sqlx::Error) -> StoreError {
    DbError::of::<DB>(error).into()
}

/// A constraint a write broke.
pub enum Violation<'a> {
    /// A unique key, named by text that contains its column's name.
    Unique(&'a str),
    /// A foreign key.
    ForeignKey,
}

/// A unique value taken, by its Exchange parameter name.
pub fn duplicate(field: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Duplicate { field, value: value.into() }
}

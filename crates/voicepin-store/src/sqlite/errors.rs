//! SQLite errors as [`StoreError`]s.

use sqlx::error::ErrorKind;
use voicepin_core::StoreError;

/// A failure of the database itself.
pub(super) fn db(error: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("SQLite: {error}"))
}

/// A constraint a write broke.
pub(super) enum Violation<'a> {
    /// A unique key; the message names the columns (`UNIQUE constraint failed: t.c`).
    Unique(&'a str),
    /// A foreign key (SQLite does not say which).
    ForeignKey,
}

/// The constraint `error` reports, if it is a constraint violation.
pub(super) fn violation(error: &sqlx::Error) -> Option<Violation<'_>> {
    let sqlx::Error::Database(error) = error else {
        return None;
    };
    match error.kind() {
        ErrorKind::UniqueViolation => Some(Violation::Unique(error.message())),
        ErrorKind::ForeignKeyViolation => Some(Violation::ForeignKey),
        _ => None,
    }
}

/// A unique value taken, by its Exchange parameter name.
pub(super) fn duplicate(field: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Duplicate { field, value: value.into() }
}

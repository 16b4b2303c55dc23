//! [`Sql`]: a statement and its values, run on the connection of either backend.
//!
//! The queries are written once, with `?` for every value. What sqlx needs to know about a
//! backend's types (how to bind an `i64`, decode a `String`, ...) is stated once here, in the
//! blanket impls of [`Exec`] and [`Values`]; the rest of the engine only sees those two
//! traits and a closed set of column types, so it never repeats sqlx's bounds.

use std::future::Future;

use sqlx::{ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, QueryBuilder, Type};
use voicepin_core::StoreError;

use super::dialect::Dialect;
use super::errors::DbError;
use crate::codec;

/// A value bound to a `?`.
#[derive(Debug)]
pub enum Value {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// A text, or NULL.
    Text(Option<String>),
    /// A boolean (INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL).
    Bool(bool),
    /// Bytes (BLOB in SQLite, BYTEA in PostgreSQL).
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Self::Bytes(value)
    }
}

/// A statement whose values stand as `?` in its text, in order. The text has no `?` of its
/// own: none of its string literals holds one, and no operator used is spelled with one.
#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// A statement starting with `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), values: Vec::new() }
    }

    /// Binds the next `?` (builder style).
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Appends text, with or without `?`s.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds the next `?` of the text pushed so far.
    pub fn arg(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self
    }

    /// Appends a `?` and its value.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.push("?").arg(value)
    }

    /// Runs the statement; the number of rows it changed.
    pub async fn execute(self, conn: &mut impl Exec) -> Result<u64, DbError> {
        conn.execute(self).await
    }

    /// Runs the query; every row.
    pub async fn fetch_all<C: Exec>(self, conn: &mut C) -> Result<Vec<C::Row>, DbError> {
        conn.fetch_all(self).await
    }

    /// Runs the query; the first row, if any.
    pub async fn fetch_optional<C: Exec>(self, conn: &mut C) -> Result<Option<C::Row>, DbError> {
        conn.fetch_optional(self).await
    }

    /// Runs the query; its one row.
    pub async fn fetch_one<C: Exec>(self, conn: &mut C) -> Result<C::Row, DbError> {
        conn.fetch_all(self)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| DbError::of::<C::Database>(sqlx::Error::RowNotFound))
    }

    /// The statement in the backend's own syntax (`?` or `$n`), values bound.
    fn build<DB>(self) -> Result<QueryBuilder<DB>, sqlx::Error>
    where
        DB: Database,
        Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
        Option<String>: for<'q> Encode<'q, DB> + Type<DB>,
        bool: for<'q> Encode<'q, DB> + Type<DB>,
        Vec<u8>: for<'q> Encode<'q, DB> + Type<DB>,
    {
        let mut parts = self.text.split('?');
        let mut builder = QueryBuilder::new(parts.next().unwrap_or_default());
        let mut values = self.values.into_iter();
        for part in parts {
            let value = values.next().ok_or_else(|| mismatch(&self.text))?;
            match value {
                Value::Int(value) => builder.push_bind(value),
                Value::Text(value) => builder.push_bind(value),
                Value::Bool(value) => builder.push_bind(value),
                Value::Bytes(value) => builder.push_bind(value),
            };
            builder.push(part);
        }
        if values.next().is_some() {
            return Err(mismatch(&self.text));
        }
        Ok(builder)
    }
}

/// A programming error: the placeholders and the values do not pair up.
fn mismatch(text: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("the values do not match the placeholders of `{text}`"))
}

/// A connection statements run on: `SqliteConnection` or `PgConnection` (or a transaction
/// dereferenced to one).
pub trait Exec: Send {
    /// The backend, for error messages.
    type Database: Database;
    /// A result row.
    type Row: Values + Send + Sync;

    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: Sql) -> impl Future<Output = Result<u64, DbError>> + Send;

    /// Runs a query; every row.
    fn fetch_all(&mut self, sql: Sql) -> impl Future<Output = Result<Vec<Self::Row>, DbError>> + Send;

    /// Runs a query; the first row, if any.
    fn fetch_optional(&mut self, sql: Sql) -> impl Future<Output = Result<Option<Self::Row>, DbError>> + Send;
}

impl<C> Exec for C
where
    C: Connection,
    C::Database: Dialect,
    for<'c> &'c mut C: Executor<'c, Database = C::Database>,
    <C::Database as Database>::Arguments: IntoArguments<C::Database>,
    <C::Database as Database>::Row: Values,
    Option<i64>: for<'q> Encode<'q, C::Database> + Type<C::Database>,
    Option<String>: for<'q> Encode<'q, C::Database> + Type<C::Database>,
    bool: for<'q> Encode<'q, C::Database> + Type<C::Database>,
    Vec<u8>: for<'q> Encode<'q, C::Database> + Type<C::Database>,
{
    type Database = C::Database;
    type Row = <C::Database as Database>::Row;

    async fn execute(&mut self, sql: Sql) -> Result<u64, DbError> {
        let mut builder = sql.build().map_err(DbError::of::<C::Database>)?;
        let result = builder.build().execute(&mut *self).await.map_err(DbError::of::<C::Database>)?;
        Ok(C::Database::rows_affected(&result))
    }

    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<Self::Row>, DbError> {
        let mut builder = sql.build().map_err(DbError::of::<C::Database>)?;
        builder.build().fetch_all(&mut *self).await.map_err(DbError::of::<C::Database>)
    }

    async fn fetch_optional(&mut self, sql: Sql) -> Result<Option<Self::Row>, DbError> {
        let mut builder = sql.build().map_err(DbError::of::<C::Database>)?;
        builder.build().fetch_optional(&mut *self).await.map_err(DbError::of::<C::Database>)
    }
}

/// The columns of a result row, by name, in the few types the schema uses.
pub trait Values {
    /// An INTEGER (BIGINT) column.
    fn int(&self, column: &str) -> Result<Option<i64>, DbError>;
    /// A TEXT column.
    fn text(&self, column: &str) -> Result<Option<String>, DbError>;
    /// A boolean column.
    fn boolean(&self, column: &str) -> Result<Option<bool>, DbError>;
    /// A BLOB (BYTEA) column.
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, DbError>;
}

impl<R> Values for R
where
    R: sqlx::Row,
    for<'a> &'a str: ColumnIndex<R>,
    i64: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    String: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    bool: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: for<'r> Decode<'r, R::Database> + Type<R::Database>,
{
    fn int(&self, column: &str) -> Result<Option<i64>, DbError> {
        self.try_get(column).map_err(DbError::of::<R::Database>)
    }

    fn text(&self, column: &str) -> Result<Option<String>, DbError> {
        self.try_get(column).map_err(DbError::of::<R::Database>)
    }

    fn boolean(&self, column: &str) -> Result<Option<bool>, DbError> {
        self.try_get(column).map_err(DbError::of::<R::Database>)
    }

    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, DbError> {
        self.try_get(column).map_err(DbError::of::<R::Database>)
    }
}

/// A type a column decodes to.
pub trait Column: Sized {
    /// The value of `column` in `row`.
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError>;
}

/// A NOT NULL column that held NULL.
fn required<T>(value: Option<T>, column: &str) -> Result<T, StoreError> {
    value.ok_or_else(|| codec::corrupt(column, "NULL"))
}

impl Column for i64 {
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError> {
        required(row.int(column)?, column)
    }
}

impl Column for Option<i64> {
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError> {
        Ok(row.int(column)?)
    }
}

impl Column for String {
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError> {
        required(row.text(column)?, column)
    }
}

impl Column for Option<String> {
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError> {
        Ok(row.text(column)?)
    }
}

impl Column for bool {
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError> {
        required(row.boolean(column)?, column)
    }
}

impl Column for Option<Vec<u8>> {
    fn read(row: &impl Values, column: &str) -> Result<Self, StoreError> {
        Ok(row.bytes(column)?)
    }
}

/// A column of a row.
pub fn get<T: Column>(row: &impl Values, column: &str) -> Result<T, StoreError> {
    T::read(row, column)
}

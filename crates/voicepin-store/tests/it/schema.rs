//! The SQLite and PostgreSQL migrations say the same thing: both live schemas, read back
//! from the databases' own catalogues after migrating, have the same tables, the same
//! columns (name, nullability, type family), the same primary keys, unique constraints,
//! foreign keys and indexes. (vaultwarden's two migration folders drifted apart; this is
//! what keeps ours from doing so.)

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, Row};

use super::support::{pg_fixture, sqlite_fixture};

/// What a column holds, across the two type systems.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    /// SQLite INTEGER; PostgreSQL BIGINT (the adapter reads every integer as an `i64`).
    Integer,
    /// SQLite INTEGER with `CHECK (c IN (0, 1))`; PostgreSQL BOOLEAN.
    Boolean,
    /// TEXT.
    Text,
    /// SQLite BLOB; PostgreSQL BYTEA.
    Bytes,
    /// Anything else, by its backend's name: never equal across backends.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    references: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Name -> (family, nullable).
    columns: BTreeMap<String, (Family, bool)>,
    primary_key: Vec<String>,
    unique: BTreeSet<Vec<String>>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// Indexes created apart from the constraints: name -> (unique, columns).
    indexes: BTreeMap<String, (bool, Vec<String>)>,
}

type Schema = BTreeMap<String, Table>;

/// The migrator's own bookkeeping, not part of the schema.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

fn sqlite_family(declared: &str, boolean: bool) -> Family {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" if boolean => Family::Boolean,
        "INTEGER" => Family::Integer,
        "TEXT" => Family::Text,
        "BLOB" => Family::Bytes,
        other => Family::Other(format!("SQLite {other}")),
    }
}

fn postgres_family(data_type: &str) -> Family {
    match data_type {
        "bigint" => Family::Integer,
        "boolean" => Family::Boolean,
        "text" => Family::Text,
        "bytea" => Family::Bytes,
        other => Family::Other(format!("PostgreSQL {other}")),
    }
}

/// SQLite's ON DELETE, as PostgreSQL's `confdeltype` spells it.
fn sqlite_action(action: &str) -> String {
    match action {
        "NO ACTION" => "a",
        "RESTRICT" => "r",
        "CASCADE" => "c",
        "SET NULL" => "n",
        "SET DEFAULT" => "d",
        other => other,
    }
    .to_owned()
}

async fn sqlite_schema(conn: &mut sqlx::SqliteConnection) -> Schema {
    let mut schema = Schema::new();
    let tables = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> ?",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for table_row in tables {
        let name: String = table_row.get("name");
        // Booleans are INTEGER columns the table checks for 0 or 1.
        let definition = table_row.get::<String, _>("sql").split_whitespace().collect::<Vec<_>>().join(" ");
        let mut table = Table::default();

        let mut primary_key = Vec::new();
        for column in sqlx::query("SELECT * FROM pragma_table_info(?)").bind(&name).fetch_all(&mut *conn).await.unwrap()
        {
            let column_name: String = column.get("name");
            let boolean = definition.contains(&format!("CHECK ({column_name} IN (0, 1))"));
            let family = sqlite_family(&column.get::<String, _>("type"), boolean);
            let pk: i64 = column.get("pk");
            // A primary key is never NULL (SQLite allows NULL in a non-INTEGER one unless
            // told NOT NULL; every key here says so, which `notnull` shows).
            let nullable = column.get::<i64, _>("notnull") == 0;
            if pk > 0 {
                primary_key.push((pk, column_name.clone()));
            }
            table.columns.insert(column_name, (family, nullable));
        }
        primary_key.sort();
        table.primary_key = primary_key.into_iter().map(|(_, c)| c).collect();

        for index in sqlx::query("SELECT * FROM pragma_index_list(?)").bind(&name).fetch_all(&mut *conn).await.unwrap()
        {
            let index_name: String = index.get("name");
            let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                .bind(&index_name)
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|c| c.get("name"))
                .collect();
            let unique = index.get::<i64, _>("unique") == 1;
            match index.get::<String, _>("origin").as_str() {
                "pk" => assert_eq!(columns, table.primary_key, "SQLite {name}: primary key index"),
                "u" => {
                    table.unique.insert(columns);
                }
                _ => {
                    table.indexes.insert(index_name, (unique, columns));
                }
            }
        }

        let mut keys: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for key in sqlx::query("SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq")
            .bind(&name)
            .fetch_all(&mut *conn)
            .await
            .unwrap()
        {
            let entry = keys.entry(key.get("id")).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                table: key.get("table"),
                references: Vec::new(),
                on_delete: sqlite_action(&key.get::<String, _>("on_delete")),
            });
            entry.columns.push(key.get("from"));
            entry.references.push(key.get("to"));
        }
        table.foreign_keys = keys.into_values().collect();
        schema.insert(name, table);
    }
    schema
}

/// The column names of `attnums` in `relation`, in order (for keys and indexes).
fn pg_columns(attnums: &str, relation: &str) -> String {
    format!(
        "ARRAY(SELECT a.attname::text FROM unnest({attnums}) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.attnum ORDER BY k.ord)"
    )
}

async fn postgres_schema(conn: &mut sqlx::PgConnection) -> Schema {
    let mut schema = Schema::new();
    let columns = sqlx::query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
         is_nullable::text AS is_nullable FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for column in columns {
        let table = schema.entry(column.get("table_name")).or_default();
        let family = postgres_family(&column.get::<String, _>("data_type"));
        let nullable = column.get::<String, _>("is_nullable") == "YES";
        table.columns.insert(column.get("column_name"), (family, nullable));
    }

    let sql = format!(
        "SELECT t.relname::text AS table_name, c.contype::text AS kind, {} AS columns, \
         r.relname::text AS referenced, {} AS references, c.confdeltype::text AS on_delete \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_class r ON r.oid = c.confrelid \
         WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f') AND t.relname <> $1",
        pg_columns("c.conkey", "c.conrelid"),
        pg_columns("c.confkey", "c.confrelid"),
    );
    for constraint in sqlx::query(sqlx::AssertSqlSafe(sql)).bind(MIGRATIONS_TABLE).fetch_all(&mut *conn).await.unwrap()
    {
        let table = schema.entry(constraint.get("table_name")).or_default();
        let columns: Vec<String> = constraint.get("columns");
        match constraint.get::<String, _>("kind").as_str() {
            "p" => table.primary_key = columns,
            "u" => {
                table.unique.insert(columns);
            }
            _ => {
                table.foreign_keys.insert(ForeignKey {
                    columns,
                    table: constraint.get("referenced"),
                    references: constraint.get("references"),
                    on_delete: constraint.get("on_delete"),
                });
            }
        }
    }

    let sql = format!(
        "SELECT t.relname::text AS table_name, i.relname::text AS index_name, x.indisunique AS is_unique, \
         {} AS columns FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname <> $1 \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        pg_columns("x.indkey::int2[]", "x.indrelid"),
    );
    for index in sqlx::query(sqlx::AssertSqlSafe(sql)).bind(MIGRATIONS_TABLE).fetch_all(&mut *conn).await.unwrap() {
        let table = schema.entry(index.get("table_name")).or_default();
        table.indexes.insert(index.get("index_name"), (index.get("is_unique"), index.get("columns")));
    }
    schema
}

/// Asserts that the two schemas say the same thing, naming the first difference.
fn assert_same(sqlite: &Schema, postgres: &Schema) {
    assert_eq!(sqlite.keys().collect::<Vec<_>>(), postgres.keys().collect::<Vec<_>>(), "tables");
    for (name, lite) in sqlite {
        let pg = &postgres[name];
        for (column, shape) in &lite.columns {
            assert_eq!(Some(shape), pg.columns.get(column), "{name}.{column}: (type family, nullable)");
        }
        assert_eq!(lite.columns.keys().collect::<Vec<_>>(), pg.columns.keys().collect::<Vec<_>>(), "{name}: columns");
        assert_eq!(lite.primary_key, pg.primary_key, "{name}: primary key");
        assert_eq!(lite.unique, pg.unique, "{name}: unique constraints");
        assert_eq!(lite.foreign_keys, pg.foreign_keys, "{name}: foreign keys");
        assert_eq!(lite.indexes, pg.indexes, "{name}: indexes");
    }
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_are_the_same() {
    let Some(pg) = pg_fixture().await else { return };
    let lite = sqlite_fixture().await;
    let mut lite_conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", lite.path.display())).await.unwrap();
    let sqlite = sqlite_schema(&mut lite_conn).await;
    let postgres = postgres_schema(&mut pg.schema.connect().await).await;

    // The reading itself works: every table, and a sample of each kind of fact.
    assert_eq!(
        sqlite.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "admin_accounts",
            "api_tokens",
            "audit_events",
            "dial_plans",
            "key_fingerprints",
            "mailbox_extensions",
            "mailbox_phone_numbers",
            "mailbox_recordings",
            "mailboxes",
            "outbox",
            "pin_reset_links",
            "policies",
            "sessions",
            "sign_in_failures"
        ]
    );
    let mailboxes = &sqlite["mailboxes"];
    assert_eq!(mailboxes.columns["locked_out"], (Family::Boolean, false));
    assert_eq!(mailboxes.columns["pin_set_at"], (Family::Integer, true));
    assert_eq!(sqlite["outbox"].columns["body"], (Family::Bytes, true));
    assert_eq!(sqlite["mailbox_recordings"].columns["audio"], (Family::Bytes, false));
    assert_eq!(mailboxes.columns["out_of_office"], (Family::Boolean, false));
    assert_eq!(sqlite["mailbox_extensions"].primary_key, ["dial_plan_id", "extension"]);
    assert!(mailboxes.unique.contains(&vec!["id".to_owned(), "dial_plan_id".to_owned()]));
    assert!(mailboxes.foreign_keys.contains(&ForeignKey {
        columns: vec!["policy_id".into(), "dial_plan_id".into()],
        table: "policies".into(),
        references: vec!["id".into(), "dial_plan_id".into()],
        on_delete: "r".into(),
    }));
    assert_eq!(mailboxes.indexes["mailboxes_policy"], (false, vec!["policy_id".into(), "dial_plan_id".into()]));

    assert_same(&sqlite, &postgres);
}

/// The comparison notices a drift (a column that is BIGINT in one and BOOLEAN in the other).
#[test]
fn a_drift_is_noticed() {
    let table = |family: Family| Table {
        columns: BTreeMap::from([("locked_out".to_owned(), (family, false))]),
        ..Table::default()
    };
    let lite = Schema::from([("mailboxes".to_owned(), table(Family::Boolean))]);
    let pg = Schema::from([("mailboxes".to_owned(), table(Family::Integer))]);
    let drift = std::panic::catch_unwind(|| assert_same(&lite, &pg));
    assert!(drift.is_err());
    assert_same(&lite, &lite);
}

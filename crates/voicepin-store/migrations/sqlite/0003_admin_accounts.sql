-- Administrator accounts and their browser sessions.
-- migrations/postgres/0003_admin_accounts.sql says the same.
--
-- A password is stored as its keyed Argon2id PHC string (the pepper is outside the
-- database, as for PINs). A session is stored as the SHA-256 of its cookie value (256
-- random bits); its CSRF token is derived from the cookie and stored nowhere.

CREATE TABLE admin_accounts (
    id                    TEXT    NOT NULL PRIMARY KEY,
    revision              INTEGER NOT NULL CHECK (revision >= 1),
    name                  TEXT    NOT NULL,
    name_key              TEXT    NOT NULL UNIQUE,
    role                  TEXT    NOT NULL,
    password_hash         TEXT    NOT NULL,
    must_change_password  INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
    failed_sign_ins       INTEGER NOT NULL CHECK (failed_sign_ins >= 0),
    locked_until          INTEGER NULL,
    disabled              INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    created_at            INTEGER NOT NULL,
    changed_at            INTEGER NOT NULL,
    last_sign_in_at       INTEGER NULL
);

CREATE TABLE sessions (
    id             TEXT    NOT NULL PRIMARY KEY,
    account_id     TEXT    NOT NULL REFERENCES admin_accounts (id) ON DELETE CASCADE,
    secret_digest  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

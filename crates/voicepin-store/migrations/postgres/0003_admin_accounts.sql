-- Administrator accounts and their browser sessions.
-- migrations/sqlite/0003_admin_accounts.sql says the same.
--
-- A password is stored as its keyed Argon2id PHC string (the pepper is outside the
-- database, as for PINs). A session is stored as the SHA-256 of its cookie value (256
-- random bits); its CSRF token is derived from the cookie and stored nowhere.

CREATE TABLE admin_accounts (
    id                    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revision              BIGINT  NOT NULL CHECK (revision >= 1),
    name                  TEXT COLLATE "C" NOT NULL,
    name_key              TEXT COLLATE "C" NOT NULL UNIQUE,
    role                  TEXT COLLATE "C" NOT NULL,
    password_hash         TEXT COLLATE "C" NOT NULL,
    must_change_password  BOOLEAN NOT NULL,
    failed_sign_ins       BIGINT  NOT NULL CHECK (failed_sign_ins >= 0),
    locked_until          BIGINT  NULL,
    disabled              BOOLEAN NOT NULL,
    created_at            BIGINT  NOT NULL,
    changed_at            BIGINT  NOT NULL,
    last_sign_in_at       BIGINT  NULL
);

CREATE TABLE sessions (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id     TEXT COLLATE "C" NOT NULL REFERENCES admin_accounts (id) ON DELETE CASCADE,
    secret_digest  TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT  NOT NULL,
    last_seen_at   BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- API tokens for the HTTP API (bearer). Only the SHA-256 of a token is stored: a token
-- carries 256 random bits, so a fast hash is safe here (unlike a PIN).
-- migrations/postgres/0002_api_tokens.sql says the same.

CREATE TABLE api_tokens (
    id             TEXT    NOT NULL PRIMARY KEY,
    revision       INTEGER NOT NULL CHECK (revision >= 1),
    name           TEXT    NOT NULL,
    name_key       TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL,
    secret_digest  TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NULL,
    revoked_at     INTEGER NULL
);

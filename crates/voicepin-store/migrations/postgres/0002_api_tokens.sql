-- API tokens for the HTTP API (bearer). Only the SHA-256 of a token is stored: a token
-- carries 256 random bits, so a fast hash is safe here (unlike a PIN).
-- migrations/sqlite/0002_api_tokens.sql says the same.

CREATE TABLE api_tokens (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revision       BIGINT  NOT NULL CHECK (revision >= 1),
    name           TEXT COLLATE "C" NOT NULL,
    name_key       TEXT COLLATE "C" NOT NULL UNIQUE,
    role           TEXT COLLATE "C" NOT NULL,
    secret_digest  TEXT COLLATE "C" NOT NULL,
    created_by     TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NULL,
    revoked_at     BIGINT  NULL
);

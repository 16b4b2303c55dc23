-- The keys the database was written with: the PIN pepper keys and the mail sealing key,
-- each by its id and a fingerprint (a SHA-256 of the key under a fixed label, which says
-- nothing about the key), never the key itself. A process that opens a database holding
-- data refuses to start when a key recorded here is missing or different, instead of
-- silently making a new one (every PIN would then fail to verify).
-- migrations/sqlite/0005_key_fingerprints.sql says the same.

CREATE TABLE key_fingerprints (
    purpose        TEXT COLLATE "C" NOT NULL,
    key_id         TEXT COLLATE "C" NOT NULL,
    fingerprint    TEXT COLLATE "C" NOT NULL,
    recorded_at    BIGINT  NOT NULL,
    PRIMARY KEY (purpose, key_id)
);

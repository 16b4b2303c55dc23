-- voicepin schema, PostgreSQL flavour. migrations/sqlite must say the same thing: keep the
-- tables, columns, keys and indexes in step, and change both folders in the same commit.
-- A test (tests/it/schema.rs) compares the two live schemas.
--
-- Conventions shared by both backends:
-- * ids are UUIDs as lower-case hyphenated TEXT;
-- * times are BIGINT nanoseconds since the Unix epoch, UTC: exact, and ordered;
-- * booleans are BOOLEAN here (INTEGER 0/1 in SQLite);
-- * every integer is BIGINT (SQLite's INTEGER is 64 bits);
-- * lists that are only read whole (access numbers, PIN history) are JSON arrays in TEXT;
-- * lists that are searched (extensions, phone numbers) are child rows;
-- * case-insensitive unique names use a `*_key` column the adapter fills with the Unicode
--   lower case of the name (COLLATE NOCASE folds ASCII only, and PostgreSQL has no NOCASE);
-- * every object table has a `revision` (optimistic concurrency: 1 on insert, +1 per write).
--
-- Particular to PostgreSQL:
-- * every TEXT is COLLATE "C": texts compare and sort by code point, as SQLite's BINARY
--   does, whatever the database's locale (keyset paging and name order must not change
--   with the backend);
-- * the insert-order columns (`seq`) are identities.

CREATE TABLE dial_plans (
    id                                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revision                          BIGINT  NOT NULL CHECK (revision >= 1),
    name                              TEXT COLLATE "C" NOT NULL,
    name_key                          TEXT COLLATE "C" NOT NULL UNIQUE,
    extension_length                  BIGINT  NOT NULL,
    access_numbers                    TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    logon_failures_before_disconnect  BIGINT  NOT NULL,
    input_failures_before_disconnect  BIGINT  NOT NULL
);

CREATE TABLE policies (
    id                                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revision                          BIGINT  NOT NULL CHECK (revision >= 1),
    name                              TEXT COLLATE "C" NOT NULL,
    name_key                          TEXT COLLATE "C" NOT NULL UNIQUE,
    dial_plan_id                      TEXT COLLATE "C" NOT NULL
        REFERENCES dial_plans (id) ON DELETE RESTRICT,
    min_pin_length                    BIGINT  NOT NULL,
    -- NULL: Unlimited.
    pin_lifetime_days                 BIGINT  NULL,
    pin_history_count                 BIGINT  NOT NULL,
    allow_common_patterns             BOOLEAN NOT NULL,
    -- NULL: Unlimited.
    logon_failures_before_pin_reset   BIGINT  NULL,
    max_logon_attempts                BIGINT  NOT NULL,
    block_extension_in_pin            BOOLEAN NOT NULL,
    block_name_on_keypad              BOOLEAN NOT NULL,
    block_repeated_groups             BOOLEAN NOT NULL,
    require_three_distinct_digits     BOOLEAN NOT NULL,
    block_digit_runs                  BOOLEAN NOT NULL,
    block_keypad_lines                BOOLEAN NOT NULL,
    block_common_pins                 BOOLEAN NOT NULL,
    block_reversed_history            BOOLEAN NOT NULL,
    reset_pin_text                    TEXT COLLATE "C" NOT NULL,
    um_enabled_text                   TEXT COLLATE "C" NOT NULL,
    allow_subscriber_access           BOOLEAN NOT NULL,
    allow_pinless_voice_mail_access   BOOLEAN NOT NULL,
    -- The target of mailboxes' (policy_id, dial_plan_id) key.
    UNIQUE (id, dial_plan_id)
);
CREATE INDEX policies_dial_plan ON policies (dial_plan_id);

CREATE TABLE mailboxes (
    id                                    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revision                              BIGINT  NOT NULL CHECK (revision >= 1),
    -- Lower case (the domain type guarantees it): the Identity.
    smtp_address                          TEXT COLLATE "C" NOT NULL UNIQUE,
    alias                                 TEXT COLLATE "C" NOT NULL,
    alias_key                             TEXT COLLATE "C" NOT NULL,
    display_name                          TEXT COLLATE "C" NOT NULL,
    first_name                            TEXT COLLATE "C" NOT NULL,
    last_name                             TEXT COLLATE "C" NOT NULL,
    -- Lower-case address, display, first and last name, one per line: what `search` scans.
    search_key                            TEXT COLLATE "C" NOT NULL,
    policy_id                             TEXT COLLATE "C" NOT NULL,
    -- Always the policy's dial plan, which the composite key below enforces.
    dial_plan_id                          TEXT COLLATE "C" NOT NULL,
    um_enabled                            BOOLEAN NOT NULL,
    subscriber_access_enabled             BOOLEAN NOT NULL,
    pinless_access_to_voice_mail_enabled  BOOLEAN NOT NULL,
    -- The PIN state. A PIN is only ever stored as its keyed Argon2id PHC string.
    pin_hash                              TEXT COLLATE "C" NULL,
    pin_set_at                            BIGINT  NULL,
    pin_expired                           BOOLEAN NOT NULL,
    first_time_user                       BOOLEAN NOT NULL,
    locked_out                            BOOLEAN NOT NULL,
    consecutive_failures                  BIGINT  NOT NULL CHECK (consecutive_failures >= 0),
    total_failures                        BIGINT  NOT NULL CHECK (total_failures >= 0),
    last_failure_at                       BIGINT  NULL,
    last_sign_in_at                       BIGINT  NULL,
    -- JSON array of PHC strings, the current PIN first.
    pin_history                           TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_at                            BIGINT  NOT NULL,
    FOREIGN KEY (policy_id, dial_plan_id)
        REFERENCES policies (id, dial_plan_id) ON DELETE RESTRICT,
    -- The target of the extensions' (mailbox_id, dial_plan_id) key.
    UNIQUE (id, dial_plan_id)
);
CREATE INDEX mailboxes_alias ON mailboxes (alias_key);
CREATE INDEX mailboxes_policy ON mailboxes (policy_id, dial_plan_id);
CREATE INDEX mailboxes_dial_plan ON mailboxes (dial_plan_id);

-- Extensions are unique within a dial plan; the same digits may exist in another one.
CREATE TABLE mailbox_extensions (
    dial_plan_id  TEXT COLLATE "C" NOT NULL,
    extension     TEXT COLLATE "C" NOT NULL,
    mailbox_id    TEXT COLLATE "C" NOT NULL,
    -- 0 is the primary extension.
    position      BIGINT  NOT NULL CHECK (position >= 0),
    PRIMARY KEY (dial_plan_id, extension),
    FOREIGN KEY (mailbox_id, dial_plan_id)
        REFERENCES mailboxes (id, dial_plan_id) ON DELETE CASCADE
);
CREATE INDEX mailbox_extensions_mailbox ON mailbox_extensions (mailbox_id, dial_plan_id);
CREATE INDEX mailbox_extensions_extension ON mailbox_extensions (extension);

CREATE TABLE mailbox_phone_numbers (
    mailbox_id  TEXT COLLATE "C" NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL CHECK (position >= 0),
    number      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (mailbox_id, position)
);
CREATE INDEX mailbox_phone_numbers_number ON mailbox_phone_numbers (number);

-- Append-only. No foreign key: events outlive the objects they name.
CREATE TABLE audit_events (
    -- Insert order, the tie-break between events of the same instant. (Identities are
    -- handed out as rows are inserted: two commits racing may commit in the other order.)
    seq         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,
    at          BIGINT  NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    role        TEXT COLLATE "C" NULL,
    channel     TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NULL,
    action      TEXT COLLATE "C" NOT NULL,
    mailbox_id  TEXT COLLATE "C" NULL,
    target      TEXT COLLATE "C" NOT NULL,
    -- JSON object of strings. Never a PIN.
    details     TEXT COLLATE "C" NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at, seq);
CREATE INDEX audit_events_mailbox ON audit_events (mailbox_id, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_actor ON audit_events (actor, at);

-- Messages queued in the transaction that caused them. No foreign key to mailboxes: a
-- mailbox may be removed while its last message is still on its way.
CREATE TABLE outbox (
    seq              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT COLLATE "C" NOT NULL UNIQUE,
    mailbox_id       TEXT COLLATE "C" NOT NULL,
    to_address       TEXT COLLATE "C" NOT NULL,
    kind             TEXT COLLATE "C" NOT NULL,
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    sent_at          BIGINT  NULL,
    last_error       TEXT COLLATE "C" NULL,
    -- XChaCha20-Poly1305: 24-byte nonce || ciphertext, the mail id as associated data.
    -- Dropped once sent; kept while queued or failed (for a requeue).
    body             BYTEA   NULL,
    CHECK ((status = 'sent') = (body IS NULL)),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, seq);

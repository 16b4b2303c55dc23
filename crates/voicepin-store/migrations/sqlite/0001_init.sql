-- voicepin schema, SQLite flavour. migrations/postgres must say the same thing: keep the
-- tables, columns, keys and indexes in step, and change both folders in the same commit.
--
-- Conventions shared by both backends:
-- * ids are UUIDs as lower-case hyphenated TEXT;
-- * times are INTEGER (BIGINT) nanoseconds since the Unix epoch, UTC: exact, and ordered;
-- * booleans are INTEGER 0/1 here (BOOLEAN in PostgreSQL);
-- * lists that are only read whole (access numbers, PIN history) are JSON arrays in TEXT;
-- * lists that are searched (extensions, phone numbers) are child rows;
-- * case-insensitive unique names use a `*_key` column the adapter fills with the Unicode
--   lower case of the name (COLLATE NOCASE folds ASCII only, and PostgreSQL has no NOCASE);
-- * every object table has a `revision` (optimistic concurrency: 1 on insert, +1 per write).

CREATE TABLE dial_plans (
    id                                TEXT    NOT NULL PRIMARY KEY,
    revision                          INTEGER NOT NULL CHECK (revision >= 1),
    name                              TEXT    NOT NULL,
    name_key                          TEXT    NOT NULL UNIQUE,
    extension_length                  INTEGER NOT NULL,
    access_numbers                    TEXT    NOT NULL DEFAULT '[]',
    logon_failures_before_disconnect  INTEGER NOT NULL,
    input_failures_before_disconnect  INTEGER NOT NULL
);

CREATE TABLE policies (
    id                                TEXT    NOT NULL PRIMARY KEY,
    revision                          INTEGER NOT NULL CHECK (revision >= 1),
    name                              TEXT    NOT NULL,
    name_key                          TEXT    NOT NULL UNIQUE,
    dial_plan_id                      TEXT    NOT NULL
        REFERENCES dial_plans (id) ON DELETE RESTRICT,
    min_pin_length                    INTEGER NOT NULL,
    -- NULL: Unlimited.
    pin_lifetime_days                 INTEGER NULL,
    pin_history_count                 INTEGER NOT NULL,
    allow_common_patterns             INTEGER NOT NULL CHECK (allow_common_patterns IN (0, 1)),
    -- NULL: Unlimited.
    logon_failures_before_pin_reset   INTEGER NULL,
    max_logon_attempts                INTEGER NOT NULL,
    block_extension_in_pin            INTEGER NOT NULL CHECK (block_extension_in_pin IN (0, 1)),
    block_name_on_keypad              INTEGER NOT NULL CHECK (block_name_on_keypad IN (0, 1)),
    block_repeated_groups             INTEGER NOT NULL CHECK (block_repeated_groups IN (0, 1)),
    require_three_distinct_digits     INTEGER NOT NULL
        CHECK (require_three_distinct_digits IN (0, 1)),
    block_digit_runs                  INTEGER NOT NULL CHECK (block_digit_runs IN (0, 1)),
    block_keypad_lines                INTEGER NOT NULL CHECK (block_keypad_lines IN (0, 1)),
    block_common_pins                 INTEGER NOT NULL CHECK (block_common_pins IN (0, 1)),
    block_reversed_history            INTEGER NOT NULL CHECK (block_reversed_history IN (0, 1)),
    reset_pin_text                    TEXT    NOT NULL,
    um_enabled_text                   TEXT    NOT NULL,
    allow_subscriber_access           INTEGER NOT NULL CHECK (allow_subscriber_access IN (0, 1)),
    allow_pinless_voice_mail_access   INTEGER NOT NULL
        CHECK (allow_pinless_voice_mail_access IN (0, 1)),
    -- The target of mailboxes' (policy_id, dial_plan_id) key.
    UNIQUE (id, dial_plan_id)
);
CREATE INDEX policies_dial_plan ON policies (dial_plan_id);

CREATE TABLE mailboxes (
    id                                    TEXT    NOT NULL PRIMARY KEY,
    revision                              INTEGER NOT NULL CHECK (revision >= 1),
    -- Lower case (the domain type guarantees it): the Identity.
    smtp_address                          TEXT    NOT NULL UNIQUE,
    alias                                 TEXT    NOT NULL,
    alias_key                             TEXT    NOT NULL,
    display_name                          TEXT    NOT NULL,
    first_name                            TEXT    NOT NULL,
    last_name                             TEXT    NOT NULL,
    -- Lower-case address, display, first and last name, one per line: what `search` scans.
    search_key                            TEXT    NOT NULL,
    policy_id                             TEXT    NOT NULL,
    -- Always the policy's dial plan, which the composite key below enforces.
    dial_plan_id                          TEXT    NOT NULL,
    um_enabled                            INTEGER NOT NULL CHECK (um_enabled IN (0, 1)),
    subscriber_access_enabled             INTEGER NOT NULL
        CHECK (subscriber_access_enabled IN (0, 1)),
    pinless_access_to_voice_mail_enabled  INTEGER NOT NULL
        CHECK (pinless_access_to_voice_mail_enabled IN (0, 1)),
    -- The PIN state. A PIN is only ever stored as its keyed Argon2id PHC string.
    pin_hash                              TEXT    NULL,
    pin_set_at                            INTEGER NULL,
    pin_expired                           INTEGER NOT NULL CHECK (pin_expired IN (0, 1)),
    first_time_user                       INTEGER NOT NULL CHECK (first_time_user IN (0, 1)),
    locked_out                            INTEGER NOT NULL CHECK (locked_out IN (0, 1)),
    consecutive_failures                  INTEGER NOT NULL CHECK (consecutive_failures >= 0),
    total_failures                        INTEGER NOT NULL CHECK (total_failures >= 0),
    last_failure_at                       INTEGER NULL,
    last_sign_in_at                       INTEGER NULL,
    -- JSON array of PHC strings, the current PIN first.
    pin_history                           TEXT    NOT NULL DEFAULT '[]',
    created_at                            INTEGER NOT NULL,
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
    dial_plan_id  TEXT    NOT NULL,
    extension     TEXT    NOT NULL,
    mailbox_id    TEXT    NOT NULL,
    -- 0 is the primary extension.
    position      INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (dial_plan_id, extension),
    FOREIGN KEY (mailbox_id, dial_plan_id)
        REFERENCES mailboxes (id, dial_plan_id) ON DELETE CASCADE
);
CREATE INDEX mailbox_extensions_mailbox ON mailbox_extensions (mailbox_id, dial_plan_id);
CREATE INDEX mailbox_extensions_extension ON mailbox_extensions (extension);

CREATE TABLE mailbox_phone_numbers (
    mailbox_id  TEXT    NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 0),
    number      TEXT    NOT NULL,
    PRIMARY KEY (mailbox_id, position)
);
CREATE INDEX mailbox_phone_numbers_number ON mailbox_phone_numbers (number);

-- Append-only. No foreign key: events outlive the objects they name.
CREATE TABLE audit_events (
    -- Commit order, the tie-break between events of the same instant.
    seq         INTEGER NOT NULL PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    role        TEXT    NULL,
    channel     TEXT    NOT NULL,
    source      TEXT    NULL,
    action      TEXT    NOT NULL,
    mailbox_id  TEXT    NULL,
    target      TEXT    NOT NULL,
    -- JSON object of strings. Never a PIN.
    details     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at, seq);
CREATE INDEX audit_events_mailbox ON audit_events (mailbox_id, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_actor ON audit_events (actor, at);

-- Messages queued in the transaction that caused them. No foreign key to mailboxes: a
-- mailbox may be removed while its last message is still on its way.
CREATE TABLE outbox (
    seq              INTEGER NOT NULL PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    mailbox_id       TEXT    NOT NULL,
    to_address       TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    sent_at          INTEGER NULL,
    last_error       TEXT    NULL,
    -- XChaCha20-Poly1305: 24-byte nonce || ciphertext, the mail id as associated data.
    -- Dropped once sent; kept while queued or failed (for a requeue).
    body             BLOB    NULL,
    CHECK ((status = 'sent') = (body IS NULL)),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, seq);

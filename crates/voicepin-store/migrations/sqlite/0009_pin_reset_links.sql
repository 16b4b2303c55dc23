-- The self-service pages' one-time confirmation links (issue 10, item 11).
-- migrations/postgres/0009_pin_reset_links.sql says the same.
--
-- A link is stored as the SHA-256 of its secret (256 random bits); the link itself exists
-- only in the sealed message that carries it. Short-lived and single use: used_at is set
-- when it resets the PIN (and on every other unused link of the mailbox with it).
-- created_at serves the per-mailbox limit on requests.

CREATE TABLE pin_reset_links (
    id             TEXT    NOT NULL PRIMARY KEY,
    mailbox_id     TEXT    NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    secret_digest  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER NULL
);
CREATE INDEX pin_reset_links_mailbox ON pin_reset_links (mailbox_id, created_at);

-- A mailbox's recordings (the recorded name, the personal and the out-of-office greeting),
-- recorded by its owner on the phone, and the out-of-office switch on the mailbox.
-- migrations/sqlite/0010_recordings.sql says the same. (0007 to 0009 are left to
-- migrations written on other branches at the same time.)

ALTER TABLE mailboxes ADD COLUMN out_of_office BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE mailbox_recordings (
    mailbox_id   TEXT COLLATE "C" NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    -- name, personal-greeting, out-of-office-greeting
    kind         TEXT COLLATE "C" NOT NULL,
    -- 8 kHz G.711 mu-law, one byte per sample, at most 10 minutes.
    audio        BYTEA   NOT NULL CHECK (octet_length(audio) BETWEEN 1 AND 4800000),
    recorded_at  BIGINT  NOT NULL,
    PRIMARY KEY (mailbox_id, kind)
);

-- A mailbox's recordings (the recorded name, the personal and the out-of-office greeting),
-- recorded by its owner on the phone, and the out-of-office switch on the mailbox.
-- migrations/postgres/0010_recordings.sql says the same. (0007 to 0009 are left to
-- migrations written on other branches at the same time.)

ALTER TABLE mailboxes ADD COLUMN out_of_office INTEGER NOT NULL DEFAULT 0
    CHECK (out_of_office IN (0, 1));

CREATE TABLE mailbox_recordings (
    mailbox_id   TEXT    NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    -- name, personal-greeting, out-of-office-greeting
    kind         TEXT    NOT NULL,
    -- 8 kHz G.711 mu-law, one byte per sample, at most 10 minutes.
    audio        BLOB    NOT NULL CHECK (length(audio) BETWEEN 1 AND 4800000),
    recorded_at  INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, kind)
);

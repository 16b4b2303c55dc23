-- Failed PIN sign-ins per source, across mailboxes (PIN spraying): how many failures each
-- source (a caller ID, a client address, a calling system's token: `callerId:+14255550100`,
-- `address:192.0.2.1`, `callingSystem:pbx`) had in each minute. Every node counts here, so
-- a source is throttled however many nodes it sprays. A failure adds one to its minute's row
-- (an upsert, never a read-modify-write); old minutes are forgotten as new failures come.
-- migrations/sqlite/0007_sign_in_failures.sql says the same.

CREATE TABLE sign_in_failures (
    source_key     TEXT COLLATE "C" NOT NULL,
    minute_start   BIGINT  NOT NULL,
    failures       BIGINT  NOT NULL CHECK (failures >= 1),
    PRIMARY KEY (source_key, minute_start)
);

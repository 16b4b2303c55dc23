-- The kind of actor behind each audit event (administrator, callingSystem, mailboxOwner,
-- localOperator, system, anonymous), so the log tells a break-glass command on the data
-- directory from an administrator's request. Earlier events get the kind their actor and
-- role imply. migrations/sqlite/0006_audit_actor_kind.sql says the same. (0005 is left to
-- a migration written on another branch at the same time.)

ALTER TABLE audit_events ADD COLUMN actor_kind TEXT COLLATE "C" NOT NULL DEFAULT 'localOperator';
UPDATE audit_events SET actor_kind = CASE
    WHEN role = 'voiceService' THEN 'callingSystem'
    WHEN role IS NOT NULL THEN 'administrator'
    WHEN actor = 'system' THEN 'system'
    WHEN actor = 'anonymous' THEN 'anonymous'
    ELSE 'localOperator'
END;

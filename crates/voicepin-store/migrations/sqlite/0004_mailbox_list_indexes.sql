-- Mailbox list pages under a filter. Pages run in address order (keyset paging on
-- smtp_address), so a filter on the policy, the dial plan or the lock state needs an index
-- that starts with the filter and goes on in address order; otherwise the page scans and
-- sorts every mailbox the filter matches (60 ms for a page of a policy of 100,000 mailboxes).
-- migrations/postgres/0004_mailbox_list_indexes.sql says the same. (0003 is left to the admin
-- accounts migration, written on another branch at the same time.)

CREATE INDEX mailboxes_policy_address ON mailboxes (policy_id, smtp_address);
-- Its first column serves what mailboxes_dial_plan served (counts of a plan's mailboxes).
DROP INDEX mailboxes_dial_plan;
CREATE INDEX mailboxes_dial_plan_address ON mailboxes (dial_plan_id, smtp_address);
CREATE INDEX mailboxes_locked_out_address ON mailboxes (locked_out, smtp_address);

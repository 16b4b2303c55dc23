-- What kind of actor made each API token (administrator, localOperator, ...), beside its
-- name in created_by: the tokens an administrator account made are revoked when the account
-- is disabled or removed. Earlier tokens are taken as made by an administrator, so that an
-- account's end ends them too. migrations/postgres/0008_token_maker_kind.sql says the same.

ALTER TABLE api_tokens ADD COLUMN created_by_kind TEXT NOT NULL DEFAULT 'administrator';

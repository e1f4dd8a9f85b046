-- +goose Up
-- Deleting an account (purge, self-deletion) deletes its rows here through
-- ON DELETE CASCADE; without these indexes each deleted account read the
-- whole table (SQLite's plan showed "SCAN pending", "SCAN oidc_auth_requests").
CREATE INDEX pending_account ON pending (account_id);
CREATE INDEX oidc_auth_requests_account ON oidc_auth_requests (account_id);

-- +goose Down
DROP INDEX oidc_auth_requests_account;
DROP INDEX pending_account;

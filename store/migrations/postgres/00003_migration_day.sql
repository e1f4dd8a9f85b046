-- +goose Up
-- One row per account and purge cutoff that was warned by users
-- notify-inactive, so that a second run sends no second mail. (SQLite's
-- migration also rebuilds accounts so that ids are never reused; a
-- PostgreSQL identity never reuses them anyway.)
CREATE TABLE inactive_notices (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    cutoff      BIGINT NOT NULL,
    delete_on   BIGINT NOT NULL,
    notified_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, cutoff)
);

-- Deleting an account deletes its mails (ON DELETE CASCADE): without this
-- index every deleted account would read the whole outbox.
CREATE INDEX outbox_account ON outbox (account_id);

-- +goose Down
DROP INDEX outbox_account;
DROP TABLE inactive_notices;

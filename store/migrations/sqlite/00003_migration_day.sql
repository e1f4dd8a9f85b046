-- +goose NO TRANSACTION
-- +goose Up
-- Purging accounts (users purge) must never hand a deleted account's id to
-- a new one: the audit log keeps the id of a purged account, and a reused
-- id would show the new owner's address on the old owner's history.
-- SQLite reuses the largest rowid unless the key is AUTOINCREMENT, so the
-- accounts table is rebuilt with it (SQLite's documented way to change a
-- table: foreign keys off, copy, drop, rename, on one connection, hence
-- one statement). Tables that refer to accounts keep referring to it by
-- name and are untouched. PostgreSQL identities never reuse values.
-- +goose StatementBegin
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE accounts_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    email               TEXT    NOT NULL UNIQUE,
    role                TEXT    NOT NULL DEFAULT 'member',
    password_hash       TEXT    NOT NULL DEFAULT '',
    password_set_at     INTEGER,
    password_expired_at INTEGER,
    previous_hash       TEXT    NOT NULL DEFAULT '',
    confirmed_at        INTEGER,
    created_at          INTEGER NOT NULL,
    last_login_at       INTEGER
);
INSERT INTO accounts_new (id, email, role, password_hash, password_set_at, password_expired_at,
        previous_hash, confirmed_at, created_at, last_login_at)
    SELECT id, email, role, password_hash, password_set_at, password_expired_at,
        previous_hash, confirmed_at, created_at, last_login_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
CREATE INDEX accounts_last_activity ON accounts ((coalesce(last_login_at, created_at)));
-- Ids deleted before this upgrade live on in the audit log: start above them.
INSERT INTO sqlite_sequence (name, seq) SELECT 'accounts', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'accounts');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(account_id), 0) FROM audit))
    WHERE name = 'accounts';

-- One row per account and purge cutoff that was warned by users
-- notify-inactive, so that a second run sends no second mail.
CREATE TABLE inactive_notices (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    cutoff      INTEGER NOT NULL,
    delete_on   INTEGER NOT NULL,
    notified_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, cutoff)
);

-- Deleting an account deletes its mails (ON DELETE CASCADE): without this
-- index every deleted account would read the whole outbox.
CREATE INDEX outbox_account ON outbox (account_id);
COMMIT;
PRAGMA foreign_keys = ON;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX outbox_account;
DROP TABLE inactive_notices;
-- +goose StatementEnd

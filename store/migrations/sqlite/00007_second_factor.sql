-- +goose Up
-- The second factor. totp holds one authenticator-app secret per account,
-- sealed with the operator's key (keyring purpose "totp"): pending_secret
-- while the member enrols, secret once a code confirmed it (enabled_at).
-- last_period is the last accepted 30-second period: a code is accepted
-- only for a later one, so every code works once.
CREATE TABLE totp (
    account_id     INTEGER NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret         TEXT   NOT NULL DEFAULT '',
    pending_secret TEXT   NOT NULL DEFAULT '',
    enabled_at     INTEGER,
    last_period    INTEGER NOT NULL DEFAULT 0
);

-- Recovery codes, stored as SHA-256 hashes only; used_at makes each single use.
CREATE TABLE recovery_codes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hash       TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (account_id, hash)
);

-- Passkeys (WebAuthn credentials): the whole credential as the library's
-- JSON (public key, flags such as BackupEligible/BackupState, sign count,
-- transports), with the columns the pages and the login look up.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id TEXT   NOT NULL UNIQUE,
    credential    TEXT   NOT NULL,
    name          TEXT   NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_account ON passkeys (account_id);

-- Short-lived steps between two requests, each behind a cookie of 256
-- random bits whose hash is the key: a login waiting for its second
-- factor (kind "second-factor"), a passkey ceremony's challenge.
CREATE TABLE pending (
    hash       TEXT   PRIMARY KEY,
    kind       TEXT   NOT NULL,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    next       TEXT   NOT NULL DEFAULT '',
    data       TEXT   NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pending_expires ON pending (expires_at);

-- A change of the login address waits here until the link mailed to the
-- new address is used (token hash as in tokens).
CREATE TABLE email_changes (
    hash       TEXT   PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    new_email  TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_changes_account ON email_changes (account_id);

-- +goose Down
DROP TABLE email_changes;
DROP TABLE pending;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
DROP TABLE totp;

-- +goose Up
-- Pforte as OpenID Provider (CONTRACT §6). Secrets are stored as hashes
-- (client secrets, codes, tokens) or sealed with the operator's key
-- (private signing keys). Tokens name the session they came from by its
-- hash: when the session row is gone or timed out, its tokens are dead.
CREATE TABLE oidc_clients (
    id                 TEXT    PRIMARY KEY,
    name               TEXT    NOT NULL,
    secret_hash        TEXT    NOT NULL DEFAULT '',
    public             INTEGER NOT NULL DEFAULT 0,
    require_business   INTEGER NOT NULL DEFAULT 0,
    redirect_uris      TEXT    NOT NULL,
    post_logout_uris   TEXT    NOT NULL DEFAULT '',
    backchannel_uri    TEXT    NOT NULL DEFAULT '',
    launch_url         TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL
);

-- sub: random, one per account, never given to another (account ids are
-- never reused, and the row goes with its account).
CREATE TABLE oidc_subjects (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    sub         TEXT    NOT NULL UNIQUE
);

CREATE TABLE oidc_auth_requests (
    hash          TEXT    PRIMARY KEY,
    client_id     TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    params        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    account_id    INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash  TEXT    NOT NULL DEFAULT '',
    sid           TEXT    NOT NULL DEFAULT '',
    auth_time     INTEGER,
    amr           TEXT    NOT NULL DEFAULT '',
    code_hash     TEXT    UNIQUE,
    code_expires_at INTEGER,
    exchanged_at  INTEGER
);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);

CREATE TABLE oidc_tokens (
    hash          TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL,
    grant_hash    TEXT    NOT NULL,
    client_id     TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_hash  TEXT    NOT NULL,
    sid           TEXT    NOT NULL,
    scopes        TEXT    NOT NULL,
    auth_time     INTEGER NOT NULL,
    amr           TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX oidc_tokens_session ON oidc_tokens (session_hash);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_hash);
CREATE INDEX oidc_tokens_account ON oidc_tokens (account_id);

-- Signing keys: active = 1 for the one that signs (at most one, UNIQUE),
-- NULL for the previous ones, which stay in the JWKS until retired_at plus
-- the longest token lifetime.
CREATE TABLE oidc_keys (
    kid          TEXT    PRIMARY KEY,
    private_key  TEXT    NOT NULL,
    public_jwk   TEXT    NOT NULL,
    active       INTEGER UNIQUE,
    created_at   INTEGER NOT NULL,
    retired_at   INTEGER
);

-- Back-channel logout tokens to deliver, queued in the transaction that
-- ends the session; leased by one worker at a time, retried like mail.
-- No reference to the account: the logout outlives a deleted account.
CREATE TABLE oidc_logouts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT    NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    uri             TEXT    NOT NULL,
    account_id      INTEGER NOT NULL,
    sub             TEXT    NOT NULL,
    sid             TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX oidc_logouts_due ON oidc_logouts (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP TABLE oidc_logouts;
DROP TABLE oidc_keys;
DROP TABLE oidc_tokens;
DROP TABLE oidc_auth_requests;
DROP TABLE oidc_subjects;
DROP TABLE oidc_clients;

-- +goose Up
-- The business register, PIN requests, PINs (only their hashes) and the
-- links between accounts and businesses. Everything that refers to an
-- account goes with it (ON DELETE CASCADE), so purging an account removes
-- its links and open requests.
CREATE TABLE businesses (
    number      TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    street      TEXT    NOT NULL,
    postcode    TEXT    NOT NULL,
    city        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE pin_requests (
    id               INTEGER PRIMARY KEY,
    business_number  TEXT    NOT NULL REFERENCES businesses (number) ON DELETE CASCADE,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    requested_at     INTEGER NOT NULL,
    sent_at          INTEGER
);
-- At most one pending request per business: the letter goes out once.
CREATE UNIQUE INDEX pin_requests_pending ON pin_requests (business_number) WHERE sent_at IS NULL;
CREATE INDEX pin_requests_account ON pin_requests (account_id);

CREATE TABLE pins (
    hash             TEXT    PRIMARY KEY,
    business_number  TEXT    NOT NULL REFERENCES businesses (number) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER,
    voided_at        INTEGER
);
CREATE INDEX pins_business ON pins (business_number) WHERE used_at IS NULL AND voided_at IS NULL;

CREATE TABLE business_links (
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    business_number  TEXT    NOT NULL REFERENCES businesses (number) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (account_id, business_number)
);
CREATE INDEX business_links_business ON business_links (business_number);

-- +goose Down
DROP TABLE business_links;
DROP TABLE pins;
DROP TABLE pin_requests;
DROP TABLE businesses;

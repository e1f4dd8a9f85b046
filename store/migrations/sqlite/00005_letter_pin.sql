-- +goose Up
-- The PIN a sent letter carries (its hash), so that a request while that
-- letter is on its way, its PIN unused and valid, can be answered with the
-- letter instead of a new one that would void it.
ALTER TABLE pin_requests ADD COLUMN pin_hash TEXT;

-- +goose Down
ALTER TABLE pin_requests DROP COLUMN pin_hash;

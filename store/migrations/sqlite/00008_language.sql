-- +goose Up
-- The language the member last used on the pages ("de", "en"): mails go
-- out in it (CONTRACT §9).
ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT 'de';

-- +goose Down
ALTER TABLE accounts DROP COLUMN language;

-- +goose Up
-- The language the member last used on the pages ("de", "en"): mails go
-- out in it, with that Content-Language (CONTRACT §9).
ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT 'de';
ALTER TABLE outbox ADD COLUMN language TEXT NOT NULL DEFAULT 'de';

-- +goose Down
ALTER TABLE outbox DROP COLUMN language;
ALTER TABLE accounts DROP COLUMN language;

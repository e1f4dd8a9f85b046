-- +goose Up
-- The bodies that many mails share, stored once: the notices of
-- notify-inactive differ only in their recipient, and 50,000 copies of
-- the same 3.5 kB cost most of the command's time. An outbox row with a
-- body_id takes its text and HTML from here (its own are empty); the
-- rows are found again by hash (SHA-256 of the bodies), so a run shares one.
CREATE TABLE mail_bodies (
    id        INTEGER PRIMARY KEY,
    hash      TEXT    NOT NULL UNIQUE,
    text_body TEXT    NOT NULL,
    html_body TEXT    NOT NULL
);
ALTER TABLE outbox ADD COLUMN body_id INTEGER;

-- +goose Down
UPDATE outbox SET text_body = (SELECT b.text_body FROM mail_bodies b WHERE b.id = outbox.body_id),
    html_body = (SELECT b.html_body FROM mail_bodies b WHERE b.id = outbox.body_id)
    WHERE body_id IS NOT NULL;
ALTER TABLE outbox DROP COLUMN body_id;
DROP TABLE mail_bodies;

-- +goose Up
-- Staff roles: 'support' helps members, 'admin' may also delete accounts,
-- reset a second factor and manage staff. The one earlier staff role was
-- everything, so it becomes 'admin'.
UPDATE accounts SET role = 'admin' WHERE role = 'staff';
CREATE INDEX accounts_staff ON accounts (role) WHERE role <> 'member';

-- The staff account that did what an audit entry records (NULL: the member
-- themself, the operator's command line or the system).
ALTER TABLE audit ADD COLUMN actor_id BIGINT;
CREATE INDEX audit_actor ON audit (actor_id, at) WHERE actor_id IS NOT NULL;
-- The console's overview counts logins of the day, and its log filters by event.
CREATE INDEX audit_event ON audit (event, at);

-- The console lists mails waiting, retrying and given up, newest first.
CREATE INDEX outbox_failed ON outbox (failed_at) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_undelivered ON outbox (id) WHERE sent_at IS NULL;
-- A business's PIN requests, newest first, on its console page.
CREATE INDEX pin_requests_business ON pin_requests (business_number, requested_at);
CREATE INDEX pins_of_business ON pins (business_number, created_at);

-- Search by any part of an address or a business name: trigram indexes
-- serve LIKE '%…%' (pg_trgm ships with PostgreSQL and is a trusted
-- extension: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_email_trgm ON accounts USING gin (email gin_trgm_ops);
CREATE INDEX businesses_name_trgm ON businesses USING gin (lower(name) gin_trgm_ops);
CREATE INDEX businesses_number_trgm ON businesses USING gin (number gin_trgm_ops);

-- +goose Down
DROP INDEX businesses_number_trgm;
DROP INDEX businesses_name_trgm;
DROP INDEX accounts_email_trgm;
DROP INDEX pins_of_business;
DROP INDEX pin_requests_business;
DROP INDEX outbox_undelivered;
DROP INDEX outbox_failed;
DROP INDEX audit_event;
DROP INDEX audit_actor;
ALTER TABLE audit DROP COLUMN actor_id;
DROP INDEX accounts_staff;
UPDATE accounts SET role = 'staff' WHERE role IN ('support', 'admin');

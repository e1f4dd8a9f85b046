-- +goose Up
-- sid names a session to the outside (OpenID Connect's sid claim, the
-- member's list of sessions) without revealing the hash its cookie is
-- looked up by; methods are how the session was signed in (RFC 8176 amr
-- values, space-separated: "pwd", "pwd otp", "hwk"); user_agent is what the
-- browser called itself at the login, for the member's list of sessions.
ALTER TABLE sessions ADD COLUMN sid TEXT;
ALTER TABLE sessions ADD COLUMN methods TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET sid = md5(random()::text || hash) WHERE sid IS NULL;
CREATE UNIQUE INDEX sessions_sid ON sessions (sid);

-- +goose Down
DROP INDEX sessions_sid;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN methods;
ALTER TABLE sessions DROP COLUMN sid;

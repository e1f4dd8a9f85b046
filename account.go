package pforte

import "time"

// Role says what an account may do beyond its own pages. Links to
// businesses are permissions on one business each and live beside it.
type Role string

// The roles. Every account is a member; staff work in the console:
// support may look everything up and help members, admin may also delete
// accounts, reset a second factor and manage staff.
const (
	RoleMember  Role = "member"
	RoleSupport Role = "support"
	RoleAdmin   Role = "admin"
)

// Staff reports whether the role is one of the chamber's staff.
func (r Role) Staff() bool { return r == RoleSupport || r == RoleAdmin }

// Account is one person's login: an e-mail address (kept in normalised form)
// and a password. A zero time means "never" (not confirmed, never logged in).
type Account struct {
	ID                int64
	Email             string
	Role              Role
	PasswordHash      string
	PasswordSetAt     time.Time
	PasswordExpiredAt time.Time
	// PreviousHash is the hash of the password before the current one (or
	// an imported legacy hash): it is kept only to refuse its re-use.
	PreviousHash string
	ConfirmedAt  time.Time
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

// Confirmed reports whether the address was confirmed by mail.
func (a *Account) Confirmed() bool { return !a.ConfirmedAt.IsZero() }

// PasswordExpired reports whether the current password may no longer be used.
func (a *Account) PasswordExpired() bool {
	return !a.PasswordExpiredAt.IsZero() || a.PasswordHash == ""
}

// Session is a signed-in browser. Its ID lives only in the cookie; the
// store keeps a hash of it.
type Session struct {
	ID         string
	AccountID  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// TokenKind tells what a mailed link is for.
type TokenKind string

// The kinds of mailed links.
const (
	ConfirmToken TokenKind = "confirm"
	ResetToken   TokenKind = "reset"
)

// Event names a security event of the audit log.
type Event string

// The audited events.
const (
	EventRegistered         Event = "registered"
	EventRegisterExisting   Event = "register-existing"
	EventConfirmed          Event = "confirmed"
	EventConfirmResent      Event = "confirm-resent"
	EventLoginSucceeded     Event = "login-succeeded"
	EventLoginFailed        Event = "login-failed"
	EventThrottled          Event = "throttled"
	EventResetRequested     Event = "reset-requested"
	EventResetDone          Event = "reset-done"
	EventPasswordChanged    Event = "password-changed"
	EventPasswordRehashed   Event = "password-rehashed"
	EventLogout             Event = "logout"
	EventSessionExpired     Event = "session-expired"
	EventCrossOriginRefused Event = "cross-origin-refused"

	// Businesses and PINs: Detail names the business number, never a PIN.
	EventBusinessesImported Event = "businesses-imported"
	EventPINRequested       Event = "pin-requested"
	EventPINIssued          Event = "pin-issued"
	EventPINLetterRendered  Event = "pin-letter-rendered"
	EventPINFailed          Event = "pin-failed"
	EventPINLocked          Event = "pin-locked"
	EventBusinessLinked     Event = "business-linked"
	EventBusinessUnlinked   Event = "business-unlinked"

	// Migration day: the operator's bulk commands. A purged account leaves
	// only "purged" with its id; its address goes with the account.
	EventImported         Event = "imported"
	EventPasswordsExpired Event = "passwords-expired"
	EventInactiveNotified Event = "inactive-notified"
	EventPurged           Event = "purged"

	// Second factor, passkeys and the member's own account. Detail never
	// holds a code, a secret or an address.
	EventSecondFactorOn     Event = "second-factor-on"
	EventSecondFactorOff    Event = "second-factor-off"
	EventSecondFactorPassed Event = "second-factor-passed"
	EventSecondFactorFailed Event = "second-factor-failed"
	EventSecondFactorReset  Event = "second-factor-reset" // by staff: Detail "staff ID: reason"
	EventRecoveryCodeUsed   Event = "recovery-code-used"
	EventRecoveryCodesNew   Event = "recovery-codes-new"
	EventPasskeyAdded       Event = "passkey-added"
	EventPasskeyRemoved     Event = "passkey-removed"
	EventPasskeyLogin       Event = "passkey-login"
	EventPasskeyCloneWarn   Event = "passkey-clone-warning"
	EventSessionEnded       Event = "session-ended"
	EventEmailChangeAsked   Event = "email-change-requested"
	EventEmailChanged       Event = "email-changed"
	EventEmailChangeVoided  Event = "email-change-voided" // by a new password or staff
	EventAccountDeleted     Event = "account-deleted"
	EventDataExported       Event = "data-exported"
	// The staff console: each entry carries the acting staff account
	// (ActorID); deletions and second-factor resets the reason given.
	EventStaffConfirmSent     Event = "staff-confirm-sent"
	EventStaffResetSent       Event = "staff-reset-sent"
	EventStaffSessionsEnded   Event = "staff-sessions-ended"
	EventStaffThrottleCleared Event = "staff-throttle-cleared"
	EventStaffMFAReset        Event = "staff-mfa-reset"
	EventStaffDeleted         Event = "staff-account-deleted"
	EventStaffPINUnlocked     Event = "staff-pin-unlocked"
	EventStaffMailRetried     Event = "staff-mail-retried"
	EventStaffRoleGranted     Event = "staff-role-granted"
	EventStaffRoleRevoked     Event = "staff-role-revoked"
	// Staff looked: an account's page opened, the audit log exported.
	EventStaffAccountViewed Event = "staff-account-viewed"
	EventStaffAuditExported Event = "staff-audit-exported"
	// Services (OpenID Connect): Detail names the client, never a token.
	EventOIDCSignIn        Event = "oidc-sign-in"
	EventOIDCLogoutSent    Event = "oidc-logout-sent"
	EventOIDCLogoutFailed  Event = "oidc-logout-failed"
	EventOIDCCodeReused    Event = "oidc-code-reused"
	EventOIDCRefreshReused Event = "oidc-refresh-reused"
	EventOIDCClientAdded   Event = "oidc-client-added"
	EventOIDCClientRemoved Event = "oidc-client-removed"
	EventOIDCSecretRotated Event = "oidc-secret-rotated"
	EventOIDCKeyRotated    Event = "oidc-key-rotated"
	// The operator's key: every sealed secret moved to its first key.
	EventKeysResealed Event = "keys-resealed"
)

// AuditEntry is one line of the audit log. It never holds a password or a
// token; AccountID is zero when no account is known.
type AuditEntry struct {
	ID        int64
	At        time.Time
	Event     Event
	AccountID int64
	Email     string // filled when read, from the account if it still exists
	Client    string
	Detail    string
	// ActorID is the staff account that acted (zero: the member themself,
	// the command line or the system); Actor its address, filled when read.
	ActorID int64
	Actor   string
}

// ClientCLI is the client the audit log records for the operator's
// commands (`pforte …` on the server), whichever package writes it.
const ClientCLI = "cli"

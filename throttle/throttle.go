// Package throttle limits attempts: per account (always on, since they
// protect the account) and per client address (switchable for load tests).
// The counters live in the database, so several server processes share them.
package throttle

import (
	"context"
	"math"
	"strconv"
	"time"

	"pforte"
	"pforte/store"
)

// Limit allows Max events per Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// The per-client limits of the public forms, and the per-account limits.
// Per client they are generous: an office behind one NAT address shares
// them. Logins count only failures; registrations and reset requests count
// only those that passed validation.
var (
	ClientLoginFailures = Limit{Max: 100, Window: 15 * time.Minute}
	ClientRegister      = Limit{Max: 100, Window: time.Hour}
	ClientReset         = Limit{Max: 100, Window: time.Hour}
	// AccountMail bounds mails one address can be sent through the public
	// forms (registration, resend, reset), so nobody can flood a mailbox.
	AccountMail = Limit{Max: 10, Window: time.Hour}
)

// Login back-off per account: FreeFailures wrong passwords in
// FailureWindow cost nothing; each further one doubles the wait, starting
// at FirstWait, up to MaxWait.
const (
	FreeFailures  = 5
	FailureWindow = time.Hour
	FirstWait     = 30 * time.Second
	MaxWait       = 15 * time.Minute
)

// Limiter counts attempts in the store.
type Limiter struct {
	DB *store.DB
	// PerClient switches the per-client-address limits (PFORTE_RATE_LIMITS).
	PerClient bool
	Now       func() time.Time
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Throttled is the error for a wait of d.
func Throttled(d time.Duration) *pforte.Error {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &pforte.Error{Code: pforte.Throttled, RetryAfter: secs,
		// The page adds the wait, counting down (RetryAfter).
		Message: "Zu viele Versuche. Aus Sicherheitsgründen ist eine kurze Pause nötig."}
}

// Wait says a number of seconds in German words for the user: seconds
// below 90, otherwise in the words the mails and pages use
// (pforte.GermanDuration: "2 Minuten", "1 Stunde und 30 Minuten"). Both
// round up, so that nobody is told to wait too short.
func Wait(secs int) string {
	switch {
	case secs <= 1:
		return "1 Sekunde"
	case secs < 90:
		return strconv.Itoa(secs) + " Sekunden"
	default:
		return pforte.GermanDuration(time.Duration(secs) * time.Second)
	}
}

// Allow counts one event for key and returns a Throttled error once more
// than lim.Max happened in the window.
func (l *Limiter) Allow(ctx context.Context, key string, lim Limit) error {
	now := l.now()
	c, err := l.DB.Q().Hit(ctx, key, now, lim.Window)
	if err != nil {
		return err
	}
	if c.Count > lim.Max {
		return Throttled(c.WindowStart.Add(lim.Window).Sub(now))
	}
	return nil
}

// Client applies a per-client-address limit, unless those are switched off.
func (l *Limiter) Client(ctx context.Context, action, client string, lim Limit) error {
	if !l.PerClient || client == "" {
		return nil
	}
	return l.Allow(ctx, "client:"+action+":"+client, lim)
}

func loginKey(email string) string { return "login:" + email }

// ClientBlocked tells, without counting, whether client has used up lim
// for action (per-client limits that count only failures).
func (l *Limiter) ClientBlocked(ctx context.Context, action, client string, lim Limit) error {
	if !l.PerClient || client == "" {
		return nil
	}
	now := l.now()
	c, err := l.DB.Q().Peek(ctx, "client:"+action+":"+client, now, lim.Window)
	if err != nil {
		return err
	}
	if c.Count >= lim.Max {
		return Throttled(c.WindowStart.Add(lim.Window).Sub(now))
	}
	return nil
}

// ClientFailed counts one failure of client for action.
func (l *Limiter) ClientFailed(ctx context.Context, action, client string, lim Limit) error {
	if !l.PerClient || client == "" {
		return nil
	}
	_, err := l.DB.Q().Hit(ctx, "client:"+action+":"+client, l.now(), lim.Window)
	return err
}

// LoginWait returns a Throttled error if the account behind email (known
// or not: no difference is visible) must wait before the next login.
func (l *Limiter) LoginWait(ctx context.Context, email string) error {
	st, err := l.LoginState(ctx, email)
	if err != nil || st.Until.IsZero() {
		return err
	}
	return Throttled(st.Until.Sub(l.now()))
}

// LoginFailed counts a failed login for email.
func (l *Limiter) LoginFailed(ctx context.Context, email string) error {
	_, err := l.DB.Q().Hit(ctx, loginKey(email), l.now(), FailureWindow)
	return err
}

// LoginSucceeded forgets the failures of email.
func (l *Limiter) LoginSucceeded(ctx context.Context, email string) error {
	return l.DB.Q().ResetCounter(ctx, loginKey(email))
}

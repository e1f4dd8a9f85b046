// Package throttle limits attempts: per account (always on, since they
// protect the account) and per client address (switchable for load tests).
// The counters live in the database, so several server processes share them.
package throttle

import (
	"context"
	"math"
	"net/netip"
	"time"

	"pforte"
	"pforte/locale"
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
	// ClientAuthorize bounds the authorization requests (services'
	// sign-ins) one client address starts: each is a row in the store.
	ClientAuthorize = Limit{Max: 300, Window: 15 * time.Minute}
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
// below 90, otherwise in the words the mails and pages use ("2 Minuten",
// "1 Stunde und 30 Minuten"). Both round up, so that nobody is told to
// wait too short. locale.Wait says it in the page's language.
func Wait(secs int) string { return locale.Wait(locale.German, secs) }

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
	return l.Allow(ctx, clientKey(action, client), lim)
}

// clientKey is the counter of client for action. A client is its address,
// except that an IPv4 address written as IPv6 (::ffff:a.b.c.d) is that
// IPv4 address, and an IPv6 address counts as its /64: one line, one home
// or office gets a whole /64 and can pick any address in it.
func clientKey(action, client string) string {
	if ip, err := netip.ParseAddr(client); err == nil {
		ip = ip.Unmap().WithZone("")
		if ip.Is6() {
			client = netip.PrefixFrom(ip, 64).Masked().String()
		} else {
			client = ip.String()
		}
	}
	return "client:" + action + ":" + client
}

func loginKey(email string) string { return "login:" + email }

// take counts one attempt for key under r and answers Throttled, with
// the time to wait, if r refuses it.
func (l *Limiter) take(ctx context.Context, key string, r store.Rule) error {
	now := l.now()
	c, ok, err := l.DB.Q().Take(ctx, key, now, r)
	if err != nil || ok {
		return err
	}
	until := c.WindowStart.Add(r.Window)
	if len(r.Waits) > 0 {
		until = c.LastAt.Add(r.Waits[min(max(c.Count-r.Free, 0), len(r.Waits)-1)])
	}
	return Throttled(until.Sub(now))
}

// ClientAttempt counts an attempt of client for action (a limit that
// counts only failures) before it is checked, and answers Throttled once
// client has used up lim. An attempt that turns out not to be a failure
// is given back with ClientGiveBack. Counting first means a burst of
// concurrent attempts gets no more checks than lim allows.
func (l *Limiter) ClientAttempt(ctx context.Context, action, client string, lim Limit) error {
	if !l.PerClient || client == "" {
		return nil
	}
	return l.take(ctx, clientKey(action, client), store.Rule{Window: lim.Window, Free: lim.Max})
}

// ClientGiveBack returns an attempt counted by ClientAttempt that was no
// failure.
func (l *Limiter) ClientGiveBack(ctx context.Context, action, client string) error {
	if !l.PerClient || client == "" {
		return nil
	}
	return l.DB.Q().GiveBack(ctx, clientKey(action, client))
}

// loginRule is the per-account back-off as a store rule.
var loginRule = func() store.Rule {
	r := store.Rule{Window: FailureWindow, Free: FreeFailures}
	for w := FirstWait; ; w *= 2 {
		r.Waits = append(r.Waits, min(w, MaxWait))
		if w >= MaxWait {
			return r
		}
	}
}()

// LoginAttempt counts an attempt to prove the password of the account
// behind email (known or not: no difference is visible) before the
// password is checked, and answers Throttled if the account must wait
// first. The count is the number of attempts since the last success:
// call LoginSucceeded after the right password. Counting before checking
// means that a burst of concurrent attempts gets no more password checks
// than FreeFailures and the waits allow.
func (l *Limiter) LoginAttempt(ctx context.Context, email string) error {
	return l.take(ctx, loginKey(email), loginRule)
}

// LoginGiveBack returns an attempt counted by LoginAttempt at which no
// secret was checked after all.
func (l *Limiter) LoginGiveBack(ctx context.Context, email string) error {
	return l.DB.Q().GiveBack(ctx, loginKey(email))
}

// LoginSucceeded forgets the failures of email.
func (l *Limiter) LoginSucceeded(ctx context.Context, email string) error {
	return l.LoginSucceededIn(ctx, l.DB.Q(), email)
}

// LoginSucceededIn is LoginSucceeded within tx: a login's writes after
// the right password (the counter, the login, its audit entry) commit
// together.
func (l *Limiter) LoginSucceededIn(ctx context.Context, tx *store.Tx, email string) error {
	return tx.ResetCounter(ctx, loginKey(email))
}

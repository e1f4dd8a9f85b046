package throttle

import (
	"context"
	"time"

	"pforte/store"
)

// LoginState is where the login throttle of an address stands, for the
// staff console: failures counted in the window, and until when the next
// login must wait (zero: it need not).
type LoginState struct {
	Failures int
	Until    time.Time
}

// LoginState reads the login throttle of email without counting.
func (l *Limiter) LoginState(ctx context.Context, email string) (LoginState, error) {
	now := l.now()
	c, err := l.DB.Q().Peek(ctx, loginKey(email), now, FailureWindow)
	if err != nil {
		return LoginState{}, err
	}
	st := LoginState{Failures: c.Count}
	if c.Count >= FreeFailures {
		wait := loginRule.Waits[min(c.Count-FreeFailures, len(loginRule.Waits)-1)]
		if until := c.LastAt.Add(wait); until.After(now) {
			st.Until = until
		}
	}
	return st, nil
}

// ClearLogin forgets the failed logins of email in tx (staff lifting a
// throttle, together with its audit entry).
func ClearLogin(ctx context.Context, tx *store.Tx, email string) error {
	return tx.ResetCounter(ctx, loginKey(email))
}

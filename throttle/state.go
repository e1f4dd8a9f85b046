package throttle

import (
	"context"
	"fmt"
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

// SecondFactorKey is the account's own counter of wrong second-factor
// codes, counted as logins are. The password's counter starts again at
// every right password; this one only at a right code, so that knowing
// the password does not buy fresh guesses. It has no "@", so it never
// meets an address's counter.
func SecondFactorKey(accountID int64) string { return fmt.Sprintf("second-factor#%d", accountID) }

// ClearLogin forgets, in tx, the failed logins of the account with email
// and id: both the password's counter and the second factor's (staff
// lifting a throttle, together with its audit entry).
func ClearLogin(ctx context.Context, tx *store.Tx, email string, accountID int64) error {
	if err := tx.ResetCounter(ctx, loginKey(email)); err != nil {
		return err
	}
	return tx.ResetCounter(ctx, loginKey(SecondFactorKey(accountID)))
}

package account_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pforte"
	"pforte/account"
	"pforte/password"
	"pforte/session"
	"pforte/store"
	"pforte/store/storetest"
)

// A reset that commits while a signed-in attacker's password change,
// address change or deletion is under way (the old password checked, the write not
// yet done) is not undone: both answer "Das aktuelle Passwort ist falsch."
// and write nothing. The reset is made to commit in that moment through
// the service's clock, which the change reads between its check and its
// transaction.
func TestChangesDoNotUndoAReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		const addr, old, theirs = "opfer@example.de", "Zebra-Mond7!Wolke", "Dieb-Passwort9!Stein"
		s.Register(ctx, addr, old, "", false, "c")
		confirm(t, s, addr)
		a, _ := s.DB.Q().AccountByEmail(ctx, addr)
		resetNow := func() {
			t.Helper()
			if err := s.DB.Q().SetPassword(ctx, a.ID, "owner's new hash", a.PasswordHash, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		var armed atomic.Bool
		s.Now = func() time.Time {
			if armed.CompareAndSwap(true, false) {
				resetNow()
			}
			return time.Now()
		}
		armed.Store(true)
		err := s.ChangePassword(ctx, a.ID, "", old, theirs, "", false, "attacker")
		if armed.Load() {
			t.Fatal("the change never read the clock: the test does not reach the moment it is about")
		}
		if pforte.ErrorCode(err) != pforte.InvalidCredentials {
			t.Errorf("password change after the reset: %v", err)
		}
		if got, _ := s.DB.Q().AccountByID(ctx, a.ID); got.PasswordHash != "owner's new hash" {
			t.Errorf("the attacker's change undid the reset")
		}

		// The address change: allowed by the old password, asked after the reset.
		if err := s.DB.Q().SetPassword(ctx, a.ID, a.PasswordHash, "", time.Now()); err != nil {
			t.Fatal(err)
		}
		checked, err := s.CheckPassword(ctx, a.ID, old, "attacker")
		if err != nil {
			t.Fatal(err)
		}
		resetNow()
		if err := s.RequestEmailChange(ctx, checked, "dieb@example.org", "attacker"); pforte.ErrorCode(err) != pforte.InvalidCredentials {
			t.Errorf("address change after the reset: %v", err)
		}
		if toks := tokens(t, s, "dieb@example.org", account.EmailChangePath); len(toks) != 0 {
			t.Errorf("a link went to the attacker's address")
		}
		// Nor does the old password delete the account after the reset.
		if err := s.DeleteOwn(ctx, checked, "attacker"); pforte.ErrorCode(err) != pforte.InvalidCredentials {
			t.Errorf("deletion after the reset: %v", err)
		}
		if _, err := s.DB.Q().AccountByID(ctx, a.ID); err != nil {
			t.Errorf("the account after a refused deletion: %v", err)
		}
		if err := s.DB.Tx(ctx, func(tx *store.Tx) error { return tx.HoldPassword(ctx, a.ID, "owner's new hash") }); err != nil {
			t.Errorf("the owner's password: %v", err)
		}
	})
}

// Two logins of one account at once, right after a change of the argon2
// parameters: both rehash the password, one of them first. Each gets its
// session (the other holds the hash the first stored, a hash of the same
// password), none is refused as if the password had changed.
func TestConcurrentRehashesKeepTheSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		sess := &session.Sessions{DB: s.DB, Idle: 10 * time.Minute, Max: time.Hour}
		for round := range 6 {
			addr := fmt.Sprintf("rehash%d@example.de", round)
			s.Hasher.Params = cheap
			s.Register(ctx, addr, "Zebra-Mond7!Wolke", "", false, "c")
			confirm(t, s, addr)
			s.Hasher.Params = password.Params{Memory: 8 * 1024, Time: 2, Threads: 1} // the new parameters
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					a, err := s.Login(ctx, addr, "Zebra-Mond7!Wolke", "c")
					if err == nil {
						_, err = sess.Start(ctx, a.ID, "", session.Login{Password: a.PasswordHash})
					}
					if err != nil {
						t.Errorf("round %d: right password, no session: %v", round, err)
					}
				})
			}
			wg.Wait()
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// A sign-in holds the password it checked until its transaction ends: a
// reset that comes meanwhile waits for it, and then ends the session it
// opened and the logins waiting for their second factor. So no session
// opened with the old password outlives the reset, whatever the order.
func TestResetWaitsForASignInThatHoldsThePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC()
		a := &pforte.Account{Email: "halten@example.de", PasswordHash: "alt", CreatedAt: now}
		must(t, db.Q().CreateAccount(ctx, a))
		must(t, db.Q().InsertPending(ctx, store.Pending{Hash: "wartet", Kind: store.PendingSecondFactor, AccountID: a.ID,
			CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
		must(t, db.Q().InsertPending(ctx, store.Pending{Hash: "zeremonie", Kind: "passkey-login", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))

		resetDone := make(chan error, 1)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.HoldPassword(ctx, a.ID, "alt"); err != nil {
				return err
			}
			go func() {
				resetDone <- db.Tx(ctx, func(tx *store.Tx) error {
					if err := tx.SetPassword(ctx, a.ID, "neu", "alt", now); err != nil {
						return err
					}
					_, err := tx.DeleteSessionsOf(ctx, a.ID, "")
					return err
				})
			}()
			// Without the hold the reset would commit in milliseconds.
			select {
			case err := <-resetDone:
				t.Errorf("the reset committed while the sign-in held the password (%v)", err)
			case <-time.After(300 * time.Millisecond):
			}
			return tx.CreateSession(ctx, store.StoredSession{Hash: "sitzung", AccountID: a.ID, CreatedAt: now, LastSeenAt: now,
				ExpiresAt: now.Add(time.Hour)})
		})
		must(t, err)
		select {
		case err := <-resetDone:
			must(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("the reset never finished")
		}
		if n, _ := db.Q().CountSessions(ctx, a.ID); n != 0 {
			t.Errorf("%d sessions outlived the reset", n)
		}
		if _, err := db.Q().PendingByHash(ctx, store.PendingSecondFactor, "wartet", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the login waiting for its second factor outlived the reset: %v", err)
		}
		if _, err := db.Q().PendingByHash(ctx, "passkey-login", "zeremonie", now); err != nil {
			t.Errorf("another kind of pending step (no account's) went with the reset: %v", err)
		}
		// Afterwards the old password holds nothing, the new one does.
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.HoldPassword(ctx, a.ID, "alt") }); !errors.Is(err, store.ErrCredentialChanged) {
			t.Errorf("the old password after the reset: %v", err)
		}
		must(t, db.Tx(ctx, func(tx *store.Tx) error { return tx.HoldPassword(ctx, a.ID, "neu") }))
		if err := db.Q().HoldPassword(ctx, a.ID, ""); !errors.Is(err, store.ErrCredentialChanged) {
			t.Errorf("an empty hash (no password) holds nothing: %v", err)
		}
	})
}

// A change made within a session (a new passkey) holds that session: it
// is there until a reset or a logout ends it, then ErrNotFound.
func TestHoldSessionUntilItEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC()
		a := &pforte.Account{Email: "sitzung@example.de", PasswordHash: "h", CreatedAt: now}
		must(t, db.Q().CreateAccount(ctx, a))
		must(t, db.Q().CreateSession(ctx, store.StoredSession{Hash: "lebt", AccountID: a.ID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(time.Hour)}))
		must(t, db.Tx(ctx, func(tx *store.Tx) error { return tx.HoldSession(ctx, a.ID, "lebt") }))
		if err := db.Q().HoldSession(ctx, a.ID+1, "lebt"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another account's session: %v", err)
		}
		if _, err := db.Q().DeleteSessionsOf(ctx, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.HoldSession(ctx, a.ID, "lebt") }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an ended session: %v", err)
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pforte"
	"pforte/mail"
	"pforte/store"
	"pforte/store/storetest"
)

func TestDeleteAccountAsAPurgeDoes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC()
		a := &pforte.Account{Email: "weg@example.de", PasswordHash: "h", CreatedAt: now}
		if err := db.Q().CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		q := db.Q()
		must(t, q.CreateSession(ctx, store.StoredSession{Hash: "s1", AccountID: a.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}))
		must(t, q.SetPendingTOTP(ctx, a.ID, "v1.x.y"))
		must(t, q.ReplaceRecoveryCodes(ctx, a.ID, []string{"h1", "h2"}, now))
		must(t, q.InsertPasskey(ctx, &store.Passkey{AccountID: a.ID, CredentialID: "c1", Credential: "{}", CreatedAt: now}))
		must(t, q.InsertEmailChange(ctx, store.EmailChange{Hash: "e1", AccountID: a.ID, NewEmail: "neu@example.de", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		must(t, q.InsertPending(ctx, store.Pending{Hash: "p1", Kind: "second-factor", AccountID: a.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
		if _, err := q.Hit(ctx, "login:"+a.Email, now, time.Hour); err != nil {
			t.Fatal(err)
		}
		notice, err := q.Enqueue(ctx, 0, mail.Message{To: a.Email, Subject: "gelöscht"}, now)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			return tx.DeleteAccount(ctx, a.ID, pforte.AuditEntry{At: now, Event: pforte.EventAccountDeleted, Detail: "vom Mitglied selbst"})
		})
		must(t, err)
		if _, err := q.AccountByID(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("account: %v", err)
		}
		if _, err := q.SessionByHash(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session: %v", err)
		}
		if _, err := q.TOTPOf(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("totp: %v", err)
		}
		if _, err := q.PasskeyByCredentialID(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("passkey: %v", err)
		}
		if _, err := q.EmailChangeByHash(ctx, "e1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("email change: %v", err)
		}
		if c, _ := q.Peek(ctx, "login:"+a.Email, now, time.Hour); c.Count != 0 {
			t.Fatalf("throttle counter kept: %d", c.Count)
		}
		if n, _ := q.UnusedRecoveryCodes(ctx, a.ID); n != 0 {
			t.Fatalf("recovery codes kept: %d", n)
		}
		log, _ := q.AuditLog(ctx, store.AuditFilter{AccountID: a.ID})
		if len(log) != 1 || log[0].Event != pforte.EventAccountDeleted || log[0].Email != "" {
			t.Fatalf("audit: %+v", log)
		}
		// The notice outlives the account until it is sent, then goes too.
		if n, _ := q.PruneMailsWithoutAccount(ctx, now.Add(time.Hour)); n != 0 {
			t.Fatalf("pruned an unsent mail: %d", n)
		}
		must(t, store.Outbox{DB: db}.MarkSent(ctx, notice, now))
		if n, _ := q.PruneMailsWithoutAccount(ctx, now.Add(time.Hour)); n != 1 {
			t.Fatalf("pruned %d sent mails without account", n)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.DeleteAccount(ctx, a.ID, pforte.AuditEntry{At: now, Event: pforte.EventAccountDeleted})
		}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDropEmailChangesAndRecentPasskeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC()
		a := &pforte.Account{Email: "frisch@example.de", PasswordHash: "h", CreatedAt: now}
		b := &pforte.Account{Email: "andere@example.de", PasswordHash: "h", CreatedAt: now}
		must(t, db.Q().CreateAccount(ctx, a))
		must(t, db.Q().CreateAccount(ctx, b))
		q := db.Q()
		must(t, q.InsertEmailChange(ctx, store.EmailChange{Hash: "e1", AccountID: a.ID, NewEmail: "dieb@example.de", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		must(t, q.InsertEmailChange(ctx, store.EmailChange{Hash: "e2", AccountID: b.ID, NewEmail: "neu@example.de", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		if n, err := q.DropEmailChanges(ctx, a.ID); err != nil || n != 1 {
			t.Fatalf("dropped %d, %v", n, err)
		}
		if _, err := q.EmailChangeByHash(ctx, "e1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("change kept: %v", err)
		}
		if _, err := q.EmailChangeByHash(ctx, "e2"); err != nil {
			t.Fatalf("other account's change: %v", err)
		}

		must(t, q.InsertPasskey(ctx, &store.Passkey{AccountID: a.ID, CredentialID: "alt", Credential: "{}", Name: "alt", CreatedAt: now.Add(-13 * time.Hour)}))
		must(t, q.InsertPasskey(ctx, &store.Passkey{AccountID: a.ID, CredentialID: "neu", Credential: "{}", Name: "neu", CreatedAt: now.Add(-time.Hour)}))
		must(t, q.InsertPasskey(ctx, &store.Passkey{AccountID: b.ID, CredentialID: "fremd", Credential: "{}", Name: "fremd", CreatedAt: now}))
		gone, err := q.DeletePasskeysSince(ctx, a.ID, now.Add(-12*time.Hour))
		if err != nil || len(gone) != 1 || gone[0].Name != "neu" {
			t.Fatalf("removed %v, %v", gone, err)
		}
		for _, c := range []string{"alt", "fremd"} {
			if _, err := q.PasskeyByCredentialID(ctx, c); err != nil {
				t.Fatalf("passkey %s: %v", c, err)
			}
		}
	})
}

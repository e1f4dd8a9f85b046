package store_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"pforte"
	"pforte/mail"
	"pforte/store"
	"pforte/store/storetest"
)

func open(t *testing.T, url string) *store.DB {
	t.Helper()
	db := storetest.Open(t, url)
	if err := db.Migrate(context.Background()); err != nil { // twice is harmless
		t.Fatal(err)
	}
	return db
}

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := &pforte.Account{Email: "jörg@example.de", PasswordHash: "h1", PasswordSetAt: now, CreatedAt: now}
		if err := db.Q().CreateAccount(ctx, a); err != nil || a.ID == 0 {
			t.Fatalf("create: %v id=%d", err, a.ID)
		}
		if err := db.Q().CreateAccount(ctx, &pforte.Account{Email: "jörg@example.de", CreatedAt: now}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate: got %v, want ErrExists", err)
		}
		got, err := db.Q().AccountByEmail(ctx, "jörg@example.de")
		if err != nil || got.ID != a.ID || !got.CreatedAt.Equal(now) || got.Confirmed() || got.Role != pforte.RoleMember {
			t.Fatalf("by email: %+v %v", got, err)
		}
		if _, err := db.Q().AccountByEmail(ctx, "nobody@example.de"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if err := db.Q().ConfirmAccount(ctx, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().SetPassword(ctx, a.ID, "h2", "h1", now); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Q().AccountByID(ctx, a.ID)
		if !got.Confirmed() || got.PasswordHash != "h2" || got.PreviousHash != "h1" {
			t.Fatalf("after update: %+v", got)
		}
		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAccount(ctx, &pforte.Account{Email: "half@example.de", CreatedAt: now}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("tx error: %v", err)
		}
		if _, err := db.Q().AccountByEmail(ctx, "half@example.de"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rolled back account exists: %v", err)
		}
	})
}

func TestTokensSingleUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		a := &pforte.Account{Email: "t@example.de", CreatedAt: now}
		if err := db.Q().CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		tok := store.Token{Hash: "abc", Kind: pforte.ResetToken, AccountID: a.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.Q().InsertToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Q().TokenByHash(ctx, pforte.ConfirmToken, "abc"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("wrong kind found: %v", err)
		}
		// Many concurrent uses: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if db.Tx(ctx, func(tx *store.Tx) error { return tx.UseToken(ctx, "abc", now) }) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("token used %d times", wins)
		}
		exp := store.Token{Hash: "old", Kind: pforte.ResetToken, AccountID: a.ID, CreatedAt: now, ExpiresAt: now.Add(-time.Second)}
		db.Q().InsertToken(ctx, exp)
		if err := db.Q().UseToken(ctx, "old", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired token used: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		a := &pforte.Account{Email: "s@example.de", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		for _, h := range []string{"s1", "s2", "s3"} {
			if err := db.Q().CreateSession(ctx, store.StoredSession{Hash: h, AccountID: a.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		later := now.Add(time.Minute)
		if err := db.Q().TouchSession(ctx, "s1", later); err != nil {
			t.Fatal(err)
		}
		s, err := db.Q().SessionByHash(ctx, "s1")
		if err != nil || s.LastSeenAt.UnixMilli() != later.UnixMilli() {
			t.Fatalf("touch: %+v %v", s, err)
		}
		// The signed-in check reads session and account in one query.
		ws, wa, err := db.Q().SessionWithAccount(ctx, "s1")
		if err != nil || ws.Hash != "s1" || ws.AccountID != a.ID || ws.LastSeenAt.UnixMilli() != later.UnixMilli() ||
			ws.SID != s.SID || ws.ExpiresAt.UnixMilli() != s.ExpiresAt.UnixMilli() || wa.ID != a.ID || wa.Email != a.Email ||
			wa.CreatedAt.UnixMilli() != now.UnixMilli() {
			t.Fatalf("session with account: %+v %+v %v", ws, wa, err)
		}
		if _, _, err := db.Q().SessionWithAccount(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown session: %v", err)
		}
		if n, err := db.Q().DeleteSessionsOf(ctx, a.ID, "s1"); err != nil || n != 2 {
			t.Fatalf("delete others: %d %v", n, err)
		}
		if n, _ := db.Q().CountSessions(ctx, a.ID); n != 1 {
			t.Fatalf("left %d sessions", n)
		}
		if n, _ := db.Q().PruneSessions(ctx, later.Add(time.Second), later); n != 1 {
			t.Fatalf("pruned %d", n)
		}
	})
}

func TestThrottleCounter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		for i := 1; i <= 3; i++ {
			c, err := db.Q().Hit(ctx, "k", now, time.Minute)
			if err != nil || c.Count != i {
				t.Fatalf("hit %d: %+v %v", i, c, err)
			}
		}
		if c, _ := db.Q().Peek(ctx, "k", now, time.Minute); c.Count != 3 {
			t.Fatalf("peek: %+v", c)
		}
		if c, _ := db.Q().Peek(ctx, "k", now.Add(2*time.Minute), time.Minute); c.Count != 0 {
			t.Fatalf("peek after window: %+v", c)
		}
		if c, _ := db.Q().Hit(ctx, "k", now.Add(2*time.Minute), time.Minute); c.Count != 1 {
			t.Fatalf("new window: %+v", c)
		}
		db.Q().ResetCounter(ctx, "k")
		if c, _ := db.Q().Peek(ctx, "k", now, time.Hour); c.Count != 0 {
			t.Fatalf("after reset: %+v", c)
		}
	})
}

func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		ob := store.Outbox{DB: db}
		id, err := db.Q().Enqueue(ctx, 0, mail.Message{To: "a@example.de", Subject: "Grüße", Text: "t", HTML: "h"}, now)
		if err != nil {
			t.Fatal(err)
		}
		m, ok, err := ob.Claim(ctx, now, time.Minute)
		if err != nil || !ok || m.ID != id || m.Subject != "Grüße" || m.Attempts != 1 {
			t.Fatalf("claim: %+v %v %v", m, ok, err)
		}
		if _, ok, _ := ob.Claim(ctx, now, time.Minute); ok {
			t.Fatal("leased mail claimed twice")
		}
		if err := ob.MarkFailed(ctx, id, now.Add(time.Second), "451 try later"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := ob.Claim(ctx, now, time.Minute); ok {
			t.Fatal("mail claimed before its next attempt")
		}
		m, ok, _ = ob.Claim(ctx, now.Add(2*time.Second), time.Minute)
		if !ok || m.Attempts != 2 {
			t.Fatalf("retry claim: %+v %v", m, ok)
		}
		if n, _ := ob.Depth(ctx); n != 1 {
			t.Fatalf("depth %d", n)
		}
		ob.MarkSent(ctx, id, now)
		if n, _ := ob.Depth(ctx); n != 0 {
			t.Fatalf("depth after send %d", n)
		}
		ms, _ := ob.RecentMails(ctx, 10)
		if len(ms) != 1 || ms[0].SentAt.IsZero() || ms[0].Text != "" {
			t.Fatalf("sent mail should be kept without its body: %+v", ms)
		}
	})
}

func TestAuditLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		a := &pforte.Account{Email: "audit@example.de", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		db.Q().Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventLoginFailed, Client: "127.0.0.1"})
		db.Q().Audit(ctx, pforte.AuditEntry{At: now.Add(time.Second), Event: pforte.EventLoginSucceeded, AccountID: a.ID, Client: "127.0.0.1"})
		all, err := db.Q().AuditLog(ctx, store.AuditFilter{})
		if err != nil || len(all) != 2 || all[0].Event != pforte.EventLoginSucceeded || all[0].Email != "audit@example.de" {
			t.Fatalf("log: %+v %v", all, err)
		}
		mine, _ := db.Q().AuditLog(ctx, store.AuditFilter{AccountID: a.ID})
		if len(mine) != 1 {
			t.Fatalf("filtered: %+v", mine)
		}
		recent, _ := db.Q().AuditLog(ctx, store.AuditFilter{Since: now.Add(500 * time.Millisecond)})
		if len(recent) != 1 {
			t.Fatalf("since: %+v", recent)
		}
	})
}

func TestSQLitePathWithSpecialCharacters(t *testing.T) {
	dir := t.TempDir() + "/a#b?c d"
	db := open(t, "sqlite:"+dir+"/pforte.db")
	var fk int
	if err := db.QueryRowForTest(context.Background(), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v: pragmas lost", fk, err)
	}
	if _, err := os.Stat(dir + "/pforte.db"); err != nil {
		t.Fatalf("database not where asked: %v", err)
	}
}

// Several processes starting at once on a new database all succeed: the
// migrations run once, under a lock.
func TestConcurrentMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				db, err := store.Open(ctx, url)
				if err != nil {
					errs <- err
					return
				}
				defer db.Close()
				errs <- db.Migrate(ctx)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent migrate: %v", err)
			}
		}
	})
}

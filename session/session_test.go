package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"pforte"
	"pforte/session"
	"pforte/store"
	"pforte/store/storetest"
)

func TestIdleAndAbsoluteTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		a := &pforte.Account{Email: "s@example.de", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		s := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: 30 * time.Minute, Now: func() time.Time { return now }}
		id, err := s.Start(ctx, a.ID, "", session.Login{Client: "127.0.0.1", UserAgent: "Mozilla/5.0 Firefox/140.0", Methods: []string{"pwd", "otp"}})
		if err != nil || len(id) < 43 {
			t.Fatalf("start: %q %v", id, err)
		}
		_, st0, _, _ := s.Check(ctx, id)
		if st0.Client != "127.0.0.1" || st0.UserAgent != "Mozilla/5.0 Firefox/140.0" || !st0.HasMethod("otp") ||
			!st0.HasMethod("pwd") || st0.HasMethod("hwk") || len(st0.SID) != 32 || st0.SID == st0.Hash {
			t.Fatalf("stored session: %+v", st0)
		}
		// Activity every 9 minutes keeps it alive (sliding) ...
		for range 3 {
			now = now.Add(9 * time.Minute)
			if got, _, st, err := s.Check(ctx, id); st != session.Valid || got.ID != a.ID || err != nil {
				t.Fatalf("check at %v: %v %v", now, st, err)
			}
		}
		// ... until the absolute end (30 minutes).
		now = now.Add(4 * time.Minute)
		if _, _, st, _ := s.Check(ctx, id); st != session.Expired {
			t.Fatalf("after max: %v", st)
		}
		if _, _, st, _ := s.Check(ctx, id); st != session.None {
			t.Fatalf("expired session still known: %v", st)
		}
		// The sign-in's language is kept for the mails; none keeps the stored one.
		if _, err := s.Start(ctx, a.ID, "", session.Login{Language: "en"}); err != nil {
			t.Fatal(err)
		}
		s.Start(ctx, a.ID, "", session.Login{})
		if lang, err := db.Q().Language(ctx, a.ID); err != nil || lang != "en" {
			t.Fatalf("language after sign-ins in English and without one: %q %v", lang, err)
		}
		id2, _ := s.Start(ctx, a.ID, "", session.Login{})
		now = now.Add(10 * time.Minute)
		if _, _, st, _ := s.Check(ctx, id2); st != session.Expired {
			t.Fatalf("after 10 idle minutes: %v", st)
		}
		// A new login replaces the old session id; logout ends it.
		id3, _ := s.Start(ctx, a.ID, "", session.Login{})
		id4, _ := s.Start(ctx, a.ID, id3, session.Login{})
		if _, _, st, _ := s.Check(ctx, id3); st != session.None {
			t.Fatalf("replaced session lives: %v", st)
		}
		s.End(ctx, id4)
		if _, _, st, _ := s.Check(ctx, id4); st != session.None {
			t.Fatalf("ended session lives: %v", st)
		}
		if _, _, st, _ := s.Check(ctx, "forged-id"); st != session.None {
			t.Fatalf("forged id: %v", st)
		}
	})
}

// TestConcurrentChecksRecordActivity: the requests of one page arriving at
// once are all valid, and the activity they share is recorded, so the
// idle time starts again for the session on every instance.
func TestConcurrentChecksRecordActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		a := &pforte.Account{Email: "p@example.de", CreatedAt: start}
		db.Q().CreateAccount(ctx, a)
		var mu sync.Mutex
		now := start
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: time.Hour, Now: clock}
		id, _ := s.Start(ctx, a.ID, "", session.Login{})
		mu.Lock()
		now = start.Add(8 * time.Minute)
		mu.Unlock()
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, st, err := s.Check(ctx, id); st != session.Valid || err != nil {
					t.Errorf("check: %v %v", st, err)
				}
			}()
		}
		wg.Wait()
		// Another instance (its own Sessions) sees the activity: 17 minutes
		// after the start, 9 after the shared activity, the session lives.
		other := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: time.Hour, Now: clock}
		st, err := db.Q().SessionByHash(ctx, pforte.HashSecret(id))
		if err != nil || !st.LastSeenAt.Equal(start.Add(8*time.Minute)) {
			t.Fatalf("recorded activity %v, %v; want %v", st.LastSeenAt, err, start.Add(8*time.Minute))
		}
		mu.Lock()
		now = start.Add(17 * time.Minute)
		mu.Unlock()
		if _, _, st, _ := other.Check(ctx, id); st != session.Valid {
			t.Fatalf("9 minutes after the shared activity: %v", st)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	ctx, db := context.Background(), storetest.Open(b, storetest.SQLiteURL(b))
	a := &pforte.Account{Email: "bench@example.de", CreatedAt: time.Now()}
	db.Q().CreateAccount(ctx, a)
	s := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: time.Hour}
	id, _ := s.Start(ctx, a.ID, "", session.Login{})
	for b.Loop() {
		if _, _, st, err := s.Check(ctx, id); st != session.Valid || err != nil {
			b.Fatal(st, err)
		}
	}
}

// A sign-in whose password was reset while it was being checked gets no
// session: Start holds the account's password and refuses one that is no
// longer the account's.
func TestStartRefusesAChangedPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		a := &pforte.Account{Email: "r@example.de", PasswordHash: "alt", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		s := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: time.Hour, Now: func() time.Time { return now }}
		if _, err := s.Start(ctx, a.ID, "", session.Login{Password: "alt", Language: "en"}); err != nil {
			t.Fatalf("the account's password: %v", err)
		}
		if err := db.Q().SetPassword(ctx, a.ID, "neu", "alt", now); err != nil {
			t.Fatal(err)
		}
		before, _ := db.Q().CountSessions(ctx, a.ID)
		if _, err := s.Start(ctx, a.ID, "", session.Login{Password: "alt", Language: "de"}); !errors.Is(err, store.ErrCredentialChanged) {
			t.Fatalf("the old password after a reset: %v", err)
		}
		if n, _ := db.Q().CountSessions(ctx, a.ID); n != before {
			t.Errorf("sessions %d, before %d: the refused sign-in left one", n, before)
		}
		if lang, _ := db.Q().Language(ctx, a.ID); lang != "en" {
			t.Errorf("the refused sign-in changed the language to %q", lang)
		}
	})
}

// A passkey sign-in gets its session only while the passkey is still the
// account's: one that a reset removed meanwhile opens nothing.
func TestStartRefusesARemovedPasskey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		a := &pforte.Account{Email: "k@example.de", PasswordHash: "h", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		k := &store.Passkey{AccountID: a.ID, CredentialID: "cred-1", Credential: "{}", Name: "Laptop", CreatedAt: now}
		if err := db.Q().InsertPasskey(ctx, k); err != nil {
			t.Fatal(err)
		}
		s := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: time.Hour, Now: func() time.Time { return now }}
		if _, err := s.Start(ctx, a.ID, "", session.Login{Methods: []string{"hwk"}, Passkey: k.ID}); err != nil {
			t.Fatalf("the account's passkey: %v", err)
		}
		if err := db.Q().DeletePasskey(ctx, a.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Start(ctx, a.ID, "", session.Login{Methods: []string{"hwk"}, Passkey: k.ID}); !errors.Is(err, store.ErrCredentialChanged) {
			t.Fatalf("a removed passkey: %v", err)
		}
		if n, _ := db.Q().CountSessions(ctx, a.ID); n != 1 {
			t.Errorf("%d sessions, want the first one only", n)
		}
	})
}

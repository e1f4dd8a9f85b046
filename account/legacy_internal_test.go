package account

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"pforte"
	"pforte/password"
	"pforte/store/storetest"
	"pforte/throttle"
)

// While imported legacy hashes exist, a failed login must also pay for a
// bcrypt check of their cost; once none are left, it need not.
func TestLegacyCostFollowsTheImportedHashes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		s := &Service{DB: db}
		if c := s.legacyCost(ctx); c != 0 {
			t.Fatalf("no legacy hashes, cost %d", c)
		}
		for i, cost := range []int{5, 7} {
			h, _ := bcrypt.GenerateFromPassword([]byte("Sommer2018!"), cost)
			a := &pforte.Account{Email: []string{"alt1@example.de", "alt2@example.de"}[i], PreviousHash: string(h), CreatedAt: time.Now()}
			if err := db.Q().CreateAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		// A normal account's previous bcrypt hash (after a reset) does not count.
		h, _ := bcrypt.GenerateFromPassword([]byte("x"), 9)
		db.Q().CreateAccount(ctx, &pforte.Account{Email: "neu@example.de", PasswordHash: "$argon2id$…", PreviousHash: string(h), CreatedAt: time.Now()})
		s.legacyCheckedAt = time.Time{} // the cache would otherwise hold for five minutes
		if c := s.legacyCost(ctx); c != 7 {
			t.Fatalf("legacy cost %d, want the highest in use, 7", c)
		}
	})
}

// One imported hash of high cost must not make every failed login pay
// for it: the dummy check is bounded at password.MaxLegacyCost.
func TestCostlyLegacyHashDoesNotSlowDownFailedLogins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		h, _ := bcrypt.GenerateFromPassword([]byte("Sommer2018!"), bcrypt.MinCost)
		costly := string(h[:4]) + "20" + string(h[6:]) // 2^20 rounds: over a minute each
		if err := db.Q().CreateAccount(ctx, &pforte.Account{Email: "alt@example.de", PreviousHash: costly, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		hasher := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1}, 2)
		t.Cleanup(hasher.Close)
		s := &Service{DB: db, Hasher: hasher, Limits: &throttle.Limiter{DB: db}}
		done := make(chan error, 2)
		go func() {
			for _, email := range []string{"jemand@example.de", "alt@example.de"} {
				_, err := s.Login(ctx, email, "Falsch-Passwort-1!", "c")
				done <- err
			}
		}()
		for range 2 {
			select {
			case err := <-done:
				if pforte.ErrorCode(err) != pforte.InvalidCredentials {
					t.Fatalf("failed login: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("a failed login paid for a bcrypt check of cost 20")
			}
		}
	})
}

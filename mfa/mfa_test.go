package mfa_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"pforte"
	"pforte/keyring"
	"pforte/mail"
	"pforte/mfa"
	"pforte/store"
	"pforte/store/storetest"
	"pforte/throttle"
)

// clock is the injected time of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time            { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration)       { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) code(secret string) string { s, _ := totp.GenerateCode(secret, c.Now()); return s }

func service(t *testing.T, url string) (*mfa.Service, *clock) {
	t.Helper()
	db := storetest.Open(t, url)
	raw := make([]byte, keyring.KeySize)
	rand.Read(raw)
	keys, err := keyring.Parse(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 5, 4, 10, 0, 10, 0, time.UTC)}
	return &mfa.Service{DB: db, Keys: keys, Limits: &throttle.Limiter{DB: db, Now: clk.Now}, Issuer: "Kundenportal",
		Mail: mail.Composer{BaseURL: "http://portal.test", Contact: "hilfe@portal.test", Product: "Kundenportal"},
		Now:  clk.Now}, clk
}

func member(t *testing.T, s *mfa.Service, email string) *pforte.Account {
	t.Helper()
	a := &pforte.Account{Email: email, PasswordHash: "x", CreatedAt: time.Now(), ConfirmedAt: time.Now()}
	if err := s.DB.Q().CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// enrolled turns the app's codes on for a and returns the secret and the
// recovery codes.
func enrolled(t *testing.T, s *mfa.Service, clk *clock, a *pforte.Account) (string, []string) {
	t.Helper()
	ctx := context.Background()
	en, err := s.BeginTOTP(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.EnableTOTP(ctx, a, clk.code(en.Secret), "", "test")
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, codes
}

func TestCodesWithinOnePeriodOfSkewAndOnlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, clk := service(t, url)
		ctx := context.Background()
		a := member(t, s, "anna@example.de")
		secret, _ := enrolled(t, s, clk, a)
		if _, err := s.Verify(ctx, a, clk.code(secret), "test"); pforte.ErrorCode(err) != pforte.MFAInvalid {
			t.Fatalf("the enrolment's code again: %v", err)
		}
		// The next period's code, shown 30 s early by a fast phone clock.
		clk.add(30 * time.Second)
		early := clk.code(secret)
		clk.add(-30 * time.Second)
		if _, err := s.Verify(ctx, a, early, "test"); err != nil {
			t.Fatalf("code one period early: %v", err)
		}
		// Two periods late is too late.
		clk.add(60 * time.Second)
		stale := clk.code(secret)
		clk.add(60 * time.Second)
		if _, err := s.Verify(ctx, a, stale, "test"); pforte.ErrorCode(err) != pforte.MFAInvalid {
			t.Fatalf("code two periods late: %v", err)
		}
		// The current period still works after the refusal.
		clk.add(-30 * time.Second)
		if _, err := s.Verify(ctx, a, clk.code(secret), "test"); err != nil {
			t.Fatalf("fresh code: %v", err)
		}
		// Two requests with one code at once: exactly one wins.
		clk.add(30 * time.Second)
		code := clk.code(secret)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 4 {
			wg.Go(func() {
				if _, err := s.Verify(ctx, a, code, "test"); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("one code accepted %d times", ok)
		}
	})
}

func TestSecretIsSealedAndRecoveryCodesHashed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, clk := service(t, url)
		ctx := context.Background()
		a := member(t, s, "berta@example.de")
		secret, codes := enrolled(t, s, clk, a)
		row, err := s.DB.Q().TOTPOf(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row.Secret, secret) || !strings.HasPrefix(row.Secret, "v1.") {
			t.Fatalf("secret not sealed: %q", row.Secret)
		}
		if len(codes) != mfa.RecoveryCodes {
			t.Fatalf("%d recovery codes", len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if len(c) != 19 || seen[c] {
				t.Fatalf("recovery code %q", c)
			}
			seen[c] = true
		}
		if n, _ := s.UnusedCodes(ctx, a.ID); n != 10 {
			t.Fatalf("unused: %d", n)
		}
		rec, err := s.Verify(ctx, a, " "+strings.ToLower(codes[3])+" ", "test")
		if err != nil || !rec {
			t.Fatalf("recovery code: %v %v", rec, err)
		}
		if _, err := s.Verify(ctx, a, codes[3], "test"); pforte.ErrorCode(err) != pforte.MFAInvalid {
			t.Fatalf("recovery code twice: %v", err)
		}
		if n, _ := s.UnusedCodes(ctx, a.ID); n != 9 {
			t.Fatalf("unused after one: %d", n)
		}
		// Another account's code does not work here.
		b := member(t, s, "carla@example.de")
		_, other := enrolled(t, s, clk, b)
		if _, err := s.Verify(ctx, a, other[0], "test"); pforte.ErrorCode(err) != pforte.MFAInvalid {
			t.Fatalf("another account's recovery code: %v", err)
		}
	})
}

func TestResetByStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, clk := service(t, url)
		ctx := context.Background()
		a := member(t, s, "dora@example.de")
		staff := member(t, s, "staff@example.de")
		enrolled(t, s, clk, a)
		if err := s.DB.Q().InsertPasskey(ctx, &store.Passkey{AccountID: a.ID, CredentialID: "AAAA", Credential: "{}", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountEnabled(ctx); n != 1 {
			t.Fatalf("count: %d", n)
		}
		if err := s.ResetByStaff(ctx, a.ID, staff.ID, "Telefon verloren, Ausweis geprüft", "10.0.0.9"); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.Enabled(ctx, a.ID); on {
			t.Fatal("still enabled after the reset")
		}
		if n, _ := s.UnusedCodes(ctx, a.ID); n != 0 {
			t.Fatalf("recovery codes left: %d", n)
		}
		if keys, _ := s.DB.Q().PasskeysOf(ctx, a.ID); len(keys) != 0 {
			t.Fatalf("passkeys left: %d", len(keys))
		}
		log, _ := s.DB.Q().AuditLog(ctx, store.AuditFilter{AccountID: a.ID, Limit: 1})
		if len(log) != 1 || log[0].Event != pforte.EventSecondFactorReset || !strings.Contains(log[0].Detail, "Telefon verloren") {
			t.Fatalf("audit: %+v", log)
		}
		mails, _ := store.Outbox{DB: s.DB, Keep: true}.RecentMails(ctx, 1)
		if len(mails) != 1 || mails[0].To != a.Email || !strings.Contains(mails[0].Subject, "zurückgesetzt") {
			t.Fatalf("notice: %+v", mails)
		}
		if err := s.ResetByStaff(ctx, 99999, staff.ID, "x", ""); err == nil {
			t.Fatal("reset of an unknown account succeeded")
		}
	})
}

func TestPendingLoginExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, clk := service(t, url)
		ctx := context.Background()
		a := member(t, s, "emil@example.de")
		secret, _ := enrolled(t, s, clk, a)
		raw, err := s.BeginLogin(ctx, a.ID, a.PasswordHash, "/konto/passwort")
		if err != nil {
			t.Fatal(err)
		}
		if got, next, err := s.PendingLogin(ctx, raw); err != nil || got.ID != a.ID || next != "/konto/passwort" {
			t.Fatalf("pending: %v %q %v", got, next, err)
		}
		clk.add(mfa.PendingTTL + time.Second)
		if _, _, err := s.CompleteLogin(ctx, raw, clk.code(secret), "test"); !mfa.LoginGone(err) {
			t.Fatalf("expired pending login: %v", err)
		}
	})
}

// A burst of wrong codes sent at once gets no more checks than the login
// throttle allows: each is counted before it is checked.
func TestCodeBurstGetsNoMoreChecksThanTheRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, clk := service(t, url)
		ctx := context.Background()
		a := member(t, s, "burst@example.de")
		secret, _ := enrolled(t, s, clk, a)
		right := clk.code(secret)
		wrong := "000000"
		if wrong == right {
			wrong = "111111"
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		checked := 0
		start := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-start
				_, err := s.Verify(ctx, a, wrong, "test")
				mu.Lock()
				defer mu.Unlock()
				switch pforte.ErrorCode(err) {
				case pforte.MFAInvalid:
					checked++
				case pforte.Throttled:
				default:
					t.Errorf("answer %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if checked != throttle.FreeFailures {
			t.Fatalf("a burst of 20 wrong codes: %d checked, want %d", checked, throttle.FreeFailures)
		}
		if _, err := s.Verify(ctx, a, right, "test"); pforte.ErrorCode(err) != pforte.Throttled {
			t.Fatalf("the right code after the burst: %v", err)
		}
	})
}

// A login waiting for its second factor ends with a password reset, and
// one whose password was reset while it was being checked does not begin.
func TestPasswordResetEndsPendingLogins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, clk := service(t, url)
		ctx := context.Background()
		a := member(t, s, "wartend@example.de")
		secret, _ := enrolled(t, s, clk, a)
		raw, err := s.BeginLogin(ctx, a.ID, a.PasswordHash, "")
		if err != nil {
			t.Fatal(err)
		}
		// The reset (as account.Reset does it): a new password, every session ended.
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.SetPassword(ctx, a.ID, "neu", a.PasswordHash, clk.Now()); err != nil {
				return err
			}
			_, err := tx.DeleteSessionsOf(ctx, a.ID, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CompleteLogin(ctx, raw, clk.code(secret), "test"); !mfa.LoginGone(err) {
			t.Fatalf("the second factor after a reset: %v", err)
		}
		if _, err := s.BeginLogin(ctx, a.ID, a.PasswordHash, ""); !errors.Is(err, store.ErrCredentialChanged) {
			t.Fatalf("a login that checked the old password: %v", err)
		}
	})
}

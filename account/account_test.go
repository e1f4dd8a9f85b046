package account_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"pforte"
	"pforte/account"
	"pforte/mail"
	"pforte/password"
	"pforte/policy"
	"pforte/store"
	"pforte/store/storetest"
	"pforte/throttle"
)

func service(t testing.TB, url string, params password.Params) *account.Service {
	t.Helper()
	db := storetest.Open(t, url)
	h := password.NewHasher(params, 4)
	t.Cleanup(h.Close) // give its memory back now, not a minute later
	return &account.Service{DB: db, Hasher: h, Policy: policy.Default(),
		Mail:   mail.Composer{BaseURL: "http://portal.test", Contact: "hilfe@portal.test", Product: "Kundenportal"},
		Limits: &throttle.Limiter{DB: db}, ConfirmTTL: time.Hour, ResetTTL: time.Hour}
}

var cheap = password.Params{Memory: 8 * 1024, Time: 1, Threads: 1}

// confirm uses the newest confirmation link of the outbox.
func confirm(t testing.TB, s *account.Service, addr string) {
	t.Helper()
	ctx := context.Background()
	mails, err := store.Outbox{DB: s.DB, Keep: true}.RecentMails(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To != addr {
			continue
		}
		for _, l := range mail.Links(m.Text) {
			if tok, ok := cutPrefix(l, "http://portal.test"+account.ConfirmPath+"?token="); ok {
				if _, err := s.Confirm(ctx, tok, "test"); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	}
	t.Fatalf("no confirmation mail to %s", addr)
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

func TestRegisterWritesAccountTokenMailAndAuditTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		if err := s.Register(ctx, "Neu@Example.de", "Zebra-Mond7!Wolke", "", false, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		a, err := s.DB.Q().AccountByEmail(ctx, "neu@example.de")
		if err != nil || a.Confirmed() || a.PasswordHash == "" {
			t.Fatalf("account: %+v %v", a, err)
		}
		n, _ := store.Outbox{DB: s.DB}.Depth(ctx)
		log, _ := s.DB.Q().AuditLog(ctx, store.AuditFilter{AccountID: a.ID})
		if n != 1 || len(log) != 1 || log[0].Event != pforte.EventRegistered || log[0].Client != "10.0.0.1" {
			t.Fatalf("outbox %d, audit %+v", n, log)
		}
		// A refused password writes nothing at all.
		err = s.Register(ctx, "zwei@example.de", "kurz", "", false, "10.0.0.1")
		if pforte.ErrorCode(err) != pforte.Policy {
			t.Fatalf("weak password: %v", err)
		}
		if _, err := s.DB.Q().AccountByEmail(ctx, "zwei@example.de"); err != store.ErrNotFound {
			t.Fatalf("refused registration left an account: %v", err)
		}
	})
}

func TestLoginOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		s.Register(ctx, "lena@example.de", "Zebra-Mond7!Wolke", "", false, "c")
		if _, err := s.Login(ctx, "lena@example.de", "Zebra-Mond7!Wolke", "c"); pforte.ErrorCode(err) != pforte.NotConfirmed {
			t.Fatalf("unconfirmed: %v", err)
		}
		if _, err := s.Login(ctx, "lena@example.de", "wrong", "c"); pforte.ErrorCode(err) != pforte.InvalidCredentials {
			t.Fatalf("unconfirmed, wrong password must not say not-confirmed: %v", err)
		}
		confirm(t, s, "lena@example.de")
		a, err := s.Login(ctx, " LENA@example.de ", "Zebra-Mond7!Wolke", "c")
		if err != nil || a.LastLoginAt.IsZero() {
			t.Fatalf("login: %v", err)
		}
		for _, c := range []struct{ email, pw string }{{"lena@example.de", "Zebra-Mond7!Wolk"}, {"nie@example.de", "x"}, {"kein-at", "x"}, {"", ""}} {
			if _, err := s.Login(ctx, c.email, c.pw, "c"); pforte.ErrorCode(err) != pforte.InvalidCredentials {
				t.Errorf("Login(%q): %v", c.email, err)
			}
		}
	})
}

func TestResetRefusesReuseAndEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		s.Register(ctx, "otto@example.de", "Zebra-Mond7!Wolke", "", false, "c")
		confirm(t, s, "otto@example.de")
		if err := s.RequestReset(ctx, "otto@example.de", "c"); err != nil {
			t.Fatal(err)
		}
		mails, _ := store.Outbox{DB: s.DB, Keep: true}.RecentMails(ctx, 1)
		tok, ok := "", false
		for _, l := range mail.Links(mails[0].Text) {
			if tok, ok = cutPrefix(l, "http://portal.test"+account.ResetPath+"?token="); ok {
				break
			}
		}
		if !ok {
			t.Fatal("no reset link")
		}
		_, err := s.Reset(ctx, tok, "Zebra-Mond7!Wolke", "", false, "c")
		var e *pforte.Error
		if pforte.ErrorCode(err) != pforte.Policy || !asErr(err, &e) || !slices.Equal(e.Rules, []string{"reused"}) {
			t.Fatalf("reuse: %v", err)
		}
		a, _ := s.DB.Q().AccountByEmail(ctx, "otto@example.de")
		now := time.Now()
		for _, h := range []string{"s1", "s2"} {
			if err := s.DB.Q().CreateSession(ctx, store.StoredSession{Hash: h, AccountID: a.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Reset(ctx, tok, "Tinten#Fisch42Blau", "Tinten#Fisch42Blau", true, "c"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.DB.Q().CountSessions(ctx, a.ID); n != 0 {
			t.Fatalf("%d sessions survived the reset", n)
		}
		if _, err := s.Reset(ctx, tok, "Noch-Ein-Neues-9x", "", false, "c"); pforte.ErrorCode(err) != pforte.TokenInvalid {
			t.Fatalf("second use: %v", err)
		}
	})
}

func asErr(err error, target **pforte.Error) bool {
	e, ok := err.(*pforte.Error)
	*target = e
	return ok
}

// BenchmarkLogin is a full successful login with the default argon2id
// parameters: throttle check, account lookup, hash, record, audit.
func BenchmarkLogin(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			url := storetest.SQLiteURL(b)
			if db == "postgres" {
				url = storetest.PostgresURL(b)
			}
			s, ctx := service(b, url, password.DefaultParams), context.Background()
			s.Register(ctx, "bench@example.de", "Zebra-Mond7!Wolke", "", false, "c")
			confirm(b, s, "bench@example.de")
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Login(ctx, "bench@example.de", "Zebra-Mond7!Wolke", "c"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// tokens lists the tokens of the links to path mailed to addr, oldest first.
func tokens(t testing.TB, s *account.Service, addr, path string) []string {
	t.Helper()
	mails, err := store.Outbox{DB: s.DB, Keep: true}.RecentMails(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range slices.Backward(mails) {
		if m.To != addr {
			continue
		}
		for _, l := range mail.Links(m.Text) {
			if tok, ok := cutPrefix(l, "http://portal.test"+path+"?token="); ok {
				out = append(out, tok)
			}
		}
	}
	return out
}

// Someone who registers an address first must not get into the account
// once its owner registers too and confirms: the confirmed account has
// the password of the registration whose link was used.
func TestRegistrationOfAnUnconfirmedAddressCannotBeTakenOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		const victim, attackerPW, victimPW = "opfer@example.de", "Angreifer#Pass1", "Zebra-Mond7!Wolke"
		if err := s.Register(ctx, victim, attackerPW, "", false, "6.6.6.6"); err != nil {
			t.Fatal(err)
		}
		if err := s.Register(ctx, victim, victimPW, "", false, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		links := tokens(t, s, victim, account.ConfirmPath)
		if len(links) != 2 {
			t.Fatalf("%d confirmation links, want 2", len(links))
		}
		// Before anyone confirms, the newest registration's password is
		// the one that is told "not confirmed".
		if _, err := s.Login(ctx, victim, victimPW, "c"); pforte.ErrorCode(err) != pforte.NotConfirmed {
			t.Fatalf("victim's password before confirming: %v", err)
		}
		if _, err := s.Confirm(ctx, links[1], "10.0.0.1"); err != nil {
			t.Fatalf("victim confirms own link: %v", err)
		}
		if _, err := s.Login(ctx, victim, attackerPW, "6.6.6.6"); pforte.ErrorCode(err) != pforte.InvalidCredentials {
			t.Fatalf("attacker's password after the victim confirmed: %v", err)
		}
		if _, err := s.Login(ctx, victim, victimPW, "10.0.0.1"); err != nil {
			t.Fatalf("victim's password: %v", err)
		}
		if _, err := s.Confirm(ctx, links[0], "6.6.6.6"); pforte.ErrorCode(err) != pforte.TokenInvalid {
			t.Fatalf("attacker's link: %v", err)
		}
		// Registering the confirmed address again changes nothing.
		if err := s.Register(ctx, victim, attackerPW, "", false, "6.6.6.6"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, victim, attackerPW, "6.6.6.6"); pforte.ErrorCode(err) != pforte.InvalidCredentials {
			t.Fatalf("password of a registration after the confirmation: %v", err)
		}
		if _, err := s.Login(ctx, victim, victimPW, "10.0.0.1"); err != nil {
			t.Fatalf("victim's password after a later registration: %v", err)
		}
	})
}

// Only the newest reset link works, and none once the password changed.
func TestResetLinksDieWithANewerLinkAndAPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		const addr = "rita@example.de"
		s.Register(ctx, addr, "Zebra-Mond7!Wolke", "", false, "c")
		confirm(t, s, addr)
		a, _ := s.DB.Q().AccountByEmail(ctx, addr)
		for range 2 {
			if err := s.RequestReset(ctx, addr, "c"); err != nil {
				t.Fatal(err)
			}
		}
		links := tokens(t, s, addr, account.ResetPath)
		if len(links) != 2 {
			t.Fatalf("%d reset links", len(links))
		}
		if _, err := s.Reset(ctx, links[0], "Tinten#Fisch42Blau", "", false, "c"); pforte.ErrorCode(err) != pforte.TokenInvalid {
			t.Fatalf("older reset link after a newer one: %v", err)
		}
		// A password change voids the open link: it must not undo the
		// change (nor end the session that made it).
		if err := s.ChangePassword(ctx, a.ID, "", "Zebra-Mond7!Wolke", "Tinten#Fisch42Blau", "", false, "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reset(ctx, links[1], "Noch-Ein-Neues-9x", "", false, "c"); pforte.ErrorCode(err) != pforte.TokenInvalid {
			t.Fatalf("reset link after a password change: %v", err)
		}
		if _, err := s.Login(ctx, addr, "Tinten#Fisch42Blau", "c"); err != nil {
			t.Fatalf("the changed password: %v", err)
		}
	})
}

// An address written with its domain in Punycode is the same address:
// one account.
func TestOneAccountPerAddressWhateverTheDomainsForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		s, ctx := service(t, url, cheap), context.Background()
		if err := s.Register(ctx, "x@bäckerei.de", "Zebra-Mond7!Wolke", "", false, "c"); err != nil {
			t.Fatal(err)
		}
		if err := s.Register(ctx, "x@xn--bckerei-5wa.de", "Tinten#Fisch42Blau", "", false, "c"); err != nil {
			t.Fatal(err)
		}
		a, err := s.DB.Q().AccountByEmail(ctx, "x@bäckerei.de")
		if err != nil {
			t.Fatal(err)
		}
		if n := events(t, s.DB, a.ID, pforte.EventRegisterExisting); n != 1 {
			t.Fatalf("the Punycode form made another account (%d register-existing)", n)
		}
		if _, err := s.DB.Q().AccountByEmail(ctx, "x@xn--bckerei-5wa.de"); err != store.ErrNotFound {
			t.Fatalf("account under the Punycode form: %v", err)
		}
		if err := s.Register(ctx, "x\u200b@bäckerei.de", "Tinten#Fisch42Blau", "", false, "c"); pforte.ErrorCode(err) != pforte.InvalidEmail {
			t.Fatalf("zero-width space: %v", err)
		}
	})
}

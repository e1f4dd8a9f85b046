package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pforte"
	"pforte/locale"
	"pforte/mail"
	"pforte/store"
	"pforte/store/storetest"
)

// An account keeps the language its member last used, and its mails go
// out in it through the outbox, language and all.
func TestAccountLanguageAndMailLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC()
		a := &pforte.Account{Email: "sprache@example.de", PasswordHash: "h", CreatedAt: now}
		must(t, db.Q().CreateAccount(ctx, a))
		if lang, err := db.Q().Language(ctx, a.ID); err != nil || lang != "de" {
			t.Fatalf("new account: %q %v", lang, err)
		}
		must(t, db.SetLanguage(ctx, a.ID, "en"))
		if lang, err := db.Q().Language(ctx, a.ID); err != nil || lang != "en" {
			t.Fatalf("after switching: %q %v", lang, err)
		}
		if err := db.SetLanguage(ctx, 999999, "en"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown account: %v", err)
		}
		if _, err := db.Q().Language(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown account: %v", err)
		}
		// A sign-in keeps its language: unchanged, or changed, never an
		// error (the account may be gone: nothing to keep).
		for _, lang := range []string{"en", "de", "de"} {
			must(t, db.Q().KeepLanguage(ctx, a.ID, lang))
			if got, err := db.Q().Language(ctx, a.ID); err != nil || got != lang {
				t.Fatalf("kept %q: %q %v", lang, got, err)
			}
		}
		must(t, db.Q().KeepLanguage(ctx, 999999, "en"))
		must(t, db.SetLanguage(ctx, a.ID, "en"))
		c := mail.Composer{BaseURL: "https://portal.example", Product: "Portal"}
		q := db.Q()
		m := q.MailIn(ctx, c, a.ID).Reset(a.Email, "https://portal.example/passwort-neu?token=x", time.Hour)
		if m.Language != "en" || m.Subject != "Set a new password – Portal" {
			t.Fatalf("mail in the account's language: %q %q", m.Language, m.Subject)
		}
		if m := q.MailIn(locale.WithLang(ctx, locale.English), c, 0).Reset("x@example.de", "l", time.Hour); m.Language != "en" {
			t.Errorf("no account: the request's language, got %q", m.Language)
		}
		if m := q.MailIn(ctx, c, 0).Reset("x@example.de", "l", time.Hour); m.Language != "de" {
			t.Errorf("no account, no request language: German, got %q", m.Language)
		}
		if _, err := q.Enqueue(ctx, a.ID, m, now); err != nil {
			t.Fatal(err)
		}
		got, ok, err := store.Outbox{DB: db}.Claim(ctx, now.Add(time.Second), time.Minute)
		if err != nil || !ok || got.Language != "en" {
			t.Fatalf("claimed: %+v %v %v", got.Language, ok, err)
		}
	})
}

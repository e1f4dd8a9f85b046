package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"pforte/store/storetest"
)

// TestBrowserPasskey adds a passkey and signs in with it in chromium,
// through our passkey.js, with the DevTools protocol's virtual
// authenticator standing in for a phone or a security key.
func TestBrowserPasskey(t *testing.T) {
	ctx := browser(t)
	dbURL := storetest.SQLiteURL(t)
	addr := freeAddr(t)
	origin := "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	p := startPortal(t, dbURL, map[string]string{"PFORTE_ADDR": addr, "PFORTE_BASE_URL": origin})
	step := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			DefaultBackupEligibility: true, DefaultBackupState: true}}); err != nil {
		t.Fatal(err)
	}

	email := "quirin@example.de"
	p.signUp(email, goodPW)
	step(chromedp.Navigate(origin+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	step(chromedp.Navigate(origin+"/konto/sicherheit"), chromedp.WaitVisible(chromedp.CSS(`[data-passkey-register]`)),
		chromedp.SendKeys(chromedp.CSS(`#current_password_passkey`), goodPW), chromedp.Click(chromedp.CSS(`[data-passkey-register]`)), chromedp.WaitVisible(chromedp.CSS(`li[data-passkey]`)))
	if got := eval[string](t, ctx, `document.querySelector("li[data-passkey]").textContent`); !strings.Contains(got, "Chrome") {
		t.Fatalf("passkey listed as %q", got)
	}

	// Signed out, the passkey alone signs in: no address, no password.
	step(chromedp.Click(chromedp.CSS(`header form[action="/abmelden"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-passkey-login]`)),
		chromedp.Click(chromedp.CSS(`[data-passkey-login]`)), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	if path := eval[string](t, ctx, `location.pathname`); path != "/konto" {
		t.Fatalf("after the passkey login: at %s", path)
	}

	// The whole credential is kept, with the flags the authenticator set.
	db := storetest.Open(t, dbURL)
	a, err := db.Q().AccountByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := db.Q().PasskeysOf(context.Background(), a.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("passkeys stored: %d, %v", len(keys), err)
	}
	for _, want := range []string{`"backupEligible":true`, `"backupState":true`, `"publicKey":`, `"signCount":`} {
		if !strings.Contains(keys[0].Credential, want) {
			t.Errorf("stored credential lacks %s: %s", want, keys[0].Credential)
		}
	}
	if keys[0].LastUsedAt.IsZero() {
		t.Error("the login did not record the passkey's use")
	}
}

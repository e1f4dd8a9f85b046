package main

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

func newOperatorKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// TestKeysReseal: a change of the operator's key. With the new key put
// first and the old one behind it, `pforte keys reseal` moves the app-code
// secrets and the signing key to the new key; the portal then runs with
// the new key alone, and a member's app codes and the services' key still
// work. Without the reseal the old key could not be dropped.
func TestKeysReseal(t *testing.T) {
	eachClockedPortal(t, map[string]string{"PFORTE_SECRET_KEY": newOperatorKey(t)}, func(t *testing.T, p *portal, clk *testClock) {
		const addr = "jana@example.de"
		old := p.env["PFORTE_SECRET_KEY"]
		p.signUp(addr, goodPW)
		secret, _ := enrol(t, p, p.login(addr, goodPW), clk, goodPW)
		jwks := p.get(p.newClient(), "/.well-known/openid-configuration")
		if jwks.Status != 200 {
			t.Fatalf("discovery: %d", jwks.Status)
		}

		p.stop()
		fresh := newOperatorKey(t)
		p.env["PFORTE_SECRET_KEY"] = fresh + "," + old
		out, errOut, err := p.cli("keys", "reseal")
		if err != nil || !strings.Contains(out, "1 Geheimnisse für App-Codes") || !strings.Contains(out, "1 Signaturschlüssel") {
			t.Fatalf("keys reseal: %v %q %s", err, out, errOut)
		}
		if out, _, _ := p.cli("keys", "reseal"); !strings.Contains(out, "0 Geheimnisse") || !strings.Contains(out, "0 Signaturschlüssel") {
			t.Fatalf("second reseal changed something: %q", out)
		}

		// The new key alone: the member signs in with an app code.
		p.env["PFORTE_SECRET_KEY"] = fresh
		p.start()
		b := p.newClient()
		if pg := p.post(b, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}); pg.Header.Get("Location") != "/anmelden/zweiter-faktor" {
			t.Fatalf("password step: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		clk.step()
		if pg := p.post(b, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}}); pg.Status != 303 || pg.Header.Get("Location") != "/konto" {
			t.Fatalf("code with the new key alone: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(p.newClient(), "/.well-known/openid-configuration"); pg.Status != 200 {
			t.Fatalf("discovery with the new key alone: %d", pg.Status)
		}
		if out, errOut, err := p.cli("keys", "rotate"); err != nil {
			t.Fatalf("keys rotate with the new key alone: %v %s %s", err, out, errOut)
		}
	})
}

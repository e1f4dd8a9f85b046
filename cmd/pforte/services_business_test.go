package main

import (
	"context"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// A service for businesses keeps no grant of an account whose last
// business link is gone: unlinking the second of two businesses (not the
// first) ends the service's tokens and sends it a back-channel logout,
// while a service for everyone keeps its own; a code obtained before the
// unlink is no longer exchanged.
func TestServiceForBusinessesEndsWithTheLastLink(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
			t.Fatalf("import: %v %s", err, errOut)
		}
		addr := "inhaber@example.de"
		p.signUp(addr, goodPW)
		biz := newRP(t, p, "betriebsdienst", "--require-business")
		all := newRP(t, p, "allgemein")
		c := p.login(addr, goodPW)
		link := func(number string) {
			t.Helper()
			if pg := p.post(c, "/betrieb/verknuepfen", url.Values{"business": {number}, "pin": {p.issuePIN(number)}}); pg.Status != 303 {
				t.Fatalf("link %s: %d %q", number, pg.Status, pg.Code())
			}
		}
		unlink := func(number string) {
			t.Helper()
			if pg := p.post(c, "/betrieb/"+number+"/trennen", nil); pg.Status != 200 {
				t.Fatalf("unlink %s: %d %q", number, pg.Status, pg.Code())
			}
		}
		link("4712")
		link("0815-4711")
		f, _ := biz.authorize(c)
		tok, idt := biz.exchange(f)
		sid := claimsOf(t, idt).SID
		f, _ = all.authorize(c)
		other, _ := all.exchange(f)

		// One link left: the grant goes on.
		unlink("4712")
		tok, err := biz.refresh(tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh with one business left: %v", err)
		}
		// None left: refused at once, for the service for businesses only.
		unlink("0815-4711")
		if _, err := biz.refresh(tok.RefreshToken); !isGrantError(err) {
			t.Fatalf("refresh without a business: %v", err)
		}
		if in := biz.introspect(tok.AccessToken, true); in["active"] != false {
			t.Fatalf("access token without a business: %v", in)
		}
		biz.waitLogout(sid)
		if _, err := all.refresh(other.RefreshToken); err != nil {
			t.Fatalf("the other service lost its grant: %v", err)
		}
		if pg := p.get(c, "/konto"); pg.Status != 200 {
			t.Fatalf("the Pforte session ended: %d", pg.Status)
		}

		// A code given while linked is not exchanged after the unlink.
		link("4712")
		f, _ = biz.authorize(c)
		if f.Callback == nil {
			t.Fatal("no code while linked")
		}
		unlink("4712")
		if _, err := biz.conf.Exchange(context.Background(), f.Callback.Query().Get("code"), oauth2.VerifierOption(f.verifier)); !isGrantError(err) {
			t.Fatalf("code exchanged after the last unlink: %v", err)
		}
	})
}

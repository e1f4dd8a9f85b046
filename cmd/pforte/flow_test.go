package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pforte/store"
	"pforte/store/storetest"
	"pforte/throttle"
)

const (
	goodPW  = "Zebra-Mond7!Wolke"
	otherPW = "Tinten#Fisch42Blau"
)

func TestRegisterConfirmLoginLogout(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		addr := "jörg.müller@bäckerei-beispiel.de"
		c := p.newClient()
		pg := p.post(c, "/registrieren", url.Values{"email": {addr}, "password": {goodPW}, "password_repeat": {goodPW}})
		if pg.Status != 200 || !strings.Contains(pg.Body, "Postfach") {
			t.Fatalf("register: %d %s", pg.Status, pg.Code())
		}
		// Not yet confirmed: the right password answers not-confirmed and
		// offers to send the mail again.
		pg = p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
		if pg.Status != 403 || pg.Code() != "not-confirmed" || !strings.Contains(pg.Body, "/registrieren/erneut-senden") {
			t.Fatalf("unconfirmed login: %d %q", pg.Status, pg.Code())
		}
		first := p.linkIn(addr, "/registrieren/bestaetigen")
		if pg := p.post(c, "/registrieren/erneut-senden", url.Values{"email": {addr}}); pg.Status != 200 {
			t.Fatalf("resend: %d", pg.Status)
		}
		waitFor(t, func() bool { return p.mailsTo(addr) == 2 })
		second := p.linkIn(addr, "/registrieren/bestaetigen")
		if first == second {
			t.Fatal("resend mailed the same link")
		}
		// The older link is void; opening a link (GET) uses nothing up.
		if pg := p.get(c, first); pg.Status != 410 || pg.Code() != "token-invalid" {
			t.Fatalf("old confirm link: %d %q", pg.Status, pg.Code())
		}
		form := p.get(c, second)
		form2 := p.get(c, second)
		if form.Status != 200 || form2.Status != 200 {
			t.Fatalf("confirm link opened twice: %d %d", form.Status, form2.Status)
		}
		token := hidden(form.Body, "token")
		if pg := p.post(c, "/registrieren/bestaetigen", url.Values{"token": {token}}); pg.Status != 200 {
			t.Fatalf("confirm: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(c, "/registrieren/bestaetigen", url.Values{"token": {token}}); pg.Status != 410 || pg.Code() != "token-invalid" {
			t.Fatalf("confirm replayed: %d %q", pg.Status, pg.Code())
		}

		// Login: a cookie set before is replaced by a new session id.
		pre := p.login(addr, goodPW)
		preID := sessionCookie(t, pre, p)
		pg = p.post(pre, "/anmelden", url.Values{"email": {strings.ToUpper(addr)}, "password": {goodPW}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/konto" {
			t.Fatalf("login: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		if id := sessionCookie(t, pre, p); id == preID || id == "" {
			t.Fatal("session id not renewed at login")
		}
		setCookie := pg.Header.Get("Set-Cookie")
		if !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Lax") || strings.Contains(setCookie, "Secure") {
			t.Fatalf("cookie flags: %s", setCookie)
		}
		old := p.newClient()
		setSession(old, p, preID)
		if pg := p.get(old, "/konto"); pg.Status != 303 {
			t.Fatalf("replaced session still works: %d", pg.Status)
		}
		konto := p.get(pre, "/konto")
		if konto.Status != 200 || !strings.Contains(konto.Body, addr) || !strings.Contains(konto.Body, "Letzte Anmeldung") ||
			!strings.Contains(konto.Body, `data-idle-seconds="600"`) {
			t.Fatalf("konto: %d", konto.Status)
		}

		// Logout ends the session on the server: its cookie opens nothing.
		id := sessionCookie(t, pre, p)
		if pg := p.post(pre, "/abmelden", nil); pg.Status != 303 {
			t.Fatalf("logout: %d", pg.Status)
		}
		replay := p.newClient()
		setSession(replay, p, id)
		pg = p.get(replay, "/konto")
		if pg.Status != 303 || !strings.HasPrefix(pg.Header.Get("Location"), "/anmelden") || strings.Contains(pg.Header.Get("Location"), "abgelaufen") {
			t.Fatalf("logged-out cookie: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		assertAudit(t, p, "registered", "confirm-resent", "confirmed", "login-succeeded", "logout")
	})
}

func TestRegistrationDoesNotTellWhoHasAnAccount(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("anna@example.de", goodPW)
		c := p.newClient()
		known := p.post(c, "/registrieren", url.Values{"email": {"Anna@Example.de"}, "password": {otherPW}, "password_repeat": {otherPW}})
		fresh := p.post(c, "/registrieren", url.Values{"email": {"berta@example.de"}, "password": {otherPW}, "password_repeat": {otherPW}})
		if known.Status != fresh.Status || stripAddr(known.Body, "Anna@Example.de") != stripAddr(fresh.Body, "berta@example.de") {
			t.Fatalf("answers differ: %d vs %d", known.Status, fresh.Status)
		}
		// The owner learns of it by mail, with a way to reset the password.
		p.linkIn("anna@example.de", "/passwort-vergessen")
		// The account is untouched: the old password still works, the new one not.
		p.login("anna@example.de", goodPW)
		if pg := p.post(c, "/anmelden", url.Values{"email": {"anna@example.de"}, "password": {otherPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("password of second registration works: %q", pg.Code())
		}
	})
}

func stripAddr(body, addr string) string { return strings.ReplaceAll(body, addr, "") }

func TestLoginErrors(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("carl@example.de", goodPW)
		c := p.newClient()
		wrong := p.post(c, "/anmelden", url.Values{"email": {"carl@example.de"}, "password": {"Falsch-Passwort1"}})
		unknown := p.post(c, "/anmelden", url.Values{"email": {"niemand@example.de"}, "password": {"Falsch-Passwort1"}})
		for _, pg := range []page{wrong, unknown} {
			if pg.Status != 401 || pg.Code() != "invalid-credentials" || !strings.Contains(pg.Body, `href="/hilfe#fehler-invalid-credentials"`) {
				t.Fatalf("wrong login: %d %q", pg.Status, pg.Code())
			}
		}
		if stripAddr(wrong.Body, "carl@example.de") != stripAddr(unknown.Body, "niemand@example.de") {
			t.Fatal("wrong password and unknown address answer differently")
		}
		// A safe next is followed, a foreign one ignored.
		for next, want := range map[string]string{"/konto/passwort": "/konto/passwort", "//evil.example/x": "/konto",
			"https://evil.example": "/konto", "/\\evil.example": "/konto"} {
			pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {"carl@example.de"}, "password": {goodPW}, "next": {next}})
			if pg.Status != 303 || pg.Header.Get("Location") != want {
				t.Errorf("next=%q: %d %q, want %q", next, pg.Status, pg.Header.Get("Location"), want)
			}
		}
		// Protected pages send the way back to the login page.
		pg := p.get(p.newClient(), "/konto/passwort")
		if pg.Status != 303 || pg.Header.Get("Location") != "/anmelden?next=%2Fkonto%2Fpasswort" {
			t.Fatalf("protected page: %d %s", pg.Status, pg.Header.Get("Location"))
		}
	})
}

func TestPerAccountThrottling(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("dora@example.de", goodPW)
		for _, addr := range []string{"dora@example.de", "nobody@example.de"} {
			c := p.newClient()
			for i := 0; i < 5; i++ {
				if pg := p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {"Falsch-Passwort1"}}); pg.Status != 401 {
					t.Fatalf("%s attempt %d: %d", addr, i, pg.Status)
				}
			}
			pg := p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
			if pg.Status != 429 || pg.Code() != "throttled" || pg.Header.Get("Retry-After") == "" {
				t.Fatalf("%s after 5 failures: %d %q retry=%q", addr, pg.Status, pg.Code(), pg.Header.Get("Retry-After"))
			}
		}
		assertAudit(t, p, "throttled", "login-failed")
	})
}

func TestPerClientRateLimits(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_RATE_LIMITS": "on"}, func(t *testing.T, p *portal) {
		c := p.newClient()
		var last page
		for i := 0; i <= throttle.ClientReset.Max; i++ {
			last = p.post(c, "/passwort-vergessen", url.Values{"email": {"x@example.de"}})
		}
		if last.Status != 429 || last.Code() != "throttled" || last.Header.Get("Retry-After") == "" {
			t.Fatalf("reset request %d: %d %q", throttle.ClientReset.Max+1, last.Status, last.Code())
		}
		p.signUp("viel@example.de", goodPW) // the 1st registration of this client
		// Registrations count once they pass validation: refused ones do not.
		for i := 0; i < 2*throttle.ClientRegister.Max; i++ {
			p.post(c, "/registrieren", url.Values{"email": {fmt.Sprintf("r%d@example.de", i)}, "password": {"kurz"}})
		}
		for i := 1; i < throttle.ClientRegister.Max; i++ {
			if pg := p.post(c, "/registrieren", url.Values{"email": {fmt.Sprintf("ok%d@example.de", i)}, "password": {goodPW}}); pg.Status != 200 {
				t.Fatalf("registration %d: %d %q", i+1, pg.Status, pg.Code())
			}
		}
		if pg := p.post(c, "/registrieren", url.Values{"email": {"zuviel@example.de"}, "password": {goodPW}}); pg.Status != 429 || pg.Code() != "throttled" {
			t.Fatalf("registration %d: %d %q", throttle.ClientRegister.Max+1, pg.Status, pg.Code())
		}
		// Successful logins do not count against the client; failures do.
		for i := 0; i < throttle.ClientLoginFailures.Max+10; i++ {
			p.login("viel@example.de", goodPW)
		}
		for i := 0; i < throttle.ClientLoginFailures.Max; i++ {
			p.post(c, "/anmelden", url.Values{"email": {fmt.Sprintf("n%d@example.de", i)}, "password": {"Falsch-Passwort1"}})
		}
		if pg := p.post(c, "/anmelden", url.Values{"email": {"viel@example.de"}, "password": {goodPW}}); pg.Status != 429 || pg.Code() != "throttled" {
			t.Fatalf("after %d failures from one client: %d %q", throttle.ClientLoginFailures.Max, pg.Status, pg.Code())
		}
	})
}

func TestPasswordPolicyOnRegistration(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		c := p.newClient()
		cases := []struct {
			pw    string
			rules []string
		}{
			{"kurz", []string{"min-length", "upper", "digit", "special"}},
			{"alles-klein-und-lang-1", []string{"upper"}},
			{"Password123!", []string{"common"}},
			{"Emil.Schmidt#2026", []string{"context"}},
			{strings.Repeat("Aa1!", 33), []string{"max-length"}},
		}
		for _, cs := range cases {
			pg := p.post(c, "/registrieren", url.Values{"email": {"emil.schmidt@example.de"}, "password": {cs.pw}, "password_repeat": {cs.pw}})
			if pg.Status != 422 || pg.Code() != "policy" || !slices.Equal(pg.Rules(), cs.rules) {
				t.Errorf("%q: %d %q %v, want policy %v", cs.pw, pg.Status, pg.Code(), pg.Rules(), cs.rules)
			}
		}
		pg := p.post(c, "/registrieren", url.Values{"email": {"emil@example.de"}, "password": {goodPW}, "password_repeat": {goodPW + "x"}})
		if pg.Status != 422 || !slices.Contains(pg.Rules(), "repeat") {
			t.Errorf("repeat mismatch: %d %v", pg.Status, pg.Rules())
		}
		for _, bad := range []string{"keine-adresse", "<script>alert(1)</script>@x.de", "a@b", "x'; DROP TABLE accounts;--"} {
			pg := p.post(c, "/registrieren", url.Values{"email": {bad}, "password": {goodPW}})
			if pg.Status != 422 || pg.Code() != "invalid-email" || strings.Contains(pg.Body, "<script>alert") {
				t.Errorf("email %q: %d %q", bad, pg.Status, pg.Code())
			}
		}
		if p.mailsTo("emil.schmidt@example.de") != 0 {
			t.Fatal("refused registration sent a mail")
		}
		// Still alive and the tables intact after the injection attempts.
		p.signUp("emil@example.de", goodPW)
	})
}

func TestPasswordResetFlow(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("frieda@example.de", goodPW)
		other := p.login("frieda@example.de", goodPW)
		c := p.newClient()
		known := p.post(c, "/passwort-vergessen", url.Values{"email": {"frieda@example.de"}})
		unknown := p.post(c, "/passwort-vergessen", url.Values{"email": {"gibtsnicht@example.de"}})
		if known.Status != 200 || unknown.Status != 200 || stripAddr(known.Body, "frieda@example.de") != stripAddr(unknown.Body, "gibtsnicht@example.de") {
			t.Fatalf("forgot answers differ: %d %d", known.Status, unknown.Status)
		}
		link := p.linkIn("frieda@example.de", "/passwort-neu")
		if p.mailsTo("gibtsnicht@example.de") != 0 {
			t.Fatal("mail to unknown address")
		}
		// Opening the link (a mail scanner would) uses nothing up.
		for range 2 {
			if pg := p.get(c, link); pg.Status != 200 || !strings.Contains(pg.Body, `name="password"`) {
				t.Fatalf("reset form: %d %q", pg.Status, pg.Code())
			}
		}
		token := hidden(p.get(c, link).Body, "token")
		if len(token) < 43 {
			t.Fatalf("token %q shorter than 256 bits", token)
		}
		pg := p.post(c, "/passwort-neu", url.Values{"token": {token}, "password": {goodPW}, "password_repeat": {goodPW}})
		if pg.Status != 422 || !slices.Equal(pg.Rules(), []string{"reused"}) {
			t.Fatalf("reuse: %d %v", pg.Status, pg.Rules())
		}
		pg = p.post(c, "/passwort-neu", url.Values{"token": {token}, "password": {"schwach"}, "password_repeat": {"schwach"}})
		if pg.Status != 422 || pg.Code() != "policy" {
			t.Fatalf("weak: %d %q", pg.Status, pg.Code())
		}
		pg = p.post(c, "/passwort-neu", url.Values{"token": {token}, "password": {otherPW}, "password_repeat": {otherPW}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/anmelden?passwort=neu" {
			t.Fatalf("reset: %d %q %s", pg.Status, pg.Code(), pg.Header.Get("Location"))
		}
		if pg := p.post(c, "/passwort-neu", url.Values{"token": {token}, "password": {"Noch-Ein-Neues-9"}, "password_repeat": {"Noch-Ein-Neues-9"}}); pg.Status != 410 || pg.Code() != "token-invalid" {
			t.Fatalf("replayed reset: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(other, "/konto"); pg.Status != 303 {
			t.Fatalf("other session survived the reset: %d", pg.Status)
		}
		waitFor(t, func() bool {
			for _, m := range p.SMTP.Messages() {
				if m.To == "frieda@example.de" && strings.Contains(m.Subject, "geändert") {
					return true
				}
			}
			return false
		})
		if pg := p.post(c, "/anmelden", url.Values{"email": {"frieda@example.de"}, "password": {goodPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("old password still works: %q", pg.Code())
		}
		p.login("frieda@example.de", otherPW)
		for _, forged := range []string{"", "abc", strings.Repeat("A", 43), strings.Repeat("x", 5000), "%ff%fe"} {
			pg := p.post(c, "/passwort-neu", url.Values{"token": {forged}, "password": {otherPW + "1"}, "password_repeat": {otherPW + "1"}})
			if forged == strings.Repeat("x", 5000) {
				if pg.Status != 400 {
					t.Errorf("oversized token: %d", pg.Status)
				}
				continue
			}
			if pg.Status != 410 || pg.Code() != "token-invalid" {
				t.Errorf("forged token %.10q: %d %q", forged, pg.Status, pg.Code())
			}
		}
		assertAudit(t, p, "reset-requested", "reset-done")
	})
}

func TestResetLinkExpires(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_RESET_TOKEN_TTL": "1s"}, func(t *testing.T, p *portal) {
		p.signUp("gerd@example.de", goodPW)
		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {"gerd@example.de"}})
		link := p.linkIn("gerd@example.de", "/passwort-neu")
		time.Sleep(1100 * time.Millisecond)
		if pg := p.get(p.newClient(), link); pg.Status != 410 || pg.Code() != "token-invalid" {
			t.Fatalf("expired link: %d %q", pg.Status, pg.Code())
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_SESSION_IDLE": "1500ms"}, func(t *testing.T, p *portal) {
		p.signUp("hanna@example.de", goodPW)
		c := p.login("hanna@example.de", goodPW)
		// Activity keeps the session alive (sliding) ...
		for range 3 {
			time.Sleep(700 * time.Millisecond)
			if pg := p.get(c, "/konto"); pg.Status != 200 {
				t.Fatalf("active session ended: %d", pg.Status)
			}
		}
		// ... idleness ends it, and the login page says why.
		time.Sleep(1600 * time.Millisecond)
		pg := p.get(c, "/konto")
		loc := pg.Header.Get("Location")
		if pg.Status != 303 || !strings.HasPrefix(loc, "/anmelden?abgelaufen=1") {
			t.Fatalf("after idle: %d %s", pg.Status, loc)
		}
		pg = p.get(c, loc)
		if pg.Status != 200 || pg.Code() != "session-expired" {
			t.Fatalf("login page after timeout: %d %q", pg.Status, pg.Code())
		}
	})
}

func TestChangePassword(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("ida@example.de", goodPW)
		c := p.login("ida@example.de", goodPW)
		other := p.login("ida@example.de", goodPW)
		pg := p.post(c, "/konto/passwort", url.Values{"current_password": {"falsch"}, "password": {otherPW}, "password_repeat": {otherPW}})
		if pg.Status != 401 || pg.Code() != "invalid-credentials" {
			t.Fatalf("wrong current: %d %q", pg.Status, pg.Code())
		}
		pg = p.post(c, "/konto/passwort", url.Values{"current_password": {goodPW}, "password": {goodPW}, "password_repeat": {goodPW}})
		if pg.Status != 422 || !slices.Contains(pg.Rules(), "reused") {
			t.Fatalf("reuse: %d %v", pg.Status, pg.Rules())
		}
		// Without the repeat field (the contract's minimal form) it works too.
		pg = p.post(c, "/konto/passwort", url.Values{"current_password": {goodPW}, "password": {otherPW}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/konto?hinweis=passwort-geaendert" {
			t.Fatalf("change: %d %q %s", pg.Status, pg.Code(), pg.Header.Get("Location"))
		}
		if pg := p.get(c, pg.Header.Get("Location")); pg.Status != 200 || !strings.Contains(pg.Body, "Passwort wurde geändert") {
			t.Fatalf("account page after change: %d", pg.Status)
		}
		if pg := p.get(c, "/konto"); pg.Status != 200 {
			t.Fatalf("own session ended: %d", pg.Status)
		}
		if pg := p.get(other, "/konto"); pg.Status != 303 {
			t.Fatalf("other session survived: %d", pg.Status)
		}
		p.login("ida@example.de", otherPW)
		assertAudit(t, p, "password-changed")
	})
}

func TestBadInputAndHeaders(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		c := p.newClient()
		big := url.Values{"email": {strings.Repeat("a", 70<<10)}, "password": {"x"}}
		if pg := p.post(c, "/anmelden", big); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("oversized body: %d %q", pg.Status, pg.Code())
		}
		req, _ := http.NewRequest("POST", p.URL+"/anmelden", strings.NewReader("email=%ff%fe@x.de&password=abc"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if pg := p.do(c, req); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("invalid UTF-8: %d %q", pg.Status, pg.Code())
		}
		req, _ = http.NewRequest("POST", p.URL+"/anmelden", strings.NewReader("email=%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if pg := p.do(c, req); pg.Status != 400 {
			t.Fatalf("malformed form: %d", pg.Status)
		}
		// Cross-origin POSTs are refused.
		req, _ = http.NewRequest("POST", p.URL+"/anmelden", strings.NewReader("email=a@example.de&password=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if pg := p.do(c, req); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("cross-origin POST: %d %q", pg.Status, pg.Code())
		}
		// The public URL's origin counts as this site even if the Host differs (proxy).
		req, _ = http.NewRequest("POST", p.URL+"/passwort-vergessen", strings.NewReader("email=a@example.de"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.env["PFORTE_BASE_URL"])
		req.Host = "pforte.internal:8080"
		if pg := p.do(c, req); pg.Status != 200 {
			t.Fatalf("POST from the public origin through a proxy: %d %q", pg.Status, pg.Code())
		}
		// HTML in a field comes back escaped.
		pg := p.post(c, "/anmelden", url.Values{"email": {`"><script>alert(1)</script>`}, "password": {"x"}})
		if strings.Contains(pg.Body, "<script>alert(1)") || !strings.Contains(pg.Body, "&lt;script&gt;") {
			t.Fatal("HTML not escaped")
		}
		pg = p.get(c, "/anmelden")
		for h, want := range map[string]string{"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if !strings.Contains(pg.Header.Get(h), want) {
				t.Errorf("%s: %q", h, pg.Header.Get(h))
			}
		}
		// A page goes out whole, with its length ahead (not in chunks).
		if pg.Header.Get("Content-Length") != strconv.Itoa(len(pg.Body)) {
			t.Errorf("Content-Length %q for %d bytes", pg.Header.Get("Content-Length"), len(pg.Body))
		}
		// JSON data blocks (the page scripts' texts, the policy) are data, not script.
		code := regexp.MustCompile(`(?s)<script type="application/json"[^>]*>.*?</script>`).ReplaceAllString(pg.Body, "")
		if !strings.Contains(pg.Body, `id="pforte-texts"`) || strings.Contains(code, "<script>") || regexp.MustCompile(`<script(?: [^>]*)?>[^<]`).MatchString(code) {
			t.Error("inline script on a page")
		}
		if pg := p.get(c, "/healthz"); pg.Status != 200 {
			t.Fatalf("healthz: %d", pg.Status)
		}
		if pg := p.get(c, "/metrics"); pg.Status != 200 || !strings.Contains(pg.Body, "pforte_logins_total") ||
			!strings.Contains(pg.Body, "pforte_mail_queue_depth") || !strings.Contains(pg.Body, "pforte_http_request_duration_seconds") {
			t.Fatalf("metrics: %d", pg.Status)
		}
		if pg := p.get(c, "/gibt-es-nicht"); pg.Status != 404 {
			t.Fatalf("unknown page: %d", pg.Status)
		}
	})
}

func TestHelpAndGuide(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), map[string]string{"PFORTE_CONTACT_EMAIL": "kundenlogin@hwk-beispiel.de"})
	c := p.newClient()
	pg := p.get(c, "/hilfe")
	for _, want := range []string{"kundenlogin@hwk-beispiel.de", "10 Minuten", "!", "Mindestens 12 Zeichen", `id="fehler-invalid-credentials"`,
		`id="fehler-forbidden"`, `id="fehler-session-expired"`, `id="fehler-pin-locked"`, "Keine Zugriffsberechtigung", "/hilfe/anleitung.pdf"} {
		if !strings.Contains(pg.Body, want) {
			t.Errorf("/hilfe lacks %q", want)
		}
	}
	// Real questions, no machine codes, no jargon.
	for _, want := range []string{"Ich kann mich trotz neuem Passwort nicht anmelden", "Wo finde ich meine Betriebsnummer?", "Der PIN-Brief ist nicht angekommen"} {
		if !strings.Contains(pg.Body, want) {
			t.Errorf("/hilfe lacks the question %q", want)
		}
	}
	for _, code := range []string{">invalid-credentials<", ">pin-invalid<", ">internal<", "Bytes", "Sitzungen"} {
		if strings.Contains(pg.Body, code) {
			t.Errorf("/hilfe shows %q", code)
		}
	}
	pg = p.get(c, "/hilfe/anleitung.pdf")
	if pg.Status != 200 || pg.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pg.Body, "%PDF-") {
		t.Fatalf("guide: %d %s", pg.Status, pg.Header.Get("Content-Type"))
	}
	// The HTML guide: every step with its picture, each served as PNG.
	pg = p.get(c, "/hilfe/anleitung")
	pictures := regexp.MustCompile(`<img src="(/hilfe/anleitung/de/[a-z-]+\.png)" alt="([^"]+)"`).FindAllStringSubmatch(pg.Body, -1)
	if pg.Status != 200 || len(pictures) < 8 {
		t.Fatalf("html guide: %d, %d pictures", pg.Status, len(pictures))
	}
	for _, m := range pictures {
		if img := p.get(c, m[1]); img.Status != 200 || img.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.Body, "\x89PNG") {
			t.Errorf("%s: %d %s", m[1], img.Status, img.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/hilfe/anleitung/de/gibt-es-nicht.png", "/hilfe/anleitung/fr/anmelden.png", "/hilfe/anleitung/de/anmelden"} {
		if pg := p.get(c, path); pg.Status != 404 {
			t.Errorf("%s: %d", path, pg.Status)
		}
	}
	// In English, the pictures show the English pages.
	pg = p.get(c, "/hilfe/anleitung?lang=en")
	pictures = regexp.MustCompile(`<img src="(/hilfe/anleitung/en/[a-z-]+\.png)"`).FindAllStringSubmatch(pg.Body, -1)
	if len(pictures) < 8 {
		t.Fatalf("English guide: %d pictures", len(pictures))
	}
	for _, m := range pictures {
		if img := p.get(c, m[1]); img.Status != 200 || !strings.HasPrefix(img.Body, "\x89PNG") {
			t.Errorf("%s: %d", m[1], img.Status)
		}
	}
}

// TestLegalPagesAndChamber: the three legal pages, linked from every
// page's footer, filled from the chamber's settings or the operator's
// Markdown; the registration form links the privacy notice; the colour
// and logo come from configuration.
func TestLegalPagesAndChamber(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "impressum.md"), []byte("# Impressum\n\nDie **Handwerkskammer Beispielstadt**.\n\n<script>alert(1)</script>\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "datenschutz.md"), []byte("# Datenschutz\n\nDie Kammer schützt Ihre Daten.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "datenschutz.en.md"), []byte("# Privacy\n\nThe chamber protects your data.\n"), 0o644)
	logo := filepath.Join(t.TempDir(), "logo.svg")
	os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`), 0o644)
	p := startPortal(t, storetest.SQLiteURL(t), map[string]string{"PFORTE_LEGAL_DIR": dir, "PFORTE_CHAMBER_NAME": "Handwerkskammer Beispielstadt",
		"PFORTE_CHAMBER_REPRESENTATIVE": "Präsident Max Beispiel", "PFORTE_CHAMBER_COLOUR": "#7a1f2b", "PFORTE_LOGO": logo})
	c := p.newClient()
	imp := p.get(c, "/impressum")
	if imp.Status != 200 || !strings.Contains(imp.Body, "<strong>Handwerkskammer Beispielstadt</strong>") || strings.Contains(imp.Body, "alert(1)") ||
		strings.Contains(imp.Body, "legal-sample") {
		t.Fatalf("operator's impressum: %d\n%s", imp.Status, imp.Body)
	}
	if pg := p.get(c, "/barrierefreiheit"); pg.Status != 200 || !strings.Contains(pg.Body, "legal-sample") || !strings.Contains(pg.Body, "Handwerkskammer Beispielstadt") ||
		!strings.Contains(pg.Body, "<code>barrierefreiheit.md</code>") {
		t.Errorf("/barrierefreiheit sample: %d", pg.Status)
	}
	// In English: the operator's English text; the German one, marked as
	// German, where there is no English file; the English sample else.
	en := p.newClient()
	if pg := p.get(en, "/datenschutz?lang=en"); !strings.Contains(pg.Body, "<h1>Privacy</h1>") || !strings.Contains(pg.Body, "The chamber protects your data.") ||
		strings.Contains(pg.Body, "Die Kammer") || strings.Contains(pg.Body, "legal-sample") {
		t.Errorf("operator's English privacy notice:\n%s", pg.Body)
	}
	if pg := p.get(en, "/impressum"); !strings.Contains(pg.Body, `<html lang="en">`) || !strings.Contains(pg.Body, "<h1>Legal notice</h1>") ||
		!strings.Contains(pg.Body, `<p class="notice">The chamber provides this text in German only.</p>`) ||
		!strings.Contains(pg.Body, `<div class="legal" lang="de"><p>Die <strong>Handwerkskammer Beispielstadt</strong>.</p>`) {
		t.Errorf("German-only impressum in English:\n%s", pg.Body)
	}
	if pg := p.get(en, "/barrierefreiheit"); !strings.Contains(pg.Body, "<h1>Accessibility statement</h1>") || !strings.Contains(pg.Body, "<strong>Sample:</strong>") ||
		!strings.Contains(pg.Body, "<code>barrierefreiheit.en.md</code>") || !strings.Contains(pg.Body, "The Handwerkskammer Beispielstadt endeavours") {
		t.Errorf("English accessibility sample:\n%s", pg.Body)
	}
	for _, path := range []string{"/", "/anmelden", "/hilfe", "/gibt-es-nicht"} {
		pg := p.get(c, path)
		for _, link := range []string{`href="/impressum"`, `href="/datenschutz"`, `href="/barrierefreiheit"`, `src="/static/kammer-logo"`} {
			if !strings.Contains(pg.Body, link) {
				t.Errorf("%s lacks %s", path, link)
			}
		}
	}
	if pg := p.get(c, "/registrieren"); !strings.Contains(pg.Body[strings.Index(pg.Body, `action="/registrieren"`):], `href="/datenschutz"`) {
		t.Error("the registration form does not link the privacy notice")
	}
	if css := p.get(c, "/static/kammer.css"); css.Status != 200 || !strings.Contains(css.Body, "--accent: #7a1f2b") {
		t.Errorf("kammer.css: %d %q", css.Status, css.Body)
	}
	if l := p.get(c, "/static/kammer-logo"); l.Status != 200 || l.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(l.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("logo: %d %s %s", l.Status, l.Header.Get("Content-Type"), l.Header.Get("Content-Security-Policy"))
	}
}

func TestSecureCookieUnderHTTPS(t *testing.T) {
	addr := freeAddr(t)
	p := startPortal(t, storetest.SQLiteURL(t), map[string]string{"PFORTE_ADDR": addr, "PFORTE_BASE_URL": "https://portal.example"})
	p.signUp("jan@example.de", goodPW)
	c := p.newClient()
	pg := p.post(c, "/anmelden", url.Values{"email": {"jan@example.de"}, "password": {goodPW}})
	sc := pg.Header.Get("Set-Cookie")
	if pg.Status != 303 || !strings.Contains(sc, "Secure") || !strings.HasPrefix(sc, "__Host-") {
		t.Fatalf("https cookie: %d %s", pg.Status, sc)
	}
	if !strings.Contains(p.get(c, "/anmelden").Header.Get("Strict-Transport-Security"), "max-age") {
		t.Error("no HSTS under https")
	}
}

func TestBadConfigurationStopsStartup(t *testing.T) {
	for name, val := range map[string]string{"PFORTE_SESSION_IDLE": "zehn", "PFORTE_DATABASE": "mysql://x", "PFORTE_RATE_LIMITS": "vielleicht"} {
		env := testEnv(storetest.SQLiteURL(t), "", freeAddr(t))
		env[name] = val
		err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &syncBuffer{}, &syncBuffer{})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
	if err := run(context.Background(), []string{"nonsense"}, func(string) string { return "" }, nil, &syncBuffer{}, &syncBuffer{}); exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
}

func TestMailSurvivesOutageAndRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		p := startPortal(t, dbURL, map[string]string{"PFORTE_MAIL_RETRY": "200ms"})
		p.SMTP.SetFailing(true)
		p.post(p.newClient(), "/registrieren", url.Values{"email": {"kai@example.de"}, "password": {goodPW}, "password_repeat": {goodPW}})
		time.Sleep(300 * time.Millisecond)
		p.stop() // the mail waits in the outbox
		if p.mailsTo("kai@example.de") != 0 {
			t.Fatal("mail delivered while the server refused")
		}
		p.SMTP.SetFailing(false)
		p.start()
		p.linkIn("kai@example.de", "/registrieren/bestaetigen")
		time.Sleep(500 * time.Millisecond)
		if n := p.mailsTo("kai@example.de"); n != 1 {
			t.Fatalf("mail delivered %d times", n)
		}
	})
}

func TestDevelopmentMail(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_SMTP_URL": "", "PFORTE_LOG_LEVEL": "info"}, developmentMail)
}

func developmentMail(t *testing.T, p *portal) {
	c := p.newClient()
	p.post(c, "/registrieren", url.Values{"email": {"lea@example.de"}, "password": {goodPW}, "password_repeat": {goodPW}})
	waitFor(t, func() bool { return strings.Contains(p.stderr.String(), "/registrieren/bestaetigen?token=") })
	pg := p.get(c, "/entwicklung/post")
	if pg.Status != 200 || !strings.Contains(pg.Body, "lea@example.de") || !strings.Contains(pg.Body, "/registrieren/bestaetigen?token=") {
		t.Fatalf("dev outbox: %d", pg.Status)
	}
	if !strings.Contains(pg.Body, "<h1>Postausgang (Entwicklung)</h1>") || !strings.Contains(pg.Body, "An: lea@example.de") {
		t.Errorf("German dev outbox:\n%s", pg.Body)
	}
	if pg := p.get(c, "/entwicklung/post?lang=en"); !strings.Contains(pg.Body, "<h1>Outbox (development)</h1>") || !strings.Contains(pg.Body, "To: lea@example.de · created ") ||
		!strings.Contains(pg.Body, "<summary>Text of the mail</summary>") {
		t.Errorf("English dev outbox:\n%s", pg.Body)
	}
	if p.mailsTo("lea@example.de") != 0 {
		t.Fatal("development mail went out over SMTP")
	}
}

func TestOutdatedHashUpgradedAtLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		p := startPortal(t, dbURL, nil)
		p.signUp("max@example.de", goodPW)
		p.stop()
		p.env["PFORTE_ARGON2"] = "m=9216,t=1,p=1"
		p.start()
		p.login("max@example.de", goodPW)
		db, err := store.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		a, err := db.Q().AccountByEmail(context.Background(), "max@example.de")
		if err != nil || !strings.Contains(a.PasswordHash, "$m=9216,t=1,p=1$") {
			t.Fatalf("hash not upgraded: %v %.40s", err, a.PasswordHash)
		}
		p.login("max@example.de", goodPW)
	})
}

// helpers

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sessionCookie(t *testing.T, c *http.Client, p *portal) string {
	u, _ := url.Parse(p.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "pforte_session") {
			return ck.Value
		}
	}
	return ""
}

func setSession(c *http.Client, p *portal, id string) {
	u, _ := url.Parse(p.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "pforte_session", Value: id, Path: "/"}})
}

// assertAudit checks that each event appears in the audit log and that no
// entry holds a password or a token.
func assertAudit(t *testing.T, p *portal, events ...string) {
	t.Helper()
	db, err := store.Open(context.Background(), p.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log, err := db.Q().AuditLog(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		seen[string(e.Event)] = true
		if strings.Contains(e.Detail, goodPW) || strings.Contains(e.Detail, otherPW) || strings.Contains(e.Detail, "token") {
			t.Errorf("audit entry holds a secret: %+v", e)
		}
		if e.Client == "" && e.Event != "session-expired" {
			t.Errorf("audit entry without client: %+v", e)
		}
	}
	for _, ev := range events {
		if !seen[ev] {
			t.Errorf("audit log lacks %q (has %v)", ev, seen)
		}
	}
	if strings.Contains(p.stderr.String(), goodPW) || strings.Contains(p.stderr.String(), otherPW) {
		t.Error("a password reached the log")
	}
}

// A client may post straight to a mailed link (its token in the query)
// instead of submitting the form the link's page shows.
func TestLinksPostedDirectly(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) { linksPostedDirectly(t, p) })
}

func linksPostedDirectly(t *testing.T, p *portal) {
	c := p.newClient()
	p.post(c, "/registrieren", url.Values{"email": {"direkt@example.de"}, "password": {goodPW}})
	if pg := p.post(c, p.linkIn("direkt@example.de", "/registrieren/bestaetigen"), nil); pg.Status != 200 {
		t.Fatalf("confirm by POST to the link: %d %q", pg.Status, pg.Code())
	}
	p.post(c, "/passwort-vergessen", url.Values{"email": {"direkt@example.de"}})
	link := p.linkIn("direkt@example.de", "/passwort-neu")
	if pg := p.post(c, link, url.Values{"password": {otherPW}}); pg.Status != 303 {
		t.Fatalf("reset by POST to the link: %d %q", pg.Status, pg.Code())
	}
	if pg := p.post(c, link, url.Values{"password": {"Noch-Ein-Neues-9x"}}); pg.Status != 410 {
		t.Fatalf("link used twice: %d", pg.Status)
	}
	p.login("direkt@example.de", otherPW)
}

// TestNoSecretsInLogsOrAudit runs the flows that handle secrets with the
// most verbose logging and looks for every password and every mailed
// token in the log and in each column of the audit table.
func TestNoSecretsInLogsOrAudit(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_LOG_LEVEL": "debug"}, func(t *testing.T, p *portal) {
		p.signUp("geheim@example.de", goodPW)
		c := p.login("geheim@example.de", goodPW)
		p.post(c, "/konto/passwort", url.Values{"current_password": {goodPW}, "password": {otherPW}})
		p.post(p.newClient(), "/anmelden", url.Values{"email": {"geheim@example.de"}, "password": {"Falsch-Passwort1"}})
		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {"geheim@example.de"}})
		reset := p.linkIn("geheim@example.de", "/passwort-neu")
		p.post(p.newClient(), reset, url.Values{"password": {"Dritte-Wahl#2026x"}})
		confirm := p.linkIn("geheim@example.de", "/registrieren/bestaetigen")
		secrets := []string{goodPW, otherPW, "Dritte-Wahl#2026x", "Falsch-Passwort1"}
		for _, link := range []string{reset, confirm} {
			u, _ := url.Parse(link)
			secrets = append(secrets, u.Query().Get("token"))
		}
		if !strings.Contains(p.stderr.String(), `"route":"POST /anmelden"`) {
			t.Fatal("debug log did not record the requests: the check below would prove nothing")
		}
		db, err := store.Open(context.Background(), p.DBURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		entries, err := db.Q().AuditLog(context.Background(), store.AuditFilter{})
		if err != nil || len(entries) < 5 {
			t.Fatalf("audit: %d entries, %v", len(entries), err)
		}
		for _, s := range secrets {
			if len(s) < 8 {
				t.Fatalf("secret %q too short to search for", s)
			}
			if strings.Contains(p.stderr.String(), s) {
				t.Errorf("log holds a secret (%.6s…)", s)
			}
			for _, e := range entries {
				if strings.Contains(fmt.Sprint(e), s) {
					t.Errorf("audit entry holds a secret (%.6s…): %s", s, e.Event)
				}
			}
		}
	})
}

// On SIGTERM (the context of run ends) a request in flight still gets its
// answer before the program exits.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), map[string]string{"PFORTE_ARGON2": "m=65536,t=8,p=1"})
	p.signUp("langsam@example.de", goodPW)
	type answer struct {
		pg  page
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := p.newClient().PostForm(p.URL+"/anmelden", url.Values{"email": {"langsam@example.de"}, "password": {goodPW}})
		if err != nil {
			done <- answer{err: err}
			return
		}
		res.Body.Close()
		done <- answer{pg: page{Status: res.StatusCode}}
	}()
	time.Sleep(150 * time.Millisecond) // the slow hash (about half a second) is running now
	start := time.Now()
	p.stop()
	a := <-done
	if a.err != nil || a.pg.Status != 303 {
		t.Fatalf("request in flight during shutdown: %v %d", a.err, a.pg.Status)
	}
	if _, err := http.Get(p.URL + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
	t.Logf("shutdown waited %v for the request", time.Since(start))
}

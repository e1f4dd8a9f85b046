package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pforte/store"
	"pforte/store/storetest"
)

// What someone with a member's password or session for a while may set
// up to keep the account, and what the owner's new password takes back.

// eachClockedPasskeyPortal is eachPasskeyPortal with the second factor on
// a test clock.
func eachClockedPasskeyPortal(t *testing.T, fn func(t *testing.T, p *portal, clk *testClock, origin string)) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		clk := &testClock{}
		ctx := context.WithValue(context.Background(), clockKey{}, clk.Now)
		addr := freeAddr(t)
		origin := "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:]
		fn(t, startPortalIn(t, ctx, dbURL, map[string]string{"PFORTE_ADDR": addr, "PFORTE_BASE_URL": origin}), clk, origin)
	})
}

// loginWithCode signs addr in with the password and, a period later, the
// app's code for secret, and returns the client.
func (p *portal) loginWithCode(t *testing.T, clk *testClock, addr, secret string) *http.Client {
	t.Helper()
	c := p.newClient()
	if pg := p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}); pg.Header.Get("Location") != "/anmelden/zweiter-faktor" {
		t.Fatalf("password of %s: %d %q", addr, pg.Status, pg.Code())
	}
	clk.step()
	if pg := p.post(c, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}}); pg.Status != 303 {
		t.Fatalf("code of %s: %d %q", addr, pg.Status, pg.Code())
	}
	return c
}

// passkeyLogin signs in with key in a new client and returns the answer.
func (p *portal) passkeyLogin(t *testing.T, key *softKey, origin string) page {
	t.Helper()
	b := p.newClient()
	o := p.postJSON(b, "/anmelden/passkey/optionen", nil)
	return p.postJSON(b, "/anmelden/passkey", key.get(t, []byte(o.Body), "localhost", origin))
}

// TestResetTakesBackWhatAThiefSetUp (review findings 1 and 2): with the
// password, someone adds a passkey and asks for a new login address; the
// owner, told by mail, sets a new password through "Passwort vergessen".
// Afterwards the passkey opens nothing and the address link is void.
func TestResetTakesBackWhatAThiefSetUp(t *testing.T) {
	eachPasskeyPortal(t, func(t *testing.T, p *portal, origin string) {
		const owner, thief = "rosa@example.de", "dieb@example.de"
		p.signUp(owner, goodPW)
		c := p.login(owner, goodPW)

		key := newSoftKey(t)
		opts := p.postJSON(c, "/konto/passkeys/optionen", []byte(`{"current_password":"`+goodPW+`"}`))
		if pg := p.postJSON(c, "/konto/passkeys", key.create(t, []byte(opts.Body), "localhost", origin)); pg.Status != 200 {
			t.Fatalf("add passkey: %d %s", pg.Status, pg.Body)
		}
		if pg := p.post(c, "/konto/email", url.Values{"email": {thief}, "current_password": {goodPW}}); pg.Status != 200 {
			t.Fatalf("ask for a new address: %d %q", pg.Status, pg.Code())
		}
		// The present address hears of the request at once.
		waitFor(t, func() bool { return p.subjectTo(owner, "Neue Anmeldeadresse beantragt") })
		confirm := p.linkIn(thief, "/konto/email/bestaetigen")
		form := p.get(p.newClient(), confirm)
		token := hidden(form.Body, "token")
		if form.Status != 200 || token == "" {
			t.Fatalf("confirm form: %d", form.Status)
		}

		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {owner}})
		reset := p.newClient()
		tok := hidden(p.get(reset, p.linkIn(owner, "/passwort-neu")).Body, "token")
		if pg := p.post(reset, "/passwort-neu", url.Values{"token": {tok}, "password": {otherPW}, "password_repeat": {otherPW}}); pg.Status != 303 {
			t.Fatalf("reset: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(owner, "Neue Passkeys entfernt") })
		if pg := p.passkeyLogin(t, key, origin); pg.Status != 401 || pg.jsonCode() != "mfa-invalid" {
			t.Fatalf("thief's passkey after the reset: %d %s", pg.Status, pg.Body)
		}
		if pg := p.post(p.newClient(), "/konto/email/bestaetigen", url.Values{"token": {token}}); pg.Status != 410 || pg.Code() != "token-invalid" {
			t.Fatalf("thief's address link after the reset: %d %q", pg.Status, pg.Code())
		}
		p.login(owner, otherPW)
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {thief}, "password": {otherPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("thief's address signs in: %d %q", pg.Status, pg.Code())
		}

		// A change of the password voids a pending address change too.
		c = p.login(owner, otherPW)
		p.post(c, "/konto/email", url.Values{"email": {"dieb2@example.de"}, "current_password": {otherPW}})
		form = p.get(p.newClient(), p.linkIn("dieb2@example.de", "/konto/email/bestaetigen"))
		token2 := hidden(form.Body, "token")
		if token2 == token || token2 == "" {
			t.Fatal("no second address link")
		}
		if pg := p.post(c, "/konto/passwort", url.Values{"current_password": {otherPW}, "password": {"Ganz-Neu-und-Lang-7"}}); pg.Status != 303 {
			t.Fatalf("change password: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(p.newClient(), "/konto/email/bestaetigen", url.Values{"token": {token2}}); pg.Status != 410 {
			t.Fatalf("address link after a password change: %d %q", pg.Status, pg.Code())
		}
		assertAudit(t, p, "passkey-removed", "email-change-voided")
	})
}

// TestPasskeyChangesNeedTheOwner (review finding 1): with the app's codes
// on, adding or removing a passkey takes the password and a code; the
// session alone (a stolen cookie) does neither.
func TestPasskeyChangesNeedTheOwner(t *testing.T) {
	eachClockedPasskeyPortal(t, func(t *testing.T, p *portal, clk *testClock, origin string) {
		const owner = "selma@example.de"
		p.signUp(owner, goodPW)
		c := p.login(owner, goodPW)
		secret, _ := enrol(t, p, c, clk, goodPW)
		clk.step()

		// Right after the sign-in, the sign-in is the proof (the
		// contract's form has no fields) ...
		if pg := p.postJSON(c, "/konto/passkeys/optionen", nil); pg.Status != 200 {
			t.Fatalf("options right after the sign-in: %d %s", pg.Status, pg.Body)
		}
		// ... later, a session alone (a stolen cookie) adds nothing.
		p.ageSessions(owner, 6*time.Minute)
		withPW := []byte(`{"current_password":"` + goodPW + `"}`)
		if pg := p.postJSON(c, "/konto/passkeys/optionen", nil); pg.Status != 401 || pg.jsonCode() != "invalid-credentials" {
			t.Fatalf("options with the session alone: %d %s", pg.Status, pg.Body)
		}
		if pg := p.postJSON(c, "/konto/passkeys/optionen", withPW); pg.Status != 422 || pg.jsonCode() != "mfa-invalid" {
			t.Fatalf("options without a code: %d %s", pg.Status, pg.Body)
		}
		// Without options from a proven request, no credential is taken.
		key := newSoftKey(t)
		fake := `{"publicKey":{"challenge":"AAAA","rp":{"id":"localhost"},"user":{"id":"AAAAAAAAAAE"},"authenticatorSelection":{"residentKey":"required"}}}`
		if pg := p.postJSON(c, "/konto/passkeys", key.create(t, []byte(fake), "localhost", origin)); pg.Status != 422 {
			t.Fatalf("credential without a ceremony: %d %s", pg.Status, pg.Body)
		}
		opts := p.postJSON(c, "/konto/passkeys/optionen", []byte(`{"current_password":"`+goodPW+`","code":"`+clk.code(t, secret)+`"}`))
		if opts.Status != 200 {
			t.Fatalf("options with password and code: %d %s", opts.Status, opts.Body)
		}
		if pg := p.postJSON(c, "/konto/passkeys", key.create(t, []byte(opts.Body), "localhost", origin)); pg.Status != 200 {
			t.Fatalf("add: %d %s", pg.Status, pg.Body)
		}
		sec := p.get(c, "/konto/sicherheit")
		items := passkeyItem.FindAllStringSubmatch(sec.Body, -1)
		if len(items) != 1 || !strings.Contains(sec.Body, `id="code_pk`+items[0][1]+`"`) {
			t.Fatalf("passkeys listed: %d, or no code field to remove one", len(items))
		}
		remove := "/konto/passkeys/" + items[0][1] + "/entfernen"
		if pg := p.post(c, remove, url.Values{"current_password": {goodPW}}); pg.Status != 401 || pg.Code() != "mfa-invalid" {
			t.Fatalf("remove without a code: %d %q", pg.Status, pg.Code())
		}
		clk.step()
		if pg := p.post(c, remove, url.Values{"current_password": {goodPW}, "code": {clk.code(t, secret)}}); pg.Status != 303 {
			t.Fatalf("remove: %d %q", pg.Status, pg.Code())
		}
		if pg := p.passkeyLogin(t, key, origin); pg.Status != 401 {
			t.Fatalf("removed passkey signs in: %d", pg.Status)
		}
	})
}

// TestPasswordAloneOpensNoConsole (review finding 3): for a staff member
// protected by a passkey, the password alone opens no session; nor can a
// password session of an account with a passkey set up the app's codes;
// and a factor set up with the password alone opens the console only
// after the next sign-in with a code.
func TestPasswordAloneOpensNoConsole(t *testing.T) {
	eachClockedPasskeyPortal(t, func(t *testing.T, p *portal, clk *testClock, origin string) {
		const admin, newcomer = "chefin@hwk.example", "neu@hwk.example"
		p.signUp(admin, goodPW)
		if _, errOut, err := p.cli("staff", "grant", admin, "--role", "admin"); err != nil {
			t.Fatalf("staff grant: %v %s", err, errOut)
		}
		c := p.login(admin, goodPW)
		key := newSoftKey(t)
		opts := p.postJSON(c, "/konto/passkeys/optionen", []byte(`{"current_password":"`+goodPW+`"}`))
		if pg := p.postJSON(c, "/konto/passkeys", key.create(t, []byte(opts.Body), "localhost", origin)); pg.Status != 200 {
			t.Fatalf("add passkey: %d %s", pg.Status, pg.Body)
		}
		// The session that added it was a password session: it may not
		// set up the app's codes (the password would buy the console).
		if pg := p.get(c, "/konto/zwei-faktor"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("enrol page in a password session with a passkey: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(c, "/konto/zwei-faktor", url.Values{"code": {"123456"}, "current_password": {goodPW}}); pg.Status != 403 {
			t.Fatalf("enrol in a password session with a passkey: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/verwaltung"); pg.Status != 303 {
			t.Fatalf("console in a password session: %d", pg.Status)
		}
		// From now on the password alone signs the staff member in nowhere.
		b := p.newClient()
		if pg := p.post(b, "/anmelden", url.Values{"email": {admin}, "password": {goodPW}}); pg.Status != 403 || pg.Code() != "forbidden" || sessionCookie(t, b, p) != "" {
			t.Fatalf("staff password login with a passkey: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(b, "/anmelden", url.Values{"email": {admin}, "password": {otherPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("wrong password: %d %q", pg.Status, pg.Code())
		}
		// The passkey opens the console, and in that session the app's
		// codes may be set up.
		pk := p.newClient()
		o := p.postJSON(pk, "/anmelden/passkey/optionen", nil)
		if pg := p.postJSON(pk, "/anmelden/passkey", key.get(t, []byte(o.Body), "localhost", origin)); pg.Status != 200 {
			t.Fatalf("passkey login: %d %s", pg.Status, pg.Body)
		}
		if pg := p.get(pk, "/verwaltung"); pg.Status != 200 {
			t.Fatalf("console with the passkey: %d", pg.Status)
		}
		enrol(t, p, pk, clk, goodPW)
		if pg := p.get(pk, "/verwaltung"); pg.Status != 200 {
			t.Fatalf("console after enrolling in a passkey session: %d", pg.Status)
		}

		// A staff member without any factor: the password and a factor set
		// up on the spot do not open the console; the next sign-in does.
		p.signUp(newcomer, goodPW)
		if _, errOut, err := p.cli("staff", "grant", newcomer, "--role", "support"); err != nil {
			t.Fatalf("staff grant: %v %s", err, errOut)
		}
		n := p.login(newcomer, goodPW)
		clk.step()
		secret, _ := enrol(t, p, n, clk, goodPW)
		if pg := p.get(n, "/verwaltung"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("console in the session that set the factor up: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(n, "/konto"); pg.Status != 200 {
			t.Fatalf("own account after enrolling: %d", pg.Status)
		}
		n = p.loginWithCode(t, clk, newcomer, secret)
		if pg := p.get(n, "/verwaltung"); pg.Status != 200 {
			t.Fatalf("console after a sign-in with the code: %d", pg.Status)
		}
	})
}

// TestSecondFactorRequiredForServices (review finding 4): with
// PFORTE_MFA=required, the services' sign-in sends a session without a
// second factor to set one up first and then on to the service; with
// prompt=none it answers interaction_required.
func TestSecondFactorRequiredForServices(t *testing.T) {
	eachClockedPortal(t, map[string]string{"PFORTE_MFA": "required"}, func(t *testing.T, p *portal, clk *testClock) {
		addr := "wanda@example.de"
		p.signUp(addr, goodPW)
		r := newRP(t, p, "lehrvertraege")
		c := p.newClient()
		f, _ := r.authorize(c)
		if f.Login == "" {
			t.Fatal("no login page")
		}
		u, _ := url.Parse(f.Login)
		pg := p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}, "next": {u.Query().Get("next")}})
		if pg.Status != 303 {
			t.Fatalf("login: %d %q", pg.Status, pg.Code())
		}
		form := r.follow(c, f, pg.Header.Get("Location"))
		next := hidden(form.Body, "next")
		if f.Callback != nil || form.Status != 200 || secretAttr.FindStringSubmatch(form.Body) == nil || !strings.HasPrefix(next, "/anmelden/dienst?id=") {
			t.Fatalf("service sign-in without a second factor: callback %v, %d, next %q", f.Callback, form.Status, next)
		}
		if got, _ := r.redirectError(c, r.authURL(map[string]string{"prompt": "none"})); got != "interaction_required" {
			t.Fatalf("prompt=none without a second factor: %q", got)
		}

		// Set up, the member goes on to the service.
		secret := secretAttr.FindStringSubmatch(form.Body)[1]
		pg = p.post(c, "/konto/zwei-faktor", url.Values{"code": {clk.code(t, secret)}, "current_password": {goodPW}, "next": {next}})
		if pg.Status != 200 || !strings.Contains(pg.Body, `href="`+strings.ReplaceAll(next, "&", "&amp;")+`"`) {
			t.Fatalf("codes page does not lead back to the service: %d", pg.Status)
		}
		r.follow(c, f, next)
		if f.Callback == nil || f.Callback.Query().Get("code") == "" {
			t.Fatal("no code for the service after enrolment")
		}
		_, idt := r.exchange(f)
		// Set up with the password alone, the factor is not in the amr.
		if amr := claimsOf(t, idt).AMR; len(amr) != 1 || amr[0] != "pwd" {
			t.Fatalf("amr after enrolling in the session: %v", amr)
		}
	})
}

// TestStaffLiftsTheSecondFactorLockout (review finding 9, and finding 2
// for staff): the account page shows the lockout of wrong codes beside
// the password's, "Anmeldesperre aufheben" lifts both; ending the
// member's sessions or resetting the second factor voids a pending
// address change.
func TestStaffLiftsTheSecondFactorLockout(t *testing.T) {
	eachClockedPortal(t, nil, func(t *testing.T, p *portal, clk *testClock) {
		const member = "jola@example.de"
		support := p.staff("hilfe@hwk.example", "support", "pwd", "otp")
		p.signUp(member, goodPW)
		secret, _ := enrol(t, p, p.login(member, goodPW), clk, goodPW)
		clk.step()
		c := p.newClient()
		p.post(c, "/anmelden", url.Values{"email": {member}, "password": {goodPW}})
		for i := range 5 {
			p.post(c, "/anmelden/zweiter-faktor", url.Values{"code": {"33333" + string(rune('0'+i))}})
		}
		if pg := p.post(c, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}}); pg.Status != 429 {
			t.Fatalf("after 5 wrong codes: %d %q", pg.Status, pg.Code())
		}
		id := p.accountID(member)
		page := p.get(support, "/verwaltung/konten/"+id)
		if page.Status != 200 || !strings.Contains(page.Body, `data-field="factor-throttle">gesperrt bis`) {
			t.Fatalf("account page does not show the second factor's lockout: %d", page.Status)
		}
		if pg := p.post(support, "/verwaltung/konten/"+id+"/sperre-aufheben", nil); pg.Status != 303 {
			t.Fatalf("lift: %d %q", pg.Status, pg.Code())
		}
		page = p.get(support, "/verwaltung/konten/"+id)
		if !strings.Contains(page.Body, `data-field="throttle">keine<`) || !strings.Contains(page.Body, `data-field="factor-throttle">keine<`) {
			t.Fatal("account page after lifting still shows a lockout")
		}
		c = p.loginWithCode(t, clk, member, secret)

		// Staff ending the sessions void a pending address change.
		if pg := p.post(c, "/konto/email", url.Values{"email": {"fremd@example.de"}, "current_password": {goodPW}}); pg.Status != 200 {
			t.Fatalf("ask for a new address: %d %q", pg.Status, pg.Code())
		}
		token := hidden(p.get(p.newClient(), p.linkIn("fremd@example.de", "/konto/email/bestaetigen")).Body, "token")
		if pg := p.post(support, "/verwaltung/konten/"+id+"/sitzungen-beenden", nil); pg.Status != 303 {
			t.Fatalf("end sessions: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(p.newClient(), "/konto/email/bestaetigen", url.Values{"token": {token}}); pg.Status != 410 {
			t.Fatalf("address link after staff ended the sessions: %d %q", pg.Status, pg.Code())
		}
		// So does an admin's reset of the second factor.
		c = p.loginWithCode(t, clk, member, secret)
		p.post(c, "/konto/email", url.Values{"email": {"fremd2@example.de"}, "current_password": {goodPW}})
		token = hidden(p.get(p.newClient(), p.linkIn("fremd2@example.de", "/konto/email/bestaetigen")).Body, "token")
		admin := p.staff("leitung@hwk.example", "admin", "pwd", "otp")
		if pg := p.post(admin, "/verwaltung/konten/"+id+"/zwei-faktor-zuruecksetzen", url.Values{"reason": {"Telefon verloren"}}); pg.Status != 303 {
			t.Fatalf("reset the factor: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(p.newClient(), "/konto/email/bestaetigen", url.Values{"token": {token}}); pg.Status != 410 {
			t.Fatalf("address link after a staff reset of the factor: %d %q", pg.Status, pg.Code())
		}
		assertAudit(t, p, "staff-throttle-cleared", "email-change-voided")
	})
}

// ageSessions moves the sign-in of every session of addr back by d, as if
// it had been signed in that long ago.
func (p *portal) ageSessions(addr string, d time.Duration) {
	p.t.Helper()
	dialect, dsn, err := store.ParseURL(p.DBURL)
	if err != nil {
		p.t.Fatal(err)
	}
	driver := "pgx"
	if dialect == store.SQLite {
		driver = "sqlite"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE sessions SET created_at = created_at - $1 WHERE account_id = (SELECT id FROM accounts WHERE email = $2)`,
		d.Milliseconds(), addr); err != nil {
		p.t.Fatal(err)
	}
}

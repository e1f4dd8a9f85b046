package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pforte"
	"pforte/account"
	"pforte/business"
	"pforte/config"
	"pforte/document"
	"pforte/mail"
	"pforte/metrics"
	"pforte/password"
	"pforte/session"
	"pforte/store"
	"pforte/store/storetest"
	"pforte/throttle"
	"pforte/web"
)

// recorder is a second factor that answers from its fields and records
// the resets asked of it: the mfa service is another package's, the
// console's side of the reset (role, reason, audit) is what is tested.
type recorder struct {
	mu      sync.Mutex
	enabled map[int64]bool
	resets  []reset
}

type reset struct {
	account, staff int64
	reason, client string
}

func (r *recorder) Enabled(_ context.Context, id int64) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enabled[id], nil
}

func (r *recorder) CountEnabled(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.enabled), nil
}

func (r *recorder) ResetByStaff(_ context.Context, id, staff int64, reason, client string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resets = append(r.resets, reset{id, staff, reason, client})
	delete(r.enabled, id)
	return nil
}

func (r *recorder) calls() []reset {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]reset(nil), r.resets...)
}

// desk is the real portal handler over a real database, with accounts of
// each role signed in with and without a second factor.
type desk struct {
	t        *testing.T
	url      string
	db       *store.DB
	sessions *session.Sessions
	sf       *recorder
	ids      map[string]int64
	biz      *business.Service
}

func newDesk(t *testing.T, dbURL string) *desk {
	t.Helper()
	db := storetest.Open(t, dbURL)
	env := map[string]string{"PFORTE_DATABASE": dbURL, "PFORTE_BASE_URL": "http://127.0.0.1", "PFORTE_DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	limits := &throttle.Limiter{DB: db}
	hasher := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1}, 2)
	t.Cleanup(hasher.Close)
	accounts := &account.Service{DB: db, Hasher: hasher,
		Policy: cfg.Policy, Mail: mail.Composer{BaseURL: "http://127.0.0.1", Contact: "k@example.org", Product: "Kundenportal"},
		Limits: limits, ConfirmTTL: time.Hour, ResetTTL: time.Hour}
	sessions := &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: 12 * time.Hour}
	businesses := &business.Service{DB: db, Limits: limits, PINTTL: 24 * time.Hour, Sender: document.Sender{Name: "Kammer"},
		BaseURL: "http://127.0.0.1"}
	d := &desk{t: t, db: db, sessions: sessions, sf: &recorder{enabled: map[int64]bool{}}, ids: map[string]int64{}, biz: businesses}
	h, err := web.New(web.Deps{Config: cfg, DB: db, Accounts: accounts, Sessions: sessions,
		Metrics: metrics.New(func(context.Context) (int, error) { return 0, nil }), Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Businesses: businesses, Limits: limits, SecondFactor: d.sf})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	d.url = srv.URL
	for email, role := range map[string]pforte.Role{"member@example.de": pforte.RoleMember, "support@hwk.example": pforte.RoleSupport,
		"admin@hwk.example": pforte.RoleAdmin} {
		a := &pforte.Account{Email: email, Role: role, CreatedAt: time.Now(), ConfirmedAt: time.Now(), PasswordHash: "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA"}
		if err := db.Q().CreateAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		d.ids[email] = a.ID
	}
	return d
}

// as starts a session of email signed in with methods and returns its cookie.
func (d *desk) as(email string, methods ...string) string {
	d.t.Helper()
	id, err := d.sessions.Start(context.Background(), d.ids[email], "", session.Login{Client: "127.0.0.1", Methods: methods})
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code() string {
	_, rest, ok := strings.Cut(a.body, `data-error-code="`)
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, `"`)
	return code
}

func (d *desk) do(cookie, method, path string, form url.Values) answer {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.url+path, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "pforte_session", Value: cookie})
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}
}

func TestAccessNeedsRoleAndSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		d := newDesk(t, dbURL)
		if a := d.do("", "GET", "/verwaltung/konten", nil); a.status != 303 || a.header.Get("Location") != "/anmelden?next=%2Fverwaltung%2Fkonten" {
			t.Fatalf("no session: %d %s", a.status, a.header.Get("Location"))
		}
		member := d.as("member@example.de", "pwd", "otp")
		for _, path := range []string{"/verwaltung", "/verwaltung/konten?q=a", "/verwaltung/protokoll"} {
			if a := d.do(member, "GET", path, nil); a.status != 403 || a.code() != "forbidden" {
				t.Errorf("member on %s: %d %q", path, a.status, a.code())
			}
		}
		if a := d.do(member, "POST", "/verwaltung/konten/1/sitzungen-beenden", url.Values{}); a.status != 403 || a.code() != "forbidden" {
			t.Errorf("member posting an action: %d %q", a.status, a.code())
		}
		// Staff without a second factor in this session go to set one up.
		pwdOnly := d.as("support@hwk.example", "pwd")
		if a := d.do(pwdOnly, "GET", "/verwaltung", nil); a.status != 303 || a.header.Get("Location") != "/konto/zwei-faktor" {
			t.Errorf("support without second factor: %d %s", a.status, a.header.Get("Location"))
		}
		for _, methods := range [][]string{{"pwd", "otp"}, {"hwk"}} {
			a := d.do(d.as("support@hwk.example", methods...), "GET", "/verwaltung", nil)
			if a.status != 200 || !strings.Contains(a.body, `data-count="accounts">3<`) || a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("support with %v: %d %q", methods, a.status, a.header.Get("Cache-Control"))
			}
		}
		support := d.as("support@hwk.example", "pwd", "otp")
		memberID := d.ids["member@example.de"]
		for _, c := range []struct{ method, path string }{
			{"GET", "/verwaltung/mitarbeiter"},
			{"POST", "/verwaltung/mitarbeiter"},
			{"POST", "/verwaltung/konten/" + itoa(memberID) + "/loeschen"},
			{"POST", "/verwaltung/konten/" + itoa(memberID) + "/zwei-faktor-zuruecksetzen"},
		} {
			if a := d.do(support, c.method, c.path, url.Values{"reason": {"Bitte"}, "email": {"member@example.de"}, "role": {"admin"}}); a.status != 403 || a.code() != "forbidden" {
				t.Errorf("support: %s %s: %d %q", c.method, c.path, a.status, a.code())
			}
		}
		if a, err := d.db.Q().AccountByID(context.Background(), memberID); err != nil || a.Role != pforte.RoleMember {
			t.Fatalf("member after refused admin actions: %+v %v", a, err)
		}
		// A revoked role ends access at the very next request.
		if err := d.db.Q().SetRole(context.Background(), d.ids["support@hwk.example"], pforte.RoleMember); err != nil {
			t.Fatal(err)
		}
		if a := d.do(support, "GET", "/verwaltung", nil); a.status != 403 || a.code() != "forbidden" {
			t.Errorf("revoked support: %d %q", a.status, a.code())
		}
		// The portal's idle rule holds here too: a staff session idle for
		// longer than 10 minutes is over.
		idle := &session.Sessions{DB: d.db, Idle: 10 * time.Minute, Max: 12 * time.Hour, Now: func() time.Time { return time.Now().Add(-10*time.Minute - time.Second) }}
		stale, err := idle.Start(context.Background(), d.ids["admin@hwk.example"], "", session.Login{Methods: []string{"pwd", "otp"}})
		if err != nil {
			t.Fatal(err)
		}
		if a := d.do(stale, "GET", "/verwaltung", nil); a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/anmelden?abgelaufen=1") {
			t.Errorf("idle staff session: %d %s", a.status, a.header.Get("Location"))
		}
		if a := d.do(d.as("admin@hwk.example", "pwd", "otp"), "GET", "/verwaltung/gibt-es-nicht", nil); a.status != 404 {
			t.Errorf("unknown console page: %d", a.status)
		}
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestSecondFactorResetNeedsAdminReasonAndIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		d := newDesk(t, dbURL)
		ctx := context.Background()
		memberID, adminID := d.ids["member@example.de"], d.ids["admin@hwk.example"]
		d.sf.enabled[memberID] = true
		admin := d.as("admin@hwk.example", "pwd", "otp")
		if a := d.do(admin, "GET", "/verwaltung", nil); !strings.Contains(a.body, `data-count="second-factor">1<`) {
			t.Errorf("overview does not count the second factor: %d", a.status)
		}
		page := d.do(admin, "GET", "/verwaltung/konten/"+itoa(memberID), nil)
		if !strings.Contains(page.body, `data-field="second-factor">eingeschaltet<`) || !strings.Contains(page.body, "zwei-faktor-zuruecksetzen") {
			t.Fatalf("account page: %d", page.status)
		}
		path := "/verwaltung/konten/" + itoa(memberID) + "/zwei-faktor-zuruecksetzen"
		for _, reason := range []string{"", "   ", strings.Repeat("x", pforte.MaxReason+1)} {
			if a := d.do(admin, "POST", path, url.Values{"reason": {reason}}); a.status != 400 || a.code() != "bad-request" ||
				!strings.Contains(a.body, "member@example.de") {
				t.Errorf("reason %.5q: %d %q", reason, a.status, a.code())
			}
		}
		support := d.as("support@hwk.example", "pwd", "otp")
		if a := d.do(support, "POST", path, url.Values{"reason": {"Handy verloren"}}); a.status != 403 {
			t.Errorf("support resetting: %d", a.status)
		}
		if a := d.do(admin, "POST", "/verwaltung/konten/99999/zwei-faktor-zuruecksetzen", url.Values{"reason": {"x"}}); a.status != 404 {
			t.Errorf("reset of an unknown account: %d", a.status)
		}
		if calls := d.sf.calls(); len(calls) != 0 {
			t.Fatalf("refused resets reached the second factor: %+v", calls)
		}
		a := d.do(admin, "POST", path, url.Values{"reason": {"  Handy verloren, Anruf 10:12  "}})
		if a.status != 303 || a.header.Get("Location") != "/verwaltung/konten/"+itoa(memberID)+"?erledigt=zwei-faktor" {
			t.Fatalf("reset: %d %s %q", a.status, a.header.Get("Location"), a.code())
		}
		want := reset{memberID, adminID, "Handy verloren, Anruf 10:12", "127.0.0.1"}
		if calls := d.sf.calls(); len(calls) != 1 || calls[0] != want {
			t.Fatalf("reset calls %+v, want %+v", calls, want)
		}
		log, err := d.db.Q().AuditLog(ctx, store.AuditFilter{Event: pforte.EventStaffMFAReset})
		if err != nil || len(log) != 1 || log[0].AccountID != memberID || log[0].ActorID != adminID || log[0].Actor != "admin@hwk.example" ||
			log[0].Detail != want.reason || log[0].Client != "127.0.0.1" {
			t.Fatalf("audit of the reset: %+v %v", log, err)
		}
		after := d.do(admin, "GET", a.header.Get("Location"), nil)
		if !strings.Contains(after.body, `data-field="second-factor">aus<`) || !strings.Contains(after.body, "Passkeys des Kontos sind ausgeschaltet") ||
			!strings.Contains(after.body, "staff-mfa-reset") {
			t.Fatalf("account page after the reset: %d", after.status)
		}
		// An admin's own account offers no admin actions against itself.
		if own := d.do(admin, "GET", "/verwaltung/konten/"+itoa(adminID), nil); strings.Contains(own.body, "zwei-faktor-zuruecksetzen") {
			t.Error("admin is offered to reset their own second factor")
		}
	})
}

// Staff never see a hash or a token: the account page of a member with a
// password, a session and an open reset link carries none of them.
func TestAccountPageShowsNoSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		d := newDesk(t, dbURL)
		ctx := context.Background()
		memberID := d.ids["member@example.de"]
		memberSession := d.as("member@example.de", "pwd")
		admin := d.as("admin@hwk.example", "pwd", "otp")
		if a := d.do(admin, "POST", "/verwaltung/konten/"+itoa(memberID)+"/passwort-link-senden", url.Values{}); a.status != 303 {
			t.Fatalf("reset link: %d %q", a.status, a.code())
		}
		mails, err := d.db.Q().MailsOfAccount(ctx, memberID, 5)
		if err != nil || len(mails) != 1 || mails[0].State() != store.MailWaiting {
			t.Fatalf("queued mail: %+v %v", mails, err)
		}
		// A session that timed out a minute ago but is not yet pruned.
		old := &session.Sessions{DB: d.db, Idle: 10 * time.Minute, Max: 12 * time.Hour, Now: func() time.Time { return time.Now().Add(-11 * time.Minute) }}
		if _, err := old.Start(ctx, memberID, "", session.Login{Client: "10.0.0.9", Methods: []string{"pwd"}}); err != nil {
			t.Fatal(err)
		}
		page := d.do(admin, "GET", "/verwaltung/konten/"+itoa(memberID), nil)
		if strings.Count(page.body, `data-session-live="true"`) != 1 || strings.Count(page.body, `data-session-live="false"`) != 1 {
			t.Errorf("sessions not told apart: live %d, ended %d", strings.Count(page.body, `data-session-live="true"`), strings.Count(page.body, `data-session-live="false"`))
		}
		acct, _ := d.db.Q().AccountByID(ctx, memberID)
		st, _ := d.db.Q().SessionByHash(ctx, pforte.HashSecret(memberSession))
		for name, secret := range map[string]string{"password hash": acct.PasswordHash, "session id": memberSession, "session hash": st.Hash, "sid": st.SID} {
			if strings.Contains(page.body, secret) {
				t.Errorf("account page shows the %s", name)
			}
		}
		if !strings.Contains(page.body, "staff-reset-sent") || !strings.Contains(page.body, "admin@hwk.example") || !strings.Contains(page.body, `data-mail-state="waiting"`) {
			t.Error("account page lacks the audit entry with the acting admin or the mail")
		}
	})
}

// TestLettersPageSaysTheBatch: with more letters pending than one PDF
// holds, the letters page offers the oldest ones and says the rest follow.
func TestLettersPageSaysTheBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		d := newDesk(t, dbURL)
		ctx := context.Background()
		d.biz.PrintBatch = 2
		var list []pforte.Business
		for _, n := range []string{"1001", "1002", "1003"} {
			list = append(list, pforte.Business{Number: n, Name: "Betrieb " + n, Street: "Weg 1", Postcode: "97070", City: "Würzburg"})
		}
		if _, err := d.biz.Import(ctx, list); err != nil {
			t.Fatal(err)
		}
		support := d.as("support@hwk.example", "pwd", "otp")
		page := func() string { return d.do(support, "GET", "/verwaltung/briefe", nil).body }
		for _, n := range []string{"1001", "1002"} {
			if _, err := d.biz.QueueLetterByStaff(ctx, n, d.ids["support@hwk.example"], "c"); err != nil {
				t.Fatal(err)
			}
		}
		if body := page(); !strings.Contains(body, "Alle 2 Briefe als ein PDF drucken") || strings.Contains(body, "höchstens") {
			t.Fatalf("two letters, a batch of two: the page should offer all of them\n%s", body)
		}
		if _, err := d.biz.QueueLetterByStaff(ctx, "1003", d.ids["support@hwk.example"], "c"); err != nil {
			t.Fatal(err)
		}
		if body := page(); !strings.Contains(body, "Die ältesten 2 Briefe als ein PDF drucken") || !strings.Contains(body, "höchstens 2 Briefe") {
			t.Fatalf("three letters, a batch of two: the page should offer the oldest two\n%s", body)
		}
	})
}

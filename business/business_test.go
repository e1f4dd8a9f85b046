package business

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pforte"
	"pforte/document"
	"pforte/store"
	"pforte/store/storetest"
	"pforte/throttle"
)

// clock is a settable time for the service and its limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc                                      *Service
	db                                       *store.DB
	clock                                    *clock
	member, other, staff, admin, unconfirmed *pforte.Account
}

const register = "number,name,street,postcode,city\n" +
	"0815-4711,Bäckerei Größl & Söhne GmbH,Maßbacher Straße 12,97688,Bad Kissingen\n" +
	"4712,Zimmerei Anders,Am Hang 3,97070,Würzburg\n"

func setup(t *testing.T, url string) *fixture {
	t.Helper()
	ctx, db := context.Background(), storetest.Open(t, url)
	c := &clock{t: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}
	f := &fixture{db: db, clock: c, svc: &Service{DB: db, Limits: &throttle.Limiter{DB: db, Now: c.Now}, PINTTL: 90 * 24 * time.Hour,
		Sender: document.Sender{Name: "Handwerkskammer Musterstadt", Email: "kundenlogin@example.org"}, BaseURL: "https://portal.example", Now: c.Now}}
	mk := func(email string, role pforte.Role, confirmed bool) *pforte.Account {
		a := &pforte.Account{Email: email, Role: role, CreatedAt: c.Now()}
		if confirmed {
			a.ConfirmedAt = c.Now()
		}
		if err := db.Q().CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.member = mk("member@example.de", pforte.RoleMember, true)
	f.other = mk("other@example.de", pforte.RoleMember, true)
	f.staff = mk("staff@example.de", pforte.RoleSupport, true)
	f.admin = mk("admin@example.de", pforte.RoleAdmin, true)
	f.unconfirmed = mk("new@example.de", pforte.RoleMember, false)
	list, err := ParseRegister(strings.NewReader(register))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Import(ctx, list); err != nil {
		t.Fatal(err)
	}
	return f
}

func code(err error) pforte.Code { return pforte.ErrorCode(err) }

func (f *fixture) issue(t *testing.T, number string) string {
	t.Helper()
	iss, err := f.svc.Issue(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return iss.PIN
}

func TestImportIsIdempotentAndUpdatesAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		list, _ := ParseRegister(strings.NewReader(register))
		if res, err := f.svc.Import(ctx, list); err != nil || res != (ImportResult{Unchanged: 2}) {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		list[1].Street = "Neuer Weg 1"
		list = append(list, pforte.Business{Number: "9", Name: "Neu", Street: "W", Postcode: "1", City: "X"})
		if res, err := f.svc.Import(ctx, list); err != nil || res != (ImportResult{Created: 1, Updated: 1, Unchanged: 1}) {
			t.Fatalf("changed import: %+v %v", res, err)
		}
		if b, _ := f.db.Q().BusinessByNumber(ctx, "4712"); b.Street != "Neuer Weg 1" {
			t.Fatalf("address not updated: %+v", b)
		}
	})
}

func TestRequestPIN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		for in, want := range map[string]pforte.Code{
			"":                       pforte.PINInvalid,
			"9999":                   pforte.PINInvalid,
			"08/15":                  pforte.PINInvalid,
			strings.Repeat("1", 500): pforte.PINInvalid,
		} {
			if _, err := f.svc.RequestPIN(ctx, f.member, in, "c"); code(err) != want {
				t.Errorf("request %q: %v, want %s", in, err, want)
			}
		}
		if _, err := f.svc.RequestPIN(ctx, f.unconfirmed, "4712", "c"); code(err) != pforte.NotConfirmed {
			t.Errorf("unconfirmed: %v", err)
		}
		// The answer names only postcode and town; asking again queues nothing.
		for range 2 {
			req, err := f.svc.RequestPIN(ctx, f.member, " 0815-4711 ", "c")
			if err != nil || req != (Requested{Number: "0815-4711", Postcode: "97688", City: "Bad Kissingen"}) {
				t.Fatalf("request: %+v %v", req, err)
			}
		}
		if _, err := f.svc.RequestPIN(ctx, f.other, "0815-4711", "c"); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.db.Q().PendingPINRequests(ctx); len(p) != 1 {
			t.Fatalf("%d pending requests, want 1", len(p))
		}
		// Five a day per account (unknown numbers do not count).
		for i := 3; i <= AccountPINRequests.Max; i++ {
			if _, err := f.svc.RequestPIN(ctx, f.member, "4712", "c"); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if _, err := f.svc.RequestPIN(ctx, f.member, "4712", "c"); code(err) != pforte.Throttled {
			t.Fatalf("request %d: %v, want throttled", AccountPINRequests.Max+1, err)
		}
		f.clock.Add(24 * time.Hour)
		if _, err := f.svc.RequestPIN(ctx, f.member, "4712", "c"); err != nil {
			t.Fatalf("next day: %v", err)
		}
		// A linked account needs no letter.
		f.svc.Link(ctx, f.other, "4712", f.issue(t, "4712"), "c")
		if req, err := f.svc.RequestPIN(ctx, f.other, "4712", "c"); err != nil || !req.AlreadyLinked {
			t.Fatalf("linked: %+v %v", req, err)
		}
	})
}

func TestLinkWithPIN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		if _, err := f.svc.Issue(ctx, "9999"); err == nil {
			t.Fatal("PIN issued for an unknown number")
		}
		old := f.issue(t, "0815-4711")
		pin := f.issue(t, "0815-4711")
		if _, err := f.svc.Link(ctx, f.member, "0815-4711", old, "c"); code(err) != pforte.PINInvalid {
			t.Fatalf("voided PIN: %v", err)
		}
		// Typed as a person might: lower case, spaces, dashes; the number too.
		typed := strings.ToLower(pin[:4] + " " + pin[4:8] + "-" + pin[8:])
		b, err := f.svc.Link(ctx, f.member, " 0815-4711", typed, "c")
		if err != nil || b.Name != "Bäckerei Größl & Söhne GmbH" {
			t.Fatalf("link: %+v %v", b, err)
		}
		if _, err := f.svc.Link(ctx, f.other, "0815-4711", pin, "c"); code(err) != pforte.PINInvalid {
			t.Fatalf("used PIN: %v", err)
		}
		if _, err := f.svc.Link(ctx, f.unconfirmed, "0815-4711", pin, "c"); code(err) != pforte.NotConfirmed {
			t.Fatalf("unconfirmed: %v", err)
		}
		// Linking again (new PIN) is no error; a member may have several
		// businesses and a business several members.
		if _, err := f.svc.Link(ctx, f.member, "0815-4711", f.issue(t, "0815-4711"), "c"); err != nil {
			t.Fatalf("link twice: %v", err)
		}
		if _, err := f.svc.Link(ctx, f.member, "4712", f.issue(t, "4712"), "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Link(ctx, f.other, "4712", f.issue(t, "4712"), "c"); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.svc.Linked(ctx, f.member); len(list) != 2 {
			t.Fatalf("member linked to %+v", list)
		}
		for in := range map[string]bool{"": true, "0815-4711": true, strings.Repeat("A", 200): true, "08154711": true} {
			if _, err := f.svc.Link(ctx, f.other, in, "", "c"); code(err) != pforte.PINInvalid {
				t.Errorf("link %q: %v", in, err)
			}
		}
	})
}

func TestPINExpiresAtTheEndOfTheDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		f.svc.PINTTL = 24 * time.Hour
		// Issued 3 March 10:00 Berlin: valid through 4 March, Berlin time.
		iss, err := f.svc.Issue(ctx, "4712")
		if err != nil || iss.LastDay.Format("02.01.2006") != "04.03.2026" {
			t.Fatalf("issue: %+v %v", iss, err)
		}
		start := f.clock.Now()
		f.clock.t = time.Date(2026, 3, 5, 0, 0, 0, 0, berlin) // a second too late
		if _, err := f.svc.Link(ctx, f.member, "4712", iss.PIN, "c"); code(err) != pforte.PINInvalid {
			t.Fatalf("expired PIN: %v", err)
		}
		f.clock.t = start
		iss, _ = f.svc.Issue(ctx, "4712")
		f.clock.t = time.Date(2026, 3, 4, 23, 59, 0, 0, berlin)
		if _, err := f.svc.Link(ctx, f.member, "4712", iss.PIN, "c"); err != nil {
			t.Fatalf("PIN on its last day: %v", err)
		}
	})
}

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		pin := f.issue(t, "4712")
		wrong := "23456789ABCD"
		// Failures of several accounts add up: the lock is per business.
		for i, a := range []*pforte.Account{f.member, f.other, f.member, f.other} {
			if _, err := f.svc.Link(ctx, a, "4712", wrong, "c"); code(err) != pforte.PINInvalid {
				t.Fatalf("wrong PIN %d: %v", i+1, err)
			}
		}
		// The fifth wrong PIN is answered as wrong and locks the business ...
		if _, err := f.svc.Link(ctx, f.other, "4712", "not a pin at all", "c"); code(err) != pforte.PINInvalid {
			t.Fatalf("fifth wrong PIN: %#v", err)
		}
		// ... so the next attempt, even with the right PIN, is refused.
		_, err := f.svc.Link(ctx, f.member, "4712", pin, "c")
		var e *pforte.Error
		if code(err) != pforte.PINLocked || !errors.As(err, &e) || e.RetryAfter != 3600 {
			t.Fatalf("after five wrong PINs: %#v", err)
		}
		f.clock.Add(59 * time.Minute)
		if _, err := f.svc.Link(ctx, f.member, "4712", pin, "c"); code(err) != pforte.PINLocked || !errors.As(err, &e) || e.RetryAfter != 60 {
			t.Fatalf("right PIN while locked: %#v", err)
		}
		// Other businesses are not affected.
		if _, err := f.svc.Link(ctx, f.member, "0815-4711", f.issue(t, "0815-4711"), "c"); err != nil {
			t.Fatalf("other business: %v", err)
		}
		f.clock.Add(time.Minute)
		if _, err := f.svc.Link(ctx, f.member, "4712", pin, "c"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		// Unknown numbers lock the same way, so the answers tell nothing.
		for i := 1; i <= MaxPINFailures+1; i++ {
			_, err := f.svc.Link(ctx, f.member, "9999", wrong, "c")
			want := pforte.PINInvalid
			if i > MaxPINFailures {
				want = pforte.PINLocked
			}
			if code(err) != want {
				t.Fatalf("unknown number, try %d: %v", i, err)
			}
		}
	})
}

// A burst of wrong PINs sent at once gets no more checks than the rule
// allows: each attempt is counted before its PIN is checked.
func TestLockoutHoldsAgainstABurst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		pin := f.issue(t, "4712")
		codes := make([]pforte.Code, 12)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range codes {
			wg.Go(func() {
				<-start
				_, err := f.svc.Link(ctx, f.member, "4712", "23456789ABCD", "c")
				codes[i] = code(err)
			})
		}
		close(start)
		wg.Wait()
		checked := 0
		for _, c := range codes {
			switch c {
			case pforte.PINInvalid:
				checked++
			case pforte.PINLocked:
			default:
				t.Fatalf("answer %q", c)
			}
		}
		if checked != MaxPINFailures {
			t.Fatalf("a burst of 12 wrong PINs: %d checked, want %d: %v", checked, MaxPINFailures, codes)
		}
		if _, err := f.svc.Link(ctx, f.member, "4712", pin, "c"); code(err) != pforte.PINLocked {
			t.Fatalf("right PIN after the burst: %v", err)
		}
	})
}

func TestAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		if _, err := f.svc.Link(ctx, f.member, "4712", f.issue(t, "4712"), "c"); err != nil {
			t.Fatal(err)
		}
		member, other := Actor{Account: f.member}, Actor{Account: f.other}
		staff, admin := Actor{Account: f.staff, SecondFactor: true}, Actor{Account: f.admin, SecondFactor: true}
		for _, c := range []struct {
			who    Actor
			number string
			want   pforte.Code
		}{
			{member, "4712", ""},
			{member, "0815-4711", pforte.Forbidden},
			{member, "9999", pforte.Forbidden}, // members do not learn what exists
			{member, "../x", pforte.Forbidden},
			{Actor{Account: f.member, SecondFactor: true}, "0815-4711", pforte.Forbidden},
			{other, "4712", pforte.Forbidden},
			{Actor{}, "4712", pforte.Forbidden},
			{staff, "4712", ""},
			{staff, "0815-4711", ""},
			{staff, "9999", pforte.NotFound},
			{admin, "4712", ""},
			{admin, "9999", pforte.NotFound},
			// Staff signed in with the password alone: no staff rights.
			{Actor{Account: f.staff}, "0815-4711", pforte.Forbidden},
			{Actor{Account: f.admin}, "9999", pforte.Forbidden},
		} {
			b, err := f.svc.Access(ctx, c.who, UseServices, c.number)
			if code(err) != c.want || (err == nil && b.Number != c.number) {
				t.Errorf("access of %v to %q: %+v %v, want %q", c.who, c.number, b, err, c.want)
			}
		}
		// Staff see PINs when they print letters: their accounts never link.
		pin := f.issue(t, "0815-4711")
		if _, err := f.svc.Link(ctx, f.staff, "0815-4711", pin, "c"); code(err) != pforte.Forbidden {
			t.Fatalf("a staff account linked a business: %v", err)
		}
		if _, err := f.svc.Link(ctx, f.other, "0815-4711", pin, "c"); err != nil {
			t.Fatalf("the PIN after the staff attempt: %v", err)
		}
		if Can(member, Permission("something-else"), true) {
			t.Error("an unknown permission was granted")
		}
		if err := f.svc.Unlink(ctx, f.member, "4712", "c"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Unlink(ctx, f.member, "4712", "c"); code(err) != pforte.NotFound {
			t.Fatalf("unlink twice: %v", err)
		}
		if _, err := f.svc.Access(ctx, member, UseServices, "4712"); code(err) != pforte.Forbidden {
			t.Fatalf("after unlink: %v", err)
		}
	})
}

// Anyone signed in may ask for a PIN, so a request while a letter is in
// the post must not void its PIN (nor send another): the member is told
// when it went out. Staff can still issue a fresh PIN.
func TestRequestWhileALetterIsOnItsWay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		// The letter's PIN is still unused and not voided.
		letterValid := func() bool {
			t.Helper()
			sent, err := f.db.Q().LetterOnItsWay(ctx, "4712", time.Time{}, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return !sent.IsZero()
		}
		pending := func() int { p, _ := f.db.Q().PendingPINRequests(ctx); return len(p) }
		if _, err := f.svc.RequestPIN(ctx, f.member, "4712", "c"); err != nil {
			t.Fatal(err)
		}
		sentAt := f.clock.Now()
		if paths, err := f.svc.RenderLetters(ctx, t.TempDir()); err != nil || len(paths) != 1 {
			t.Fatalf("letters: %v %v", paths, err)
		}
		f.clock.Add(13 * 24 * time.Hour)
		req, err := f.svc.RequestPIN(ctx, f.other, "4712", "c")
		if err != nil || !req.LetterSent.Equal(sentAt) {
			t.Fatalf("request while the letter is on its way: %+v %v", req, err)
		}
		if pending() != 0 || !letterValid() {
			t.Fatalf("the request queued a letter (%d) or voided the PIN in the post", pending())
		}
		// After two weeks the letter counts as lost: a new one may go.
		f.clock.Add(24*time.Hour + time.Minute)
		if req, err := f.svc.RequestPIN(ctx, f.other, "4712", "c"); err != nil || !req.LetterSent.IsZero() || pending() != 1 {
			t.Fatalf("request after two weeks: %+v %v, %d pending", req, err, pending())
		}
		f.svc.RenderLetters(ctx, t.TempDir())
		// Staff's fresh PIN voids the letter's: the letter is no longer
		// worth waiting for.
		f.issue(t, "4712")
		if req, err := f.svc.RequestPIN(ctx, f.member, "4712", "c"); err != nil || !req.LetterSent.IsZero() || pending() != 1 {
			t.Fatalf("request after staff issued a PIN: %+v %v, %d pending", req, err, pending())
		}
	})
}

func TestRenderLetters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f, ctx := setup(t, url), context.Background()
		dir := filepath.Join(t.TempDir(), "briefe")
		if paths, err := f.svc.RenderLetters(ctx, dir); err != nil || len(paths) != 0 {
			t.Fatalf("nothing pending: %v %v", paths, err)
		}
		handed := f.issue(t, "0815-4711") // voided by the letter's PIN
		f.svc.RequestPIN(ctx, f.member, "0815-4711", "c")
		f.svc.RequestPIN(ctx, f.other, "4712", "c")
		paths, err := f.svc.RenderLetters(ctx, dir)
		if err != nil || len(paths) != 2 {
			t.Fatalf("render: %v %v", paths, err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
				t.Fatalf("%s: %v", p, err)
			}
			if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v; letters hold PINs", p, fi.Mode().Perm())
			}
		}
		if !strings.HasPrefix(filepath.Base(paths[0]), "pin-0815-4711-") {
			t.Errorf("file name %s", paths[0])
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".pin-*")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
		if p, _ := f.db.Q().PendingPINRequests(ctx); len(p) != 0 {
			t.Fatalf("still pending: %+v", p)
		}
		if paths, _ := f.svc.RenderLetters(ctx, dir); len(paths) != 0 {
			t.Fatalf("rendered twice: %v", paths)
		}
		if _, err := f.svc.Link(ctx, f.member, "0815-4711", handed, "c"); code(err) != pforte.PINInvalid {
			t.Fatalf("the letter did not void the older PIN: %v", err)
		}
		// The audit log tells the story, and never holds a PIN.
		log, _ := f.db.Q().AuditLog(ctx, store.AuditFilter{})
		seen := map[pforte.Event]int{}
		for _, e := range log {
			seen[e.Event]++
			if strings.Contains(e.Detail, handed) {
				t.Errorf("PIN in the audit log: %+v", e)
			}
		}
		for ev, n := range map[pforte.Event]int{pforte.EventBusinessesImported: 1, pforte.EventPINIssued: 1,
			pforte.EventPINRequested: 2, pforte.EventPINLetterRendered: 2, pforte.EventPINFailed: 1} {
			if seen[ev] != n {
				t.Errorf("%d %s entries, want %d", seen[ev], ev, n)
			}
		}
	})
}

// TestImportAllOrNothing: a register whose last business the database
// refuses leaves every business as it was, on both databases (CONTRACT
// §1: nothing half-imported), and audits no import.
func TestImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		f := setup(t, url)
		ctx := context.Background()
		raw := rawDB(t, url)
		if strings.HasPrefix(url, "sqlite:") {
			mustExec(t, raw, `CREATE TRIGGER refuse_9999 BEFORE INSERT ON businesses WHEN NEW.number = '9999'
				BEGIN SELECT RAISE(ABORT, 'refused'); END`)
		} else {
			mustExec(t, raw, `CREATE FUNCTION refuse_9999() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF NEW.number = '9999' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`)
			mustExec(t, raw, `CREATE TRIGGER refuse_9999 BEFORE INSERT ON businesses FOR EACH ROW EXECUTE FUNCTION refuse_9999()`)
		}
		before, _ := f.db.Q().AuditLog(ctx, store.AuditFilter{Event: pforte.EventBusinessesImported})
		list := []pforte.Business{{Number: "4712", Name: "Zimmerei Neu", Street: "Am Hang 3", Postcode: "97070", City: "Würzburg"}}
		for i := range 2 * store.Batch {
			list = append(list, pforte.Business{Number: fmt.Sprintf("7%04d", i), Name: "Betrieb", Street: "Weg 1", Postcode: "97070", City: "Würzburg"})
		}
		list = append(list, pforte.Business{Number: "9999", Name: "Kaputt", Street: "Weg 1", Postcode: "97070", City: "Würzburg"})
		if _, err := f.svc.Import(ctx, list); err == nil {
			t.Fatal("an import with a refused business succeeded")
		}
		if b, _ := f.db.Q().BusinessByNumber(ctx, "4712"); b.Name != "Zimmerei Anders" {
			t.Errorf("the failed import renamed 4712 to %q", b.Name)
		}
		if _, err := f.db.Q().BusinessByNumber(ctx, "70000"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the failed import left 70000: %v", err)
		}
		if after, _ := f.db.Q().AuditLog(ctx, store.AuditFilter{Event: pforte.EventBusinessesImported}); len(after) != len(before) {
			t.Errorf("the failed import was audited: %d entries, before %d", len(after), len(before))
		}
	})
}

func rawDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn = "sqlite", path
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

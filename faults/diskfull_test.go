package faults

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pforte/mail/smtptest"
)

// TestDiskFull fills the file system that holds the SQLite database (a
// small tmpfs) while the portal serves. Registrations, logins and password
// changes then answer the German 503 page `unavailable` (with Retry-After),
// never a 500; nothing is half-written (the database passes its integrity
// check, and every answer that said done is in it); and once space is
// freed the same requests work again, without a restart.
func TestDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "daten")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mounting a tmpfs (the test needs root): %v %s", err, out)
		}
		t.Skipf("no tmpfs to fill (the test needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	smtp := smtptest.Start(t)
	dbPath := filepath.Join(mnt, "pforte.db")
	in := startInstance(t, baseEnv("sqlite:"+dbPath, smtp.URL(), mnt))

	// Alice changes her password, Bob signs in.
	alice, bob := "alice@betrieb.example", "bob@betrieb.example"
	signUp(t, in, smtp, alice)
	signUp(t, in, smtp, bob)
	aliceC := browser()
	if a := mustLogin(t, aliceC, in, alice); a.Status != http.StatusSeeOther {
		t.Fatalf("Alice's login: %s", a)
	}
	alicePW, changes := memberPassword, 0
	changePassword := func() reply {
		changes++
		next := fmt.Sprintf("Hobelbank-Säge-%d!", changes)
		a := mustCall(t, aliceC, "POST", in.URL+"/konto/passwort", url.Values{"current_password": {alicePW}, "password": {next}})
		if a.Status == http.StatusSeeOther {
			alicePW = next
		}
		return a
	}

	filler := fill(t, mnt)

	// Until the disk refuses a write, requests may still succeed (SQLite
	// reuses its log's pages); each one that does must be true afterwards.
	var registered []string
	var refused reply
	for i := 0; refused.Status == 0; i++ {
		if i == 2000 {
			t.Fatal("2,000 registrations on a full disk, none refused: the disk is not full")
		}
		addr := fmt.Sprintf("voll%d@betrieb.example", i)
		a := mustRegister(t, in, addr)
		switch a.Status {
		case http.StatusOK:
			registered = append(registered, addr)
		case http.StatusServiceUnavailable:
			refused = a
		default:
			t.Fatalf("registration on a full disk: %s, want 200 or 503 unavailable\n%s", a, a.Body)
		}
	}
	t.Logf("the disk refused the registration after %d that went in", len(registered))
	checkUnavailable(t, refused, "kann Ihre Anfrage gerade nicht bearbeiten")
	if a := mustRegister(t, in, "voll-english@betrieb.example", "Accept-Language", "en"); a.Status != http.StatusOK {
		checkUnavailable(t, a, "cannot handle your request right now")
	} else {
		registered = append(registered, "voll-english@betrieb.example")
	}
	bobC := browser()
	loggedIn := mustLogin(t, bobC, in, bob)
	if loggedIn.Status != http.StatusSeeOther {
		checkUnavailable(t, loggedIn, "kann Ihre Anfrage gerade nicht bearbeiten")
		bobC = nil
	}
	changed := changePassword()
	if changed.Status != http.StatusSeeOther {
		checkUnavailable(t, changed, "kann Ihre Anfrage gerade nicht bearbeiten")
	}
	konto := mustCall(t, aliceC, "GET", in.URL+"/konto", nil)
	if konto.Status != http.StatusOK {
		checkUnavailable(t, konto, "kann Ihre Anfrage gerade nicht bearbeiten")
	}
	t.Logf("on the full disk: login %s, password change %s, GET /konto %s", loggedIn, changed, konto)
	if strings.Contains(in.Log(), `"internal error"`) {
		t.Errorf("the full disk was logged as an internal error:\n%s", in.Log())
	}

	// Space again: the same requests work, in the same process.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if a := mustRegister(t, in, "wieder@betrieb.example"); a.Status != http.StatusOK {
		t.Fatalf("registration after space was freed: %s\n%s", a, a.Body)
	}
	registered = append(registered, "wieder@betrieb.example")
	if a := mustLogin(t, browser(), in, bob); a.Status != http.StatusSeeOther {
		t.Fatalf("login after space was freed: %s", a)
	}
	if a := changePassword(); a.Status != http.StatusSeeOther {
		t.Fatalf("password change after space was freed: %s", a)
	}

	// Nothing broken, nothing lost: the file is sound, every registration
	// answered as done is there (and its mail goes out), Bob's session of
	// the full disk, if it was answered, opens /konto, and Alice's password
	// is the last one the portal said it set.
	db := openSQLite(t, dbPath)
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q %v", check, err)
	}
	for _, addr := range registered {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM accounts WHERE email = ?`, addr).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s was answered as registered, but %d accounts have the address (%v)", addr, n, err)
		}
		smtp.WaitFor(t, addr, time.Minute)
	}
	if bobC != nil {
		if a := mustCall(t, bobC, "GET", in.URL+"/konto", nil); a.Status != http.StatusOK {
			t.Errorf("Bob's session from the full disk: /konto %s", a)
		}
	}
	if a := mustLogin(t, browser(), in, alice, alicePW); a.Status != http.StatusSeeOther {
		t.Errorf("Alice with the password last set: %s", a)
	}
}

// checkUnavailable checks a refused request: 503, the code, the message in
// the page's language, and when to try again.
func checkUnavailable(t testing.TB, a reply, text string) {
	t.Helper()
	if a.Status != http.StatusServiceUnavailable || a.Code() != "unavailable" || !strings.Contains(a.Body, text) ||
		a.Header.Get("Retry-After") == "" || !strings.Contains(a.Body, `/hilfe#fehler-unavailable`) {
		t.Errorf("on a full disk: %s, Retry-After %q, want 503 unavailable with %q and a link to its help\n%s",
			a, a.Header.Get("Retry-After"), text, a.Body)
	}
}

// fill writes a file into dir until the file system is full and returns
// its path.
func fill(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "fuellung")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for size := len(chunk); size > 0; {
		if _, err := f.Write(chunk[:size]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			size /= 2 // the last pages, smaller and smaller
		}
	}
	return path
}

// mustRegister registers addr with memberPassword; header pairs are sent
// along (Accept-Language).
func mustRegister(t testing.TB, in *instance, addr string, header ...string) reply {
	t.Helper()
	form := url.Values{"email": {addr}, "password": {memberPassword}, "password_repeat": {memberPassword}}
	req, err := http.NewRequest("POST", in.URL+"/registrieren", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	a, err := do(browser(), req)
	if err != nil {
		t.Fatalf("registering %s: %v", addr, err)
	}
	return a
}

// mustLogin signs addr in on c (with memberPassword, or pw).
func mustLogin(t testing.TB, c *http.Client, in *instance, addr string, pw ...string) reply {
	t.Helper()
	password := memberPassword
	if len(pw) > 0 {
		password = pw[0]
	}
	return mustCall(t, c, "POST", in.URL+"/anmelden", url.Values{"email": {addr}, "password": {password}})
}

package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 23
go_gc_duration_seconds{quantile="0.5"} 0.0001
process_resident_memory_bytes 6.8947968e+07
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m["go_goroutines"] != 23 || m["process_resident_memory_bytes"] != 68947968 || len(m) != 2 {
		t.Errorf("parsed %v", m)
	}
	if _, err := parseMetrics(strings.NewReader("<html>not metrics</html>")); err == nil {
		t.Error("a page without samples parsed as metrics")
	}
}

func TestMailLink(t *testing.T) {
	// As /entwicklung/post shows it: newest mail first, & escaped.
	page := `<article class="mail">
  <h2>Ihr Passwort wurde geändert</h2>
  <p>An: a@example.de · erstellt 3. Dezember 2026</p>
  <p><a href="http://localhost:8080/passwort-vergessen">http://localhost:8080/passwort-vergessen</a></p>
</article>
<article class="mail">
  <h2>Passwort zurücksetzen</h2>
  <p>An: aa@example.de · erstellt 3. Dezember 2026</p>
  <p><a href="http://localhost:8080/passwort-neu?token=other&amp;x=1">…</a></p>
</article>
<article class="mail">
  <h2>Passwort zurücksetzen</h2>
  <p>An: a@example.de · erstellt 3. Dezember 2026</p>
  <p><a href="http://localhost:8080/passwort-neu?token=mine&amp;x=1">…</a></p>
</article>
<article class="mail">
  <h2>Passwort zurücksetzen</h2>
  <p>An: a@example.de · erstellt 2. Dezember 2026</p>
  <p><a href="http://localhost:8080/passwort-neu?token=older">…</a></p>
</article>`
	u := mailLink(page, "a@example.de", "/passwort-neu")
	if u == nil || u.Query().Get("token") != "mine" || u.RequestURI() != "/passwort-neu?token=mine&x=1" {
		t.Errorf("link %v, want the newest reset link to a@example.de", u)
	}
	if u := mailLink(page, "a@example.de", "/registrieren/bestaetigen"); u != nil {
		t.Errorf("found %v where no confirmation mail is", u)
	}
}

func TestVerdict(t *testing.T) {
	at := func(rss, routines float64) sample {
		return sample{rss: rss * (1 << 20), heap: -1, files: 20, threads: 9, routines: routines}
	}
	flat := []sample{at(80, 40), at(95, 44), at(84, 38), at(90, 41), at(86, 39), at(88, 42)}
	if v := verdict(flat); !strings.Contains(v, "flat") || strings.Contains(v, "heap") {
		t.Errorf("jitter without growth: %s", v)
	}
	leak := []sample{at(80, 40), at(84, 60), at(88, 80), at(92, 100), at(96, 120), at(100, 140)}
	if v := verdict(leak); !strings.Contains(v, "GROWING: goroutines 50→130") || strings.Contains(v, "GROWING: RSS") {
		t.Errorf("goroutines grow, RSS within bounds: %s", v)
	}
	if v := verdict(flat[:2]); !strings.Contains(v, "too short") {
		t.Errorf("two samples: %s", v)
	}
}

// TestSoak runs a short soak against the real program (built here,
// started as `pforte serve` with the development outbox): every kind of
// load runs without a failure, including the members' confirmation and
// password reset through the mails, each interval prints the server's
// figures, and the run ends with a verdict.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs pforte serve")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pforte")
	if out, err := exec.Command("go", "build", "-o", bin, "pforte/cmd/pforte").CombinedOutput(); err != nil {
		t.Fatalf("building pforte: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	serve := exec.Command(bin, "serve")
	serve.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PFORTE_ADDR=" + addr, "PFORTE_BASE_URL=http://localhost:" + strings.Split(addr, ":")[1],
		"PFORTE_DATA_DIR=" + dir, "PFORTE_ARGON2=m=8192,t=1,p=1", "PFORTE_RATE_LIMITS=off", "PFORTE_LOG_LEVEL=warn"}
	log, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	serve.Stdout, serve.Stderr = log, log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("pforte serve did not come up: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond) // another process: no clock to set
	}

	var out bytes.Buffer
	err = run(context.Background(), []string{"-url", url, "-pid", strconv.Itoa(serve.Process.Pid),
		"-soak", "3s", "-soak-every", "1s", "-soak-accounts", "2",
		"-soak-pages", "10", "-soak-logins", "3", "-soak-members", "2"}, &out)
	if err != nil {
		t.Fatalf("soak: %v\n%s", err, out.String())
	}
	got := out.String()
	t.Log(got)
	interval := regexp.MustCompile(`(?m)^ +\ds  RSS \d+\.\d MiB  heap \d+\.\d MiB  files \d+  threads \d+  goroutines \d+  /konto \d+.*  logins \d+.*  members \d+`)
	if n := len(interval.FindAllString(got, -1)); n != 3 {
		t.Errorf("%d interval lines, want 3", n)
	}
	for _, want := range []string{"password reset by mail", "verdict (means of the first and the last 1 of 3 samples): "} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the output", want)
		}
	}
	if strings.Contains(got, "failed") || strings.Contains(got, "failure:") {
		t.Errorf("requests failed")
	}
	for _, k := range []string{"/konto", "logins", "members"} {
		if m := regexp.MustCompile(regexp.QuoteMeta(k) + ` done: (\d+)`).FindStringSubmatch(got); m == nil || m[1] == "0" {
			t.Errorf("no %s done", k)
		}
	}
}

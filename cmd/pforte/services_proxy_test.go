package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// oauth2ProxyVersion is the oauth2-proxy the test puts in front of a
// legacy service. It is built with `go install` (into the build cache;
// about a minute the first time, seconds after) rather than added to
// go.mod, whose dependency tree it would multiply.
const oauth2ProxyVersion = "v7.15.6"

var (
	proxyOnce sync.Once
	proxyBin  string
	proxyErr  error
)

func oauth2Proxy(t *testing.T) string {
	t.Helper()
	proxyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "oauth2-proxy-")
		if err != nil {
			proxyErr = err
			return
		}
		cmd := exec.Command("go", "install", "github.com/oauth2-proxy/oauth2-proxy/v7@"+oauth2ProxyVersion)
		cmd.Dir = dir // outside this module: install resolves its own go.mod
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			proxyErr = err
			proxyBin = out.String()
			return
		}
		proxyBin = filepath.Join(dir, "oauth2-proxy")
	})
	if proxyErr != nil {
		t.Fatalf("building oauth2-proxy %s (needed under CI): %v\n%s", oauth2ProxyVersion, proxyErr, proxyBin)
	}
	return proxyBin
}

// A legacy service without OIDC behind oauth2-proxy: the member signs in
// through Pforte and the service sees the address in the proxy's headers;
// after logout or an idle timeout the proxy lets nobody through once its
// session refresh runs.
func TestOAuth2ProxyInFront(t *testing.T) {
	bin := oauth2Proxy(t)
	eachPortal(t, map[string]string{"PFORTE_SESSION_IDLE": "4s"}, func(t *testing.T, p *portal) {
		addr := "lena@example.de"
		p.signUp(addr, goodPW)
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("Altanwendung für " + r.Header.Get("X-Forwarded-Email")))
		}))
		defer upstream.Close()
		proxyAddr := freeAddr(t)
		proxyURL := "http://" + proxyAddr
		secret, errOut, err := p.cli("clients", "add", "altanwendung", "--name", "Altanwendung",
			"--redirect-uri", proxyURL+"/oauth2/callback")
		if err != nil {
			t.Fatalf("clients add: %v %s", err, errOut)
		}
		cookieSecret := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, bin,
			"--provider=oidc", "--oidc-issuer-url="+p.env["PFORTE_BASE_URL"],
			"--client-id=altanwendung", "--client-secret="+strings.TrimSpace(secret),
			"--redirect-url="+proxyURL+"/oauth2/callback", "--http-address="+proxyAddr,
			"--upstream="+upstream.URL+"/", "--email-domain=*", "--cookie-secret="+cookieSecret,
			"--cookie-secure=false", "--cookie-refresh=1s", "--skip-provider-button=true",
			"--scope=openid email offline_access", "--code-challenge-method=S256")
		var logs syncBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); cmd.Wait() }()
		waitFor(t, func() bool {
			res, err := http.Get(proxyURL + "/ping")
			if err == nil {
				res.Body.Close()
			}
			return err == nil && res.StatusCode == 200
		})

		// signIn walks the browser from the proxy through Pforte's login
		// and back, and returns what the upstream answers.
		signIn := func() *http.Client {
			c := p.newClient()
			loc := proxyURL + "/"
			for range 12 {
				pg := p.get(c, loc)
				next := pg.Header.Get("Location")
				if pg.Status == 200 {
					if strings.Contains(pg.Body, `action="/anmelden"`) {
						pg = p.post(c, "/anmelden", map[string][]string{"email": {addr}, "password": {goodPW}, "next": {hidden(pg.Body, "next")}})
						next = pg.Header.Get("Location")
					} else {
						if pg.Body != "Altanwendung für "+addr {
							t.Fatalf("upstream answered %q", pg.Body)
						}
						return c
					}
				}
				if next == "" {
					t.Fatalf("stuck at %s: %d\n%s\n%s", loc, pg.Status, pg.Body, logs.String())
				}
				if !strings.HasPrefix(next, "http") {
					base := p.URL
					if strings.HasPrefix(loc, proxyURL) {
						base = proxyURL
					}
					next = base + next
				}
				loc = next
			}
			t.Fatalf("no way through the proxy\n%s", logs.String())
			return nil
		}
		through := func(c *http.Client) bool {
			pg := p.get(c, proxyURL+"/")
			return pg.Status == 200 && strings.HasPrefix(pg.Body, "Altanwendung")
		}

		// Logout at Pforte: after the proxy's next session refresh the
		// member is no longer let through.
		c := signIn()
		pforte := p.newClient()
		pforte.Jar = c.Jar
		p.post(pforte, "/abmelden", nil)
		// The proxy refreshes once its session is older than
		// --cookie-refresh (1 s, in whole seconds): at most 2 s later.
		waitMs(2500)
		if through(c) {
			t.Fatalf("proxy let the member through after logout\n%s", logs.String())
		}

		// Idle timeout: requests through the proxy refresh, which keeps
		// the Pforte session alive; idleness ends it.
		c = signIn()
		for range 4 {
			waitMs(1500)
			if !through(c) {
				t.Fatalf("active member refused\n%s", logs.String())
			}
		}
		waitMs(5000)
		if through(c) {
			t.Fatal("proxy let the member through after the idle timeout")
		}
	})
}

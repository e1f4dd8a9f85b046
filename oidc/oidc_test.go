package oidc_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"pforte/keyring"
	"pforte/oidc"
	"pforte/session"
	"pforte/store"
	"pforte/store/storetest"
)

const issuer = "https://portal.example"

// newProvider starts a provider on db with one confidential client.
func newProvider(t testing.TB, db *store.DB) *oidc.Provider {
	t.Helper()
	keys, err := keyring.Parse(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	p := &oidc.Provider{DB: db, Sessions: &session.Sessions{DB: db, Idle: 10 * time.Minute, Max: 12 * time.Hour},
		Keys: keys, Issuer: issuer, AccessTTL: 5 * time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddClient(context.Background(), store.OIDCClient{ID: "svc", Name: "Dienst",
		RedirectURIs: []string{"https://svc.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	return p
}

// authorize runs one authorization request without a session and
// returns the answer; a request Pforte refuses to redirect is 400 here.
func authorize(p *oidc.Provider, query string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", oidc.PathAuthorize, nil)
	r.URL.RawQuery = query // as the server would hand it over, unchecked
	if err := p.Authorize(w, r, nil); err != nil {
		w.Code = 400
	}
	return w
}

// checkAnswer: never a 500; a redirect only to the registered URI or to
// Pforte's own login step.
func checkAnswer(t *testing.T, query string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%q: %d %s", query, w.Code, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "" {
		if !strings.HasPrefix(loc, "https://svc.example/cb?") && !strings.HasPrefix(loc, oidc.PathLogin+"?id=") {
			t.Fatalf("%q redirects to %s", query, loc)
		}
	} else if w.Code != 400 {
		t.Fatalf("%q: %d without redirect", query, w.Code)
	}
}

func TestAuthorizeAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		p := newProvider(t, storetest.Open(t, dbURL))
		good := url.Values{"client_id": {"svc"}, "redirect_uri": {"https://svc.example/cb"}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"s"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		w := authorize(p, good.Encode())
		if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), oidc.PathLogin+"?id=") {
			t.Fatalf("good request: %d %s", w.Code, w.Header().Get("Location"))
		}
		for _, q := range []string{"", "client_id=svc", "client_id=svc&client_id=svc&redirect_uri=https://svc.example/cb",
			"client_id=x&redirect_uri=https://svc.example/cb", "client_id=svc&redirect_uri=https://svc.example/cb%00",
			"%zz", "client_id=svc&redirect_uri=https://svc.example/cb&max_age=-1&state=s"} {
			checkAnswer(t, q, authorize(p, q))
		}
	})
}

// FuzzAuthorize feeds the authorization request parser arbitrary query
// strings: every answer is a page or a redirect to the registered URI,
// never a 500 or a panic.
func FuzzAuthorize(f *testing.F) {
	db := storetest.Open(f, storetest.SQLiteURL(f))
	p := newProvider(f, db)
	for _, seed := range []string{
		"client_id=svc&redirect_uri=https://svc.example/cb&response_type=code&scope=openid&state=s",
		"client_id=svc&redirect_uri=https://svc.example/cb&response_type=code&scope=openid&max_age=abc&prompt=none+login",
		"client_id=svc&redirect_uri=https://svc.example/cb&response_type=code+id_token&scope=openid&code_challenge=x&code_challenge_method=plain",
		"client_id=svc&redirect_uri=https://svc.example/cb&response_type=code&scope=openid&request=e30.e30.&response_mode=form_post",
		"client_id=svc&redirect_uri=https://svc.example/cb&ui_locales=%FF&id_token_hint=abc&login_hint=" + strings.Repeat("x", 300),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		checkAnswer(t, query, authorize(p, query))
	})
}

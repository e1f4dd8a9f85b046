package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"pforte/store/storetest"
)

// TestProtocolUnavailable: a 500 of a services' endpoint becomes 503 with
// Retry-After when the database does not answer, and stays as it is when
// the database answers (a fault of Pforte's, not an outage); other
// answers pass unchanged, headers and all.
func TestProtocolUnavailable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db := storetest.Open(t, url)
		s := &Server{db: db, log: slog.New(slog.DiscardHandler)}
		answer := func(status int) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Probe", "1")
				w.WriteHeader(status)
				w.Write([]byte(`{"error":"server_error"}`))
			})
		}
		do := func(status int) *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			s.protocolUnavailable(answer(status)).ServeHTTP(w, httptest.NewRequest("POST", "/oidc/token", nil))
			return w
		}
		if w := do(500); w.Code != 500 || w.Header().Get("X-Probe") != "1" || !strings.Contains(w.Body.String(), "server_error") {
			t.Errorf("500 with the database up: %d %q", w.Code, w.Body.String())
		}
		db.Close()
		if w := do(500); w.Code != 503 || w.Header().Get("Retry-After") != "10" || !strings.Contains(w.Body.String(), `"temporarily_unavailable"`) {
			t.Errorf("500 with the database gone: %d %q %q", w.Code, w.Header().Get("Retry-After"), w.Body.String())
		}
		if w := do(200); w.Code != 200 || w.Header().Get("X-Probe") != "1" || w.Body.String() != `{"error":"server_error"}` {
			t.Errorf("200 with the database gone: %d %q", w.Code, w.Body.String())
		}
	})
}

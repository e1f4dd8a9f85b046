package faults

import (
	"net/http"
	"path/filepath"
	"testing"

	"pforte/mail/smtptest"
)

// TestInstanceSurvivesKill checks the harness itself: an instance killed
// with SIGKILL starts again on the same database and address.
func TestInstanceSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	smtp := smtptest.Start(t)
	env := baseEnv("sqlite:"+filepath.Join(dir, "pforte.db"), smtp.URL(), dir)
	in := startInstance(t, env)
	in.Kill()
	if _, err := http.Get(in.URL + "/healthz"); err == nil {
		t.Fatal("the killed instance still answers")
	}
	in.Restart()
	res, err := http.Get(in.URL + "/anmelden")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/anmelden after the restart: %d", res.StatusCode)
	}
}

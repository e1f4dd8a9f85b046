package web

import (
	"testing"

	"pforte/locale"
)

func TestBrowserInWords(t *testing.T) {
	cat, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{catalog: cat}
	for ua, want := range map[string][2]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                        {"Firefox unter Windows", "Firefox on Windows"},
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":           {"Edge unter Windows", "Edge on Windows"},
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": {"Safari auf dem iPhone", "Safari on an iPhone"},
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36":                   {"Chrome unter Android", "Chrome on Android"},
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15":                   {"Safari unter macOS", "Safari on macOS"},
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36":                           {"Chrome (ohne Fenster) unter Linux", "Chrome (headless) on Linux"},
		"SomeTool (Windows NT 10.0)": {"Browser unter Windows", "Browser on Windows"},
		"Go-http-client/1.1":         {"Unbekannter Browser", "Unknown browser"},
		"":                           {"Unbekannter Browser", "Unknown browser"},
	} {
		for i, l := range locale.Langs {
			if got := s.browserInWords(l, ua); got != want[i] {
				t.Errorf("%s %q: %q, want %q", l, ua, got, want[i])
			}
		}
	}
}

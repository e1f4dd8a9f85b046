package pforte

import (
	"testing"
	"time"
)

func TestGermanDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{72 * time.Hour, "72 Stunden"},
		{time.Hour, "1 Stunde"},
		{30 * time.Minute, "30 Minuten"},
		{10 * time.Minute, "10 Minuten"},
		{time.Minute, "1 Minute"},
		{90 * time.Minute, "1 Stunde und 30 Minuten"},
		{2*time.Hour + time.Minute, "2 Stunden und 1 Minute"},
		{61 * time.Second, "2 Minuten"},
		{90 * time.Second, "2 Minuten"},
		{0, "1 Minute"},
	} {
		if got := GermanDuration(c.d); got != c.want {
			t.Errorf("GermanDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestGermanDate(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC), "Montag, 3. März 2025"},
		{time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC), "Donnerstag, 1. Januar 2026"}, // already the next day in Berlin
	} {
		if got := GermanDate(c.t); got != c.want {
			t.Errorf("GermanDate(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestGermanDateTime(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2025, 3, 3, 13, 5, 0, 0, time.UTC), "Montag, 3. März 2025, um 14:05 Uhr (MEZ)"},
		{time.Date(2025, 7, 1, 22, 30, 0, 0, time.UTC), "Mittwoch, 2. Juli 2025, um 00:30 Uhr (MESZ)"},
	} {
		if got := GermanDateTime(c.t); got != c.want {
			t.Errorf("GermanDateTime(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestGermanCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 Konten", 1: "1 Konto", 2: "2 Konten", 48211: "48211 Konten"} {
		if got := GermanCount(n, "Konto", "Konten"); got != want {
			t.Errorf("GermanCount(%d) = %q, want %q", n, got, want)
		}
	}
	if got := GermanCount(int64(1), "Passwort", "Passwörter"); got != "1 Passwort" {
		t.Errorf("int64: %q", got)
	}
}

package pforte

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	good := map[string]time.Time{
		"2019-01-01":                time.Date(2018, 12, 31, 23, 0, 0, 0, time.UTC), // midnight in Berlin (CET)
		" 2019-07-01 ":              time.Date(2019, 6, 30, 22, 0, 0, 0, time.UTC),  // CEST
		"2019-01-01T00:00:00Z":      time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC),
		"2019-01-01T08:30:00+01:00": time.Date(2019, 1, 1, 7, 30, 0, 0, time.UTC),
		"2019-01-01T08:30:00.5Z":    time.Date(2019, 1, 1, 8, 30, 0, 5e8, time.UTC),
	}
	for in, want := range good {
		got, err := ParseDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2019-13-01", "2019-02-30", "01.01.2019", "2019-01-01 08:00", "2019-01-01T08:00", "gestern", "1546300800"} {
		if got, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", in, got)
		}
	}
}

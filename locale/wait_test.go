package locale

import "testing"

// Below two minutes a wait is said exactly, in minutes and seconds; never
// "0 Minuten" nor "1 Minute" for 119 seconds.
func TestWait(t *testing.T) {
	for secs, want := range map[int]string{
		0: "0 Sekunden", 1: "1 Sekunde", 59: "59 Sekunden", 60: "1 Minute", 61: "1 Minute und 1 Sekunde",
		90: "1 Minute und 30 Sekunden", 119: "1 Minute und 59 Sekunden", 120: "2 Minuten", 121: "3 Minuten", 3600: "1 Stunde",
	} {
		if got := Wait(German, secs); got != want {
			t.Errorf("Wait(%d) = %q, want %q", secs, got, want)
		}
	}
	for secs, want := range map[int]string{1: "1 second", 45: "45 seconds", 119: "1 minute and 59 seconds", 180: "3 minutes"} {
		if got := Wait(English, secs); got != want {
			t.Errorf("Wait(en, %d) = %q, want %q", secs, got, want)
		}
	}
}

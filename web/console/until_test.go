package console

import (
	"testing"
	"time"

	"pforte"
)

// A validity ending at midnight in Berlin reads as the last minute of the
// day before, whatever zone the instant comes in and in summer time too.
func TestUntilTime(t *testing.T) {
	for _, c := range []struct {
		end  time.Time
		want string
	}{
		{time.Date(2026, 3, 15, 0, 0, 0, 0, pforte.DateZone), "14.03.2026 23:59"},
		{time.Date(2026, 3, 14, 23, 0, 0, 0, time.UTC), "14.03.2026 23:59"}, // midnight CET
		{time.Date(2026, 7, 1, 22, 0, 0, 0, time.UTC), "01.07.2026 23:59"},  // midnight CEST
		{time.Date(2026, 7, 1, 12, 30, 0, 0, time.UTC), "01.07.2026 14:29"},
		{time.Time{}, "–"},
	} {
		if got := untilTime(c.end); got != c.want {
			t.Errorf("untilTime(%v) = %q, want %q", c.end, got, c.want)
		}
	}
}

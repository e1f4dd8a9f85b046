package locale

import (
	"fmt"
	"strings"
	"time"

	"pforte"
	"pforte/throttle"
)

// Dates and durations in each language; German is pforte's wording (one
// for mails, pages and PDFs), English says the same in British English.

var (
	englishWeekdays = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	englishMonths   = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// Date writes the day of t in l: "Monday, 3 March 2025".
func Date(l Lang, t time.Time) string {
	if l != English {
		return pforte.GermanDate(t)
	}
	t = t.In(pforte.DateZone)
	return fmt.Sprintf("%s, %d %s %d", englishWeekdays[t.Weekday()], t.Day(), englishMonths[t.Month()-1], t.Year())
}

// DateTime writes t with date, time and German zone in l:
// "Monday, 3 March 2025, 14:05 (CET)".
func DateTime(l Lang, t time.Time) string {
	if l != English {
		return pforte.GermanDateTime(t)
	}
	t = t.In(pforte.DateZone)
	zone, _ := t.Zone()
	return fmt.Sprintf("%s, %s (%s)", Date(l, t), t.Format("15:04"), zone)
}

// Duration writes d in hours and minutes in l, rounded up to whole minutes
// as pforte.GermanDuration does: "1 hour and 30 minutes".
func Duration(l Lang, d time.Duration) string {
	if l != English {
		return pforte.GermanDuration(d)
	}
	minutes := int64((d + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	hours, minutes := minutes/60, minutes%60
	var parts []string
	if hours > 0 {
		parts = append(parts, count(hours, "hour", "hours"))
	}
	if minutes > 0 {
		parts = append(parts, count(minutes, "minute", "minutes"))
	}
	return strings.Join(parts, " and ")
}

func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Wait writes a wait of secs seconds in l, as throttle.Wait does in German.
func Wait(l Lang, secs int) string {
	if l != English {
		return throttle.Wait(secs)
	}
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 90:
		return fmt.Sprintf("%d seconds", secs)
	}
	return Duration(l, time.Duration(secs)*time.Second)
}

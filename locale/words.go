package locale

import (
	"fmt"
	"time"

	"pforte"
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
	return pforte.DurationIn(d, "hour", "hours", "minute", "minutes", " and ")
}

// Wait writes a wait of secs seconds in l: seconds below a minute and a
// half, else as Duration ("30 Sekunden", "2 Minuten").
func Wait(l Lang, secs int) string {
	one, many := "Sekunde", "Sekunden"
	if l == English {
		one, many = "second", "seconds"
	}
	switch {
	case secs <= 1:
		return "1 " + one
	case secs < 90:
		return fmt.Sprintf("%d %s", secs, many)
	}
	return Duration(l, time.Duration(secs)*time.Second)
}

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

// Wait writes a wait of secs seconds in l: below two minutes exactly, in
// minutes and seconds ("45 Sekunden", "1 Minute und 59 Sekunden"), so that
// a countdown never reads "1 Minute" for 119 seconds nor "0 Minuten";
// from two minutes on as Duration ("2 Minuten"). web/static/form.js
// (pforteWait) writes the same.
func Wait(l Lang, secs int) string {
	sec, secs1, min, and := "Sekunde", "Sekunden", "1 Minute", " und "
	if l == English {
		sec, secs1, min, and = "second", "seconds", "1 minute", " and "
	}
	count := func(n int) string {
		if n == 1 {
			return "1 " + sec
		}
		return fmt.Sprintf("%d %s", n, secs1)
	}
	switch {
	case secs < 60:
		return count(max(secs, 0))
	case secs == 60:
		return min
	case secs < 120:
		return min + and + count(secs-60)
	}
	return Duration(l, time.Duration(secs)*time.Second)
}

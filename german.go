package pforte

import (
	"fmt"
	"strings"
	"time"
)

// German wording of dates and durations, one for mails, pages, PDFs and
// error messages, so that Pforte says the same thing everywhere. Dates are
// read in German time (DateZone, Europe/Berlin).

var (
	germanWeekdays = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	germanMonths   = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
)

// GermanDate writes t as a German reads it, in Berlin time:
// "Montag, 3. März 2025".
func GermanDate(t time.Time) string {
	t = t.In(DateZone)
	return fmt.Sprintf("%s, %d. %s %d", germanWeekdays[t.Weekday()], t.Day(), germanMonths[t.Month()-1], t.Year())
}

// GermanDateTime writes t with date, time and zone, in Berlin time:
// "Montag, 3. März 2025, um 14:05 Uhr (MEZ)".
func GermanDateTime(t time.Time) string {
	t = t.In(DateZone)
	zone, _ := t.Zone()
	switch zone {
	case "CET":
		zone = "MEZ"
	case "CEST":
		zone = "MESZ"
	}
	return fmt.Sprintf("%s, um %s Uhr (%s)", GermanDate(t), t.Format("15:04"), zone)
}

// GermanDuration writes a duration in hours and minutes: "72 Stunden",
// "1 Stunde", "30 Minuten", "1 Stunde und 30 Minuten". Parts of a minute
// count as a whole one (90 s reads "2 Minuten"), so that it never promises
// time that is not there (a link's lifetime) nor asks for too short a wait
// (a throttle); less than a minute reads "1 Minute".
func GermanDuration(d time.Duration) string {
	return DurationIn(d, "Stunde", "Stunden", "Minute", "Minuten", " und ")
}

// DurationIn is GermanDuration with the words of another language (the
// nouns and the word between hours and minutes), rounded the same way.
func DurationIn(d time.Duration, hour, hours, minute, minutes, and string) string {
	m := int64((d + time.Minute - 1) / time.Minute)
	if m < 1 {
		m = 1
	}
	h, m := m/60, m%60
	var parts []string
	if h > 0 {
		parts = append(parts, germanCount(h, hour, hours))
	}
	if m > 0 {
		parts = append(parts, germanCount(m, minute, minutes))
	}
	return strings.Join(parts, and)
}

// GermanCount writes n with the singular or plural noun: "1 Konto",
// "2 Konten", "0 Konten" — for the command line, whose German is not in
// the catalog (the pages use its plural forms).
func GermanCount[N ~int | ~int64](n N, one, many string) string {
	return germanCount(int64(n), one, many)
}

// germanCount writes n with the singular or plural noun: "1 Stunde",
// "2 Stunden".
func germanCount(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// GermanOf names a body in the genitive after a noun: "der Handwerkskammer
// Musterstadt" for a Kammer or Innung, else "von NAME" ("" for no name).
func GermanOf(name string) string {
	n := strings.ToLower(name)
	switch {
	case name == "":
		return ""
	case strings.Contains(n, "kammer") || strings.Contains(n, "innung"):
		return "der " + name
	}
	return "von " + name
}

package pforte

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Berlin must work on hosts without a zoneinfo database.
)

// DateZone is the time zone of a bare date (YYYY-MM-DD) on the command
// line and in imported files: the chamber's operators and its old system
// count days in German time.
var DateZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// ParseDate reads a date as the contract writes it (§1): RFC 3339
// ("2019-01-01T00:00:00Z", with any offset) or a bare day ("2019-01-01"),
// which means the start of that day in DateZone. One function for every
// command and file, so that "before 2019-01-01" means the same everywhere.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, DateZone); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s ist kein Datum (erwartet JJJJ-MM-TT oder RFC 3339, z. B. 2019-01-01 oder 2019-01-01T08:00:00+01:00)", Quote(s))
}

package web

import "strings"

// browserInWords names a browser from its User-Agent for the member's list
// of sessions: "Firefox unter Windows", "Safari auf dem iPhone". The order
// matters: Edge and Opera call themselves Chrome too, Chrome calls itself
// Safari.
func browserInWords(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Chrome (ohne Fenster)"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, words string }{
		{"iPhone", "auf dem iPhone"}, {"iPad", "auf dem iPad"}, {"Android", "unter Android"},
		{"Windows", "unter Windows"}, {"Mac OS X", "unter macOS"}, {"Macintosh", "unter macOS"},
		{"CrOS", "unter ChromeOS"}, {"Linux", "unter Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.words
			break
		}
	}
	switch {
	case browser == "" && system == "":
		return "Unbekannter Browser"
	case browser == "":
		return "Browser " + system
	case system == "":
		return browser
	}
	return browser + " " + system
}

package web

import (
	"strings"

	"pforte/locale"
)

// browserInWords names a browser from its User-Agent in language l, for
// the member's list of sessions and the name of a new passkey: "Firefox
// unter Windows", "Safari on an iPhone". The order matters: Edge and
// Opera call themselves Chrome too, Chrome calls itself Safari. Browser
// names are names in every language; the words around them are the
// catalog's (browser.*).
func (s *Server) browserInWords(l locale.Lang, ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", s.catalog.Must(l, "browser.headless-chrome")}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, id string }{
		{"iPhone", "iphone"}, {"iPad", "ipad"}, {"Android", "android"},
		{"Windows", "windows"}, {"Mac OS X", "macos"}, {"Macintosh", "macos"},
		{"CrOS", "chromeos"}, {"Linux", "linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = s.catalog.Must(l, "browser.on."+o.id)
			break
		}
	}
	switch {
	case browser == "" && system == "":
		return s.catalog.Must(l, "browser.unknown")
	case browser == "":
		browser = s.catalog.Must(l, "browser.some")
	case system == "":
		return browser
	}
	return browser + " " + system
}

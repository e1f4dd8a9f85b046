package document

import (
	"embed"
	"strings"
	"time"

	"pforte"
)

// GuideStep is one step of the illustrated guide, the same in the HTML
// guide (/hilfe/anleitung) and in the PDF (/hilfe/anleitung.pdf): a
// heading, what to do, and a picture of the real page the step happens on.
type GuideStep struct {
	// ID names the step's anchor and its picture (pictures/ID.png).
	ID    string
	Title string
	// Template is the portal page the picture shows (web/templates/NAME.html):
	// when that page changes, the picture is outdated and a test says so.
	Template string
	// Do are the actions, in order; Note is what to know besides.
	Do   []string
	Note string
	// Alt describes the picture for people who cannot see it.
	Alt string
}

// GuideSteps are the steps from the first visit to a linked business and
// "Passwort vergessen". baseURL makes the addresses shown; idle is the
// session's idle timeout.
func GuideSteps(baseURL string, idle time.Duration) []GuideStep {
	url := func(path string) string { return portalURL(baseURL, path) }
	return []GuideStep{
		{ID: "startseite", Title: "Das Kundenportal öffnen", Template: "start",
			Do:  []string{"Öffnen Sie " + url("/") + " in Ihrem Browser. Die Startseite sagt, was das Kundenportal bietet; oben finden Sie „Anmelden“, „Registrieren“ und „Hilfe“."},
			Alt: "Die Startseite des Kundenportals mit den Schaltflächen „Anmelden“ und „Neu hier? Registrieren“."},
		{ID: "registrieren", Title: "Registrieren", Template: "registrieren",
			Do: []string{"Klicken Sie auf „Registrieren“ (" + url("/registrieren") + ").",
				"Geben Sie Ihre E-Mail-Adresse ein und zweimal dasselbe Passwort. Die Liste unter den Feldern zeigt beim Tippen, welche Regeln Ihr Passwort schon erfüllt (siehe „Regeln für Ihr Passwort“).",
				"Klicken Sie auf „Registrieren“."},
			Note: "Mit „Passwort anzeigen“ sehen Sie, was Sie getippt haben.",
			Alt:  "Das Formular „Registrieren“ mit E-Mail-Adresse, Passwort, Wiederholung und der Liste der Passwortregeln, alle mit Häkchen."},
		{ID: "postfach", Title: "Ihr Postfach prüfen", Template: "post-pruefen",
			Do: []string{"Die Seite nennt die Adresse, an die wir eine E-Mail mit einem Link geschickt haben. Öffnen Sie diese E-Mail. Finden Sie sie nicht, sehen Sie bitte auch im Spam-Ordner nach."},
			Note: "Besteht für die Adresse schon ein Konto, erhalten Sie stattdessen eine E-Mail mit einem Hinweis darauf. " +
				"Wurde Ihr Konto wegen langer Nichtnutzung gelöscht, registrieren Sie sich bitte neu und beantragen Sie die PIN für Ihren Betrieb neu.",
			Alt: "Die Seite „Bitte prüfen Sie Ihr Postfach“ mit der eingegebenen E-Mail-Adresse."},
		{ID: "bestaetigen", Title: "E-Mail-Adresse bestätigen", Template: "bestaetigen",
			Do:   []string{"Öffnen Sie den Link in der E-Mail.", "Klicken Sie auf „E-Mail-Adresse bestätigen“. Damit ist Ihre Adresse bestätigt, und Sie können sich anmelden."},
			Note: "Der Link gilt nur eine begrenzte Zeit und nur einmal. Öffnen Sie ihn nach der Bestätigung noch einmal, führt er Sie zur Anmeldung.",
			Alt:  "Die Seite „E-Mail-Adresse bestätigen“ mit der Schaltfläche zum Bestätigen."},
		{ID: "anmelden", Title: "Anmelden", Template: "anmelden",
			Do: []string{"Öffnen Sie " + url("/anmelden") + ".",
				"Geben Sie Ihre E-Mail-Adresse und Ihr Passwort ein und klicken Sie auf „Anmelden“."},
			Note: "Aus Sicherheitsgründen werden Sie nach " + pforte.GermanDuration(idle) + " ohne Aktivität automatisch abgemeldet. Kurz vorher weist Sie die Seite darauf hin; mit einem Klick bleiben Sie angemeldet.",
			Alt:  "Das Formular „Anmelden“ mit E-Mail-Adresse und Passwort."},
		{ID: "konto", Title: "Mein Konto", Template: "konto",
			Do: []string{"Nach der Anmeldung sehen Sie „Mein Konto“ (" + url("/konto") + "). Hier ändern Sie Ihr Passwort, sehen Ihre Betriebe und beantragen die PIN für Ihren Betrieb.",
				"Wenn Sie fertig sind, klicken Sie auf „Abmelden“ – besonders an einem Rechner, den auch andere benutzen."},
			Alt: "Die Seite „Mein Konto“ mit E-Mail-Adresse, letzter Anmeldung und dem Abschnitt „Meine Betriebe“."},
		{ID: "pin-beantragen", Title: "Die PIN für Ihren Betrieb beantragen", Template: "betrieb-pin-beantragen",
			Do: []string{"Klicken Sie unter „Mein Konto“ auf „PIN für einen Betrieb beantragen“ (" + url("/betrieb/pin-beantragen") + ").",
				"Geben Sie die Betriebsnummer Ihres Betriebs ein und klicken Sie auf „PIN per Brief anfordern“."},
			Note: "Für die Dienste Ihres Betriebs verknüpfen Sie Ihr Konto mit dem Betrieb. Die PIN dafür schicken wir per Brief an die im Register eingetragene Anschrift des Betriebs. Aus Sicherheitsgründen wird die PIN weder angezeigt noch per E-Mail versandt.",
			Alt:  "Das Formular „PIN für Ihren Betrieb beantragen“ mit dem Feld Betriebsnummer."},
		{ID: "pin-beantragt", Title: "Auf den Brief warten", Template: "betrieb-pin-beantragt",
			Do:   []string{"Die Seite bestätigt Ihren Antrag und nennt den Ort, an den der Brief geht. Warten Sie auf den Brief mit der PIN; er nennt auch, bis wann die PIN gilt."},
			Note: "Die Zustellung dauert in der Regel 2–4 Werktage. Bis dahin steht unter „Mein Konto“, dass der Brief unterwegs ist.",
			Alt:  "Die Bestätigung „PIN beantragt“ mit Postleitzahl und Ort des Betriebs."},
		{ID: "verknuepfen", Title: "Den Betrieb mit der PIN verknüpfen", Template: "betrieb-verknuepfen",
			Do: []string{"Öffnen Sie " + url("/betrieb/verknuepfen") + " oder klicken Sie unter „Mein Konto“ auf „Brief erhalten? Betrieb mit PIN verknüpfen“.",
				"Geben Sie die Betriebsnummer und die PIN aus dem Brief ein. Die Bindestriche in der PIN können Sie mit eingeben oder weglassen.",
				"Klicken Sie auf „Betrieb verknüpfen“."},
			Note: "Jede PIN gilt nur einmal. Mit jedem neuen Brief wird die PIN aus einem früheren Brief ungültig.",
			Alt:  "Das Formular „Betrieb verknüpfen“ mit Betriebsnummer und PIN."},
		{ID: "betrieb", Title: "Die Dienste Ihres Betriebs", Template: "betrieb-dienste",
			Do:  []string{"Fertig: Ihr Konto ist mit dem Betrieb verknüpft. Die Dienste Ihres Betriebs finden Sie ab jetzt unter " + url("/betrieb") + "."},
			Alt: "Die Seite des Betriebs mit Betriebsnummer, Anschrift und den Online-Diensten."},
		{ID: "passwort-vergessen", Title: "Passwort vergessen", Template: "passwort-vergessen",
			Do: []string{"Gehen Sie auf die Seite " + url("/passwort-vergessen") + ".",
				"Geben Sie die E-Mail-Adresse ein, mit der Sie sich anmelden, und klicken Sie auf „Link senden“.",
				"Öffnen Sie den Link in der E-Mail, die wir Ihnen schicken, und legen Sie ein neues Passwort nach den Regeln fest.",
				"Ihr Passwort ist geändert. Sie können sich ab sofort mit Ihrer E-Mail-Adresse und dem neuen Passwort anmelden."},
			Note: "Aus Sicherheitsgründen zeigt die Seite nicht an, ob es zu einer Adresse ein Konto gibt; die E-Mail kommt nur, wenn es eines gibt. " +
				"Nach der Änderung werden Sie überall sonst abgemeldet, und wir schicken Ihnen eine E-Mail darüber. Haben Sie Ihr Passwort nicht selbst geändert, melden Sie sich bitte sofort bei uns.",
			Alt: "Das Formular „Passwort vergessen“ mit dem Feld E-Mail-Adresse."},
	}
}

//go:embed pictures
var pictures embed.FS

// Picture is the PNG of a step (nil if there is none): a picture of the
// real page, taken in chromium by `go test ./cmd/pforte -run TestGuidePictures -update`.
func Picture(id string) []byte {
	b, err := pictures.ReadFile("pictures/" + id + ".png")
	if err != nil {
		return nil
	}
	return b
}

// PictureSources are the hashes of the pages the pictures were taken
// from, by step ID (pictures/sources.txt: "ID HASH" per line).
func PictureSources() map[string]string {
	b, _ := pictures.ReadFile("pictures/sources.txt")
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if id, hash, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			out[id] = hash
		}
	}
	return out
}

package document

import (
	"errors"
	"fmt"
	"time"

	"github.com/signintech/gopdf"

	"pforte"
)

// Guide renders the Schritt-für-Schritt-Anleitung served as
// /hilfe/anleitung.pdf: a German A4 PDF for people who would rather print
// the steps than read them on screen. It covers registering, confirming the
// address, logging in, "Passwort vergessen", the password rules, the
// automatic logout, linking a business with the PIN letter, what each error
// message means, and the contact.
//
// rules are the password rules as German lines, passed in so that the
// policy stays their single source; idle is the session's idle timeout, as
// configured. baseURL is the portal's public URL, for the addresses shown.
func Guide(s Sender, baseURL string, rules []string, idle time.Duration) ([]byte, error) {
	if baseURL == "" {
		return nil, errNoBaseURL
	}
	if len(rules) == 0 {
		return nil, errors.New("document: guide without password rules")
	}
	if idle <= 0 {
		return nil, errors.New("document: guide without idle timeout")
	}
	const title = "Kundenportal: Schritt-für-Schritt-Anleitung"
	sh, err := newSheet(gopdf.PdfInfo{
		Title:   title,
		Author:  s.Name,
		Subject: "Registrierung, Anmeldung, Passwort und Betriebs-PIN im Kundenportal",
		Creator: "Pforte",
	})
	if err != nil {
		return nil, err
	}
	sh.left, sh.right, sh.top, sh.bottom = 25, 185, 28, 275
	pages := 0
	sh.page = func() {
		pages++
		sh.use(styleSmall)
		sh.text(sh.left, 13, s.Name)
		sh.textRight(sh.right, 13, "Kundenportal – Anleitung")
		sh.rule(18, 170)
		sh.rule(280, 170)
		sh.text(sh.left, 282, joinNonEmpty(" · ", s.Email, s.Phone, s.Web))
		// The page count is known only at the end: leave room for
		// "Seite n von m", one placeholder per page.
		sh.pdf.SetXY(sh.right-30, 282+sh.cur.size*0.8*ptMM)
		if err := sh.pdf.PlaceHolderText(fmt.Sprintf("page%d", pages), 30); err != nil && sh.err == nil {
			sh.err = err
		}
	}
	sh.addPage()

	url := func(path string) string { return portalURL(baseURL, path) }
	idleText := pforte.GermanDuration(idle)
	contact := "Haben Sie Fragen? " + s.contact()

	sh.para(styleTitle, sh.left, title)
	sh.space(2)
	sh.para(styleBody, sh.left, "Diese Anleitung führt Sie Schritt für Schritt durch das Kundenportal "+of(s.Name)+": "+
		"von der Registrierung über die Anmeldung und ein neues Passwort bis zur Verknüpfung mit Ihrem Betrieb. "+
		"Das Kundenportal erreichen Sie unter "+baseURL+".")

	section := func(n int, head string) {
		sh.space(5)
		// Keep the heading with at least two lines of what follows.
		sh.fits(styleH2.lineHeight() + 3*styleBody.lineHeight())
		sh.para(styleH2, sh.left, fmt.Sprintf("%d. %s", n, head))
		sh.space(1)
	}
	steps := func(lines ...string) {
		for i, l := range lines {
			sh.item(styleBody, fmt.Sprintf("%d.", i+1), l)
		}
	}
	note := func(text string) {
		sh.space(1)
		sh.para(styleBody, sh.left, text)
	}

	n := 0
	for _, st := range GuideSteps(baseURL, idle) {
		n++
		section(n, st.Title)
		steps(st.Do...)
		if st.Note != "" {
			note(st.Note)
		}
		sh.picture(Picture(st.ID), 120)
	}

	n++
	section(n, "Regeln für Ihr Passwort")
	sh.para(styleBody, sh.left, "Ihr neues Passwort muss diese Regeln erfüllen:")
	sh.space(1)
	for _, r := range rules {
		sh.item(styleBody, "•", r)
	}
	note("Beim Eingeben zeigt Ihnen die Seite, welche Regeln Ihr Passwort schon erfüllt. " +
		"Tipp: Ein Satz aus mehreren Wörtern mit Zahl und Satzzeichen ist leicht zu merken und schwer zu erraten.")

	n++
	section(n, "Automatische Abmeldung nach "+idleText)
	sh.para(styleBody, sh.left, "Aus Sicherheitsgründen werden Sie nach "+idleText+" ohne Aktivität automatisch abgemeldet. "+
		"Kurz vorher weist Sie die Seite darauf hin; mit einem Klick bleiben Sie angemeldet. "+
		"Wurden Sie abgemeldet, melden Sie sich einfach mit Ihren Zugangsdaten erneut an.")

	n++
	section(n, "Fehlermeldungen und was sie bedeuten")
	for _, e := range guideErrors(url, idleText, s) {
		sh.space(1.5)
		sh.fits(styleBold.lineHeight() + 2*styleBody.lineHeight())
		sh.para(styleBold, sh.left, e[0])
		sh.para(styleBody, sh.left+5, e[1])
	}

	n++
	section(n, "Kontakt")
	sh.para(styleBody, sh.left, contact+" Weitere Antworten auf häufige Fragen finden Sie unter "+url("/hilfe")+".")
	sh.space(2)
	for _, line := range []string{s.Name, s.Street, s.cityLine(), label("E-Mail", s.Email), label("Telefon", s.Phone), label("Internet", s.Web)} {
		if line != "" {
			sh.para(styleBody, sh.left+5, line)
		}
	}

	if sh.err == nil {
		sh.use(styleSmall)
		for p := 1; p <= pages; p++ {
			if err := sh.pdf.FillInPlaceHoldText(fmt.Sprintf("page%d", p), fmt.Sprintf("Seite %d von %d", p, pages), gopdf.Right); err != nil {
				return nil, fmt.Errorf("document: page number: %w", err)
			}
		}
	}
	return sh.bytes()
}

// guideErrors lists each error message the portal can show, as a heading
// and what it means and what to do; the order follows a user's way through
// the portal.
func guideErrors(url func(string) string, idle string, s Sender) [][2]string {
	return [][2]string{
		{"E-Mail-Adresse oder Passwort falsch",
			"Prüfen Sie die Schreibweise, auch Groß- und Kleinschreibung. Aus Sicherheitsgründen sagen wir nicht, welches von beiden " +
				"falsch war. Haben Sie Ihr Passwort vergessen, folgen Sie dem Abschnitt „Passwort vergessen“. Haben Sie noch kein Konto, registrieren Sie sich."},
		{"E-Mail-Adresse noch nicht bestätigt",
			"Ihr Passwort stimmt, aber Sie haben Ihre Adresse noch nicht bestätigt. Öffnen Sie den Link in der E-Mail, die wir Ihnen " +
				"nach der Registrierung geschickt haben (Abschnitt „E-Mail-Adresse bestätigen“)."},
		{"Passwort abgelaufen",
			"Ihr bisheriges Passwort darf nicht mehr verwendet werden, zum Beispiel nach einer neuen Passwortrichtlinie. " +
				"Legen Sie über " + url("/passwort-vergessen") + " ein neues fest (Abschnitt „Passwort vergessen“)."},
		{"Zu viele Versuche",
			"Nach mehreren Fehlversuchen sperren wir weitere Versuche für kurze Zeit. Die Seite sagt Ihnen, wann Sie es wieder versuchen können."},
		{"Passwort erfüllt die Regeln nicht",
			"Die Seite nennt jede Regel, die Ihr neues Passwort nicht erfüllt. Wählen Sie ein anderes Passwort (Abschnitt „Regeln für Ihr Passwort“)."},
		{"Ungültige E-Mail-Adresse",
			"Die Eingabe ist keine E-Mail-Adresse. Prüfen Sie sie auf Tippfehler; sie hat die Form name@beispiel.de."},
		{"Link ungültig oder abgelaufen",
			"Der Link aus der E-Mail ist unbekannt, abgelaufen oder wurde schon benutzt. Für ein neues Passwort fordern Sie über " +
				url("/passwort-vergessen") + " einen neuen Link an. Ging es um die Bestätigung Ihrer Adresse, oder hilft das nicht: " +
				s.contact()},
		{"Sitzung abgelaufen",
			"Sie wurden nach " + idle + " ohne Aktivität automatisch abgemeldet. Melden Sie sich erneut an."},
		{"Keine Zugriffsberechtigung",
			"Sie sind angemeldet, haben aber kein Recht auf diese Seite. Für die Dienste eines Betriebs muss Ihr Konto mit dem " +
				"Betrieb verknüpft sein (Abschnitt „Den Betrieb mit der PIN verknüpfen“). Erscheint der Fehler trotz korrekter Anmeldung: " + s.contact()},
		{"PIN ungültig",
			"Die PIN ist falsch oder abgelaufen, oder die Betriebsnummer ist unbekannt. Prüfen Sie beides anhand des Briefs; " +
				"ist die PIN abgelaufen, beantragen Sie eine neue."},
		{"PIN gesperrt",
			"Für diesen Betrieb wurde zu oft eine falsche PIN eingegeben. Versuchen Sie es später erneut; hilft das nicht, schreiben Sie uns."},
		{"Ungültige Anfrage",
			"Die Eingabe war fehlerhaft oder zu lang. Laden Sie die Seite neu und versuchen Sie es noch einmal."},
	}
}

// Package pforte holds the domain of the login service: the error codes of
// the contract, the account and the events that other packages share. It
// imports nothing of the project, so every other package may depend on it.
package pforte

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code of the contract (§5). Pages carry it
// as data-error-code; the help page explains each one under #fehler-CODE.
type Code string

// The error codes of the contract. Internal is ours: anything unexpected,
// shown to the user without details and logged for the operator.
// Unavailable is ours too: the database (or the disk under it) cannot be
// reached for a moment; the member is asked to try again shortly.
const (
	InvalidCredentials Code = "invalid-credentials"
	NotConfirmed       Code = "not-confirmed"
	PasswordExpired    Code = "password-expired"
	Throttled          Code = "throttled"
	Policy             Code = "policy"
	InvalidEmail       Code = "invalid-email"
	TokenInvalid       Code = "token-invalid"
	SessionExpired     Code = "session-expired"
	Forbidden          Code = "forbidden"
	PINInvalid         Code = "pin-invalid"
	PINLocked          Code = "pin-locked"
	BadRequest         Code = "bad-request"
	MFAInvalid         Code = "mfa-invalid"
	NotFound           Code = "not-found"
	Unavailable        Code = "unavailable"
	Internal           Code = "internal"
)

// UnavailableRetry is the Retry-After, in seconds, of an Unavailable
// error: about what a database restart takes.
const UnavailableRetry = 10

// CodeInfo is what the user learns about a code: the HTTP status that goes
// with it, a German title, and the remedy shown on the help page.
type CodeInfo struct {
	Code   Code
	Status int
	Title  string
	Remedy string
}

// Codes is the one list of error codes, in the order the help page shows them.
var Codes = []CodeInfo{
	{InvalidCredentials, 401, "E-Mail-Adresse oder Passwort falsch",
		"Prüfen Sie die E-Mail-Adresse und das Passwort (Groß- und Kleinschreibung beachten). Wenn Sie Ihr Passwort nicht mehr wissen, nutzen Sie „Passwort vergessen“. Sind Sie noch nicht registriert, registrieren Sie sich bitte neu."},
	{NotConfirmed, 403, "E-Mail-Adresse noch nicht bestätigt",
		"Öffnen Sie den Link in der Bestätigungsmail, die wir Ihnen nach der Registrierung geschickt haben. Sie können die Mail auf der Anmeldeseite erneut anfordern."},
	{PasswordExpired, 403, "Passwort abgelaufen",
		"Ihr bisheriges Passwort gilt nicht mehr, zum Beispiel wegen einer neuen Passwort-Richtlinie. Legen Sie über „Passwort vergessen“ ein neues Passwort an; das bisherige dürfen Sie nicht wieder verwenden."},
	{Throttled, 429, "Zu viele Versuche",
		"Aus Sicherheitsgründen ist eine Pause nötig. Warten Sie die angegebene Zeit ab und versuchen Sie es dann erneut."},
	{Policy, 422, "Passwort erfüllt die Richtlinie nicht",
		"Das neue Passwort muss alle Regeln der Passwort-Richtlinie erfüllen. Die Meldung nennt jede Regel, die nicht erfüllt ist."},
	{InvalidEmail, 422, "Keine gültige E-Mail-Adresse",
		"Geben Sie eine vollständige E-Mail-Adresse ein, zum Beispiel name@beispiel.de."},
	{TokenInvalid, 410, "Link ungültig oder abgelaufen",
		"Fordern Sie eine neue Mail an: für ein neues Passwort über „Passwort vergessen“, für die Bestätigung Ihrer Adresse auf der Anmeldeseite (melden Sie sich an, die Seite bietet die Mail dann erneut an)."},
	{SessionExpired, 200, "Sitzung abgelaufen",
		"Aus Sicherheitsgründen werden Sie nach einer Zeit ohne Aktivität automatisch abgemeldet. Bitte melden Sie sich erneut an."},
	{Forbidden, 403, "Keine Zugriffsberechtigung",
		"Sie sind angemeldet, haben aber kein Recht auf diese Seite. Für betriebsbezogene Dienste verknüpfen Sie Ihr Konto mit der PIN Ihres Betriebs."},
	{PINInvalid, 422, "PIN ungültig",
		"Die Betriebsnummer ist nicht im Register, oder die PIN stimmt nicht, ist abgelaufen oder schon benutzt. Prüfen Sie beides anhand des Briefes der Kammer oder beantragen Sie eine neue PIN. Ist Ihr Betrieb neu eingetragen, kann es einige Tage dauern, bis er im Kundenportal bekannt ist."},
	{PINLocked, 429, "PIN-Eingabe gesperrt",
		"Für diesen Betrieb wurde zu oft eine falsche PIN eingegeben. Die Eingabe ist vorübergehend gesperrt; versuchen Sie es später erneut."},
	{BadRequest, 400, "Ungültige Anfrage",
		"Bitte laden Sie die Seite neu und versuchen Sie es erneut. Bleibt der Fehler, schreiben Sie uns."},
	{MFAInvalid, 401, "Code ungültig",
		"Geben Sie den sechsstelligen Code ein, den Ihre Authenticator-App gerade anzeigt (jeder Code gilt nur einmal), oder einen Ihrer Wiederherstellungscodes. Geht die Uhr Ihres Telefons falsch, stellen Sie sie auf automatisch. Haben Sie weder App noch Codes, schreiben Sie uns: Nach einer Prüfung setzen wir den zweiten Faktor zurück."},
	{NotFound, 404, "Seite nicht gefunden",
		"Prüfen Sie die Adresse oder beginnen Sie auf der Startseite."},
	{Unavailable, 503, "Vorübergehend nicht verfügbar",
		"Das Kundenportal kann Ihre Anfrage gerade nicht bearbeiten, weil ein Teil des Systems vorübergehend nicht erreichbar ist. Bitte versuchen Sie es in einigen Sekunden erneut. Haben Sie ein Formular abgeschickt, senden Sie es dann einfach noch einmal ab."},
	{Internal, 500, "Interner Fehler",
		"Ein unerwarteter Fehler ist aufgetreten. Bitte versuchen Sie es später erneut; bleibt der Fehler, schreiben Sie uns."},
}

// Info returns the entry of code in Codes; unknown codes are Internal.
func Info(code Code) CodeInfo {
	for _, c := range Codes {
		if c.Code == code {
			return c
		}
	}
	return Info(Internal)
}

// Error is an error the user may see: its Code is machine-readable, its
// Message German prose. Rules lists the broken password rules of a Policy
// error; RetryAfter the seconds to wait of a Throttled or PINLocked error.
type Error struct {
	Code       Code
	Message    string
	Rules      []string
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the Code of an *Error in its chain, or
// Internal for any other non-nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

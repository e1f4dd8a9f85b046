// Command pforte is the login and access service of a customer portal:
// `pforte serve` runs the portal, the other commands are the operator's
// tools (CONTRACT §1). main only calls run, so tests start the real program.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pforte:", err)
		os.Exit(exitCode(err))
	}
}

// usageError is a wrong command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}

const usage = `Aufruf: pforte BEFEHL [ARGUMENTE]

Befehle:
  serve                                     das Portal starten (HTTP); wendet vorher Migrationen an
  migrate                                   Schema-Migrationen anwenden und beenden
  users import DATEI                        Konten aus CSV importieren (email,created_at,last_login_at,confirmed,legacy_password_hash)
  users purge --last-login-before DATUM [--dry-run]
                                            Konten löschen, deren letzte Anmeldung vor DATUM liegt
  users notify-inactive --last-login-before DATUM [--delete-on DATUM]
                                            diese Konten vorab per Mail warnen (einmal je Konto und DATUM)
  passwords expire [--set-before DATUM]     Passwörter ablaufen lassen (Anmeldung: password-expired)
  audit [--account EMAIL|ID] [--since DATUM] [--limit N] [--json]
                                            das Audit-Protokoll zeigen, neueste zuerst
  businesses import DATEI                   Betriebsregister aus CSV importieren (number,name,street,postcode,city)
  pins issue NUMMER                         neue PIN für einen Betrieb ausgeben (einmalig auf stdout)
  letters render --out ORDNER [--development-url]
                                            PIN-Briefe (PDF) für alle offenen PIN-Anträge erzeugen
  staff grant EMAIL --role support|admin    einem bestätigten Konto eine Rolle in der Verwaltung geben
  staff revoke EMAIL                        sie wieder entziehen (gilt ab der nächsten Anfrage)
  clients add ID --name NAME --redirect-uri URI […]
                                            einen Dienst für die Anmeldung über Pforte (OpenID Connect) eintragen
  clients list | remove ID | rotate-secret ID
                                            Dienste auflisten, entfernen, neues Geheimnis ausgeben
  keys rotate                               neuer Signaturschlüssel für die Dienste (der alte bleibt eine Weile im JWKS)
  keys reseal                               alle Geheimnisse mit dem ersten Schlüssel aus PFORTE_SECRET_KEY neu versiegeln

Die Konfiguration kommt aus Umgebungsvariablen (PFORTE_…), siehe README. Alle Befehle außer serve
und migrate verlangen eine bestehende Datenbank.`

// run is the whole program: args without the program name, the
// environment through getenv, and the standard streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout)
	case "users":
		return usersCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "passwords":
		return passwordsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], getenv, stdout, stderr)
	case "businesses":
		return businessesCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "pins":
		return pinsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "letters":
		return lettersCmd(ctx, args[1:], getenv, stdout, stderr)
	case "staff":
		return staffCmd(ctx, args[1:], getenv, stdout, stderr)
	case "clients":
		return clientsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unbekannter Befehl %q\n\n%s", args[0], usage)}
}

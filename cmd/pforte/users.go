package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"pforte"
	"pforte/account"
	"pforte/mail"
	"pforte/store"
	"pforte/userimport"
)

// The commands of migration day, in the order a chamber runs them (see
// README § Migration day): users import, passwords expire, users
// notify-inactive, users purge; audit shows what they did.

const usersUsage = `Aufruf:
  pforte users import DATEI                 Konten aus CSV importieren (DATEI - liest die Standardeingabe)
  pforte users notify-inactive --last-login-before DATUM [--delete-on DATUM]
  pforte users purge --last-login-before DATUM [--dry-run]
DATUM: JJJJ-MM-TT (Mitternacht deutscher Zeit) oder RFC 3339.`

// usersCmd: users import | purge | notify-inactive.
func usersCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{usersUsage}
	}
	switch args[0] {
	case "import":
		return usersImport(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "purge":
		return usersPurge(ctx, args[1:], getenv, stdout, stderr)
	case "notify-inactive":
		return usersNotifyInactive(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("users: unbekannter Befehl %q\n%s", args[0], usersUsage)}
}

// commandFlags is the flag set of one command: errors and -h go to stderr
// with the command's synopsis.
func commandFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Aufruf: pforte %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseCommandFlags parses args; help is true after -h (the usage was
// printed, nothing else to do), and a bad argument is a usageError.
func parseCommandFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if err != nil {
		return false, usageError{fs.Name() + ": " + err.Error()}
	}
	return false, nil
}

// dateValue is a flag holding a date as pforte.ParseDate reads it.
type dateValue struct{ t time.Time }

func (d *dateValue) String() string {
	if d == nil || d.t.IsZero() {
		return ""
	}
	return d.t.Format(time.RFC3339)
}

func (d *dateValue) Set(s string) error {
	t, err := pforte.ParseDate(s)
	if err != nil {
		return err
	}
	d.t = t
	return nil
}

// cutoffFlag reads the required --last-login-before of purge and
// notify-inactive. A cutoff in the future would reach accounts in use
// today: refused, a typo must not delete them.
func cutoffFlag(fs *flag.FlagSet, v *dateValue, now time.Time) error {
	if v.t.IsZero() {
		return usageError{fs.Name() + ": --last-login-before DATUM fehlt"}
	}
	if v.t.After(now) {
		return usageError{fmt.Sprintf("%s: --last-login-before %s liegt in der Zukunft; das träfe auch Konten, die heute genutzt werden",
			fs.Name(), v.t.In(pforte.DateZone).Format(time.DateOnly))}
	}
	return nil
}

// usersImport reads and checks the whole file first; only a file without
// a bad row is imported (see store.DB.ImportAccounts).
func usersImport(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := commandFlags("users import", "users import DATEI\n"+
		"  CSV mit Kopfzeile "+strings.Join(userimport.Header, ",")+"; DATEI - liest die Standardeingabe", stderr)
	if help, err := parseCommandFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"users import: genau eine DATEI erwartet (oder - für die Standardeingabe)"}
	}
	name, in := fs.Arg(0), stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("users import: %w", err)
		}
		defer f.Close()
		in = f
	}
	rows, err := userimport.Read(in)
	var bad pforte.LineErrors
	if errors.As(err, &bad) {
		for _, e := range bad {
			fmt.Fprintf(stderr, "%s: %s\n", name, e.Error())
		}
		return fmt.Errorf("%s: %d Fehler, nichts importiert", name, len(bad))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}

	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	now := time.Now().UTC()
	accts := make([]pforte.Account, len(rows))
	for i, r := range rows {
		accts[i] = r.Account(now)
	}
	added, err := a.db.ImportAccounts(ctx, accts, now)
	if err != nil && added > 0 {
		return fmt.Errorf("%s: nach %d neuen Konten abgebrochen (ein neuer Aufruf mit derselben Datei importiert den Rest): %w", name, added, err)
	}
	if err != nil {
		return fmt.Errorf("%s: nichts importiert: %w", name, err)
	}
	fmt.Fprintf(stdout, "%s importiert, %d bereits vorhanden (unverändert gelassen).\n", pforte.GermanCount(added, "Konto", "Konten"), len(accts)-added)
	return nil
}

// usersPurge deletes inactive accounts in batches; --dry-run lists them.
func usersPurge(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := commandFlags("users purge", "users purge --last-login-before DATUM [--dry-run]", stderr)
	var cutoff dateValue
	fs.Var(&cutoff, "last-login-before", "löscht Konten, deren letzte Anmeldung (ohne Anmeldung: deren Anlage) vor `DATUM` liegt")
	dry := fs.Bool("dry-run", false, "nur auflisten, welche Konten gelöscht würden; nichts ändern")
	if help, err := parseCommandFlags(fs, args); help || err != nil {
		return err
	}
	now := time.Now().UTC()
	if fs.NArg() != 0 {
		return usageError{"users purge: unerwartetes Argument " + strconv.Quote(fs.Arg(0))}
	}
	if err := cutoffFlag(fs, &cutoff, now); err != nil {
		return err
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	day := cutoff.t.In(pforte.DateZone).Format(time.DateOnly)
	if *dry {
		n := 0
		err := a.db.Q().EachInactive(ctx, cutoff.t, func(acct store.InactiveAccount) error {
			n++
			_, err := fmt.Fprintln(stdout, acct.Email)
			return err
		})
		if err != nil {
			return err
		}
		verb := "würden"
		if n == 1 {
			verb = "würde"
		}
		fmt.Fprintf(stdout, "%s %s gelöscht (letzte Anmeldung vor %s). Probelauf: nichts geändert.\n", pforte.GermanCount(n, "Konto", "Konten"), verb, day)
		return nil
	}
	n, err := a.db.PurgeInactive(ctx, cutoff.t, now)
	if err != nil {
		return fmt.Errorf("users purge: nach %d gelöschten Konten abgebrochen: %w", n, err)
	}
	fmt.Fprintf(stdout, "%s gelöscht (letzte Anmeldung vor %s).\n", pforte.GermanCount(n, "Konto", "Konten"), day)
	return nil
}

// usersNotifyInactive warns, once per account and cutoff, every account
// that a purge with the same cutoff would delete. The mails go into the
// outbox; the mail worker of the running `pforte serve` delivers them.
func usersNotifyInactive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := commandFlags("users notify-inactive", "users notify-inactive --last-login-before DATUM [--delete-on DATUM]", stderr)
	var cutoff, deleteOn dateValue
	fs.Var(&cutoff, "last-login-before", "warnt die Konten, die users purge mit diesem `DATUM` löschen würde")
	fs.Var(&deleteOn, "delete-on", "der in der Mail genannte Tag der Löschung, ein `DATUM` (Vorgabe: heute in 30 Tagen)")
	if help, err := parseCommandFlags(fs, args); help || err != nil {
		return err
	}
	now := time.Now().UTC()
	if fs.NArg() != 0 {
		return usageError{"users notify-inactive: unerwartetes Argument " + strconv.Quote(fs.Arg(0))}
	}
	if err := cutoffFlag(fs, &cutoff, now); err != nil {
		return err
	}
	if deleteOn.t.IsZero() {
		y, m, d := now.In(pforte.DateZone).AddDate(0, 0, 30).Date()
		deleteOn.t = time.Date(y, m, d, 0, 0, 0, 0, pforte.DateZone)
	}
	if !deleteOn.t.After(now) {
		return usageError{"users notify-inactive: --delete-on muss in der Zukunft liegen"}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	loginURL := strings.TrimRight(a.composer.BaseURL, "/") + account.LoginPath
	// The notice is rendered once per language, not once per account.
	byLang := map[string]func(string) mail.Message{}
	n, err := a.db.NotifyInactive(ctx, cutoff.t, deleteOn.t, now, func(email, lang string) mail.Message {
		f, ok := byLang[lang]
		if !ok {
			f = a.composer.In(lang).InactiveNotices(deleteOn.t, loginURL)
			byLang[lang] = f
		}
		return f(email)
	})
	if err != nil {
		return fmt.Errorf("users notify-inactive: nach %d Mails abgebrochen (ein erneuter Aufruf setzt fort): %w", n, err)
	}
	fmt.Fprintf(stdout, "%s benachrichtigt (letzte Anmeldung vor %s, Löschung angekündigt für %s).\n",
		pforte.GermanCount(n, "Konto", "Konten"), cutoff.t.In(pforte.DateZone).Format(time.DateOnly), deleteOn.t.In(pforte.DateZone).Format(time.DateOnly))
	if n > 0 {
		fmt.Fprintln(stdout, "Die Mails liegen im Postausgang; der laufende „pforte serve“ stellt sie zu.")
	}
	return nil
}

// passwordsCmd: passwords expire [--set-before DATE].
func passwordsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "expire" {
		return usageError{"Aufruf: pforte passwords expire [--set-before DATUM]"}
	}
	fs := commandFlags("passwords expire", "passwords expire [--set-before DATUM]", stderr)
	var before dateValue
	fs.Var(&before, "set-before", "nur Passwörter, die vor `DATUM` gesetzt wurden (Vorgabe: alle)")
	if help, err := parseCommandFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"passwords expire: unerwartetes Argument " + strconv.Quote(fs.Arg(0))}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	now := time.Now().UTC()
	detail := "alle Passwörter"
	if !before.t.IsZero() {
		detail = "Passwörter gesetzt vor " + before.t.In(pforte.DateZone).Format(time.RFC3339)
	}
	var n int64
	err = a.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = tx.ExpirePasswords(ctx, before.t, now); err != nil || n == 0 {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventPasswordsExpired,
			Detail: fmt.Sprintf("%d abgelaufen (%s)", n, detail)})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s als abgelaufen markiert; die nächste Anmeldung damit antwortet password-expired.\n", pforte.GermanCount(n, "Passwort", "Passwörter"))
	return nil
}

// auditEntry is one line of `pforte audit --json`.
type auditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Event     string    `json:"event"`
	AccountID int64     `json:"account_id,omitempty"`
	Email     string    `json:"email,omitempty"`
	Client    string    `json:"client,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	// ActorID and Actor name the staff account that acted in the console.
	ActorID int64  `json:"actor_id,omitempty"`
	Actor   string `json:"actor,omitempty"`
}

// auditCmd prints the audit log, newest first: aligned text, or with
// --json one JSON object per line.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := commandFlags("audit", "audit [--account EMAIL|ID] [--since DATUM] [--limit N] [--json]", stderr)
	who := fs.String("account", "", "nur die Einträge dieses Kontos: `EMAIL` oder Kontonummer (so auch ein gelöschtes Konto)")
	var since dateValue
	fs.Var(&since, "since", "nur Einträge ab `DATUM`")
	limit := fs.Int("limit", 0, "höchstens `N` Einträge (0: alle)")
	asJSON := fs.Bool("json", false, "JSON, ein Objekt je Zeile")
	if help, err := parseCommandFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"audit: unerwartetes Argument " + strconv.Quote(fs.Arg(0))}
	}
	if *limit < 0 {
		return usageError{"audit: --limit darf nicht negativ sein"}
	}
	filter := store.AuditFilter{Since: since.t, Limit: *limit}
	var email string
	if *who != "" {
		if id, err := strconv.ParseInt(*who, 10, 64); err == nil && id > 0 {
			filter.AccountID = id
		} else if email, err = pforte.NormalizeEmail(*who); err != nil {
			return usageError{fmt.Sprintf("audit: --account %q ist weder eine E-Mail-Adresse noch eine Kontonummer", *who)}
		}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	if email != "" {
		acct, err := a.db.Q().AccountByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("audit: kein Konto mit der Adresse %s (ein gelöschtes Konto finden Sie über seine Nummer)", email)
		}
		if err != nil {
			return err
		}
		filter.AccountID = acct.ID
	}
	entries, err := a.db.Q().AuditLog(ctx, filter)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, e := range entries {
			if err := enc.Encode(auditEntry{ID: e.ID, At: e.At.UTC(), Event: string(e.Event), AccountID: e.AccountID,
				Email: e.Email, Client: e.Client, Detail: e.Detail, ActorID: e.ActorID, Actor: e.Actor}); err != nil {
				return err
			}
		}
		return nil
	}
	if len(entries) == 0 {
		fmt.Fprintln(stderr, "Keine Einträge.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ZEIT\tEREIGNIS\tKONTO\tE-MAIL\tCLIENT\tDETAIL")
	for _, e := range entries {
		acct := "-"
		if e.AccountID != 0 {
			acct = strconv.FormatInt(e.AccountID, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.In(pforte.DateZone).Format(time.RFC3339), e.Event, acct,
			dash(e.Email), dash(e.Client), dash(oneLine(e.Detail)))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a detail from breaking the table.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"pforte"
	"pforte/business"
)

// businessesCmd: businesses import FILE ("-" reads stdin). Every row is
// checked before anything is written; bad rows are listed on stderr with
// their line numbers and nothing is imported.
func businessesCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "import" {
		return usageError{"Aufruf: pforte businesses import DATEI (CSV mit Kopfzeile number,name,street,postcode,city)"}
	}
	in := stdin
	if args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	list, err := business.ParseRegister(in)
	var bad pforte.LineErrors
	if errors.As(err, &bad) {
		for _, e := range bad {
			fmt.Fprintf(stderr, "%s: %s\n", args[1], e)
		}
		return fmt.Errorf("%s: %d fehlerhafte Zeile(n), nichts importiert", args[1], len(bad))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.businesses.Import(ctx, list)
	if err != nil {
		return fmt.Errorf("%s: nichts importiert: %w", args[1], err)
	}
	fmt.Fprintf(stdout, "Betriebsregister importiert: %d neu, %d geändert, %d unverändert.\n", res.Created, res.Updated, res.Unchanged)
	return nil
}

// pinsCmd: pins issue NUMBER. The PIN is the last line on stdout, alone,
// so that a script can take it; it is shown this once and stored only as
// a hash.
func pinsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "issue" {
		return usageError{"Aufruf: pforte pins issue BETRIEBSNUMMER"}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	iss, err := a.businesses.Issue(ctx, args[1])
	if err != nil {
		return err
	}
	// stdout carries only the PIN, so a script can take it as it is.
	fmt.Fprintf(stderr, "Neue PIN für Betrieb %s (%s), gültig bis %s; frühere PINs gelten nicht mehr.\n",
		iss.Business.Number, iss.Business.Name, iss.LastDay.Format("02.01.2006"))
	fmt.Fprintln(stdout, iss.PIN)
	return nil
}

// lettersCmd: letters render --out DIR.
func lettersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "render" {
		return usageError{"Aufruf: pforte letters render --out ORDNER"}
	}
	fs := commandFlags("letters render", "letters render --out ORDNER", stderr)
	out := fs.String("out", "", "Ordner für die PDF-Briefe (wird angelegt; die Dateien liest nur der Eigentümer)")
	devURL := fs.Bool("development-url", false, "Briefe auch mit einer Entwicklungsadresse (localhost) als PFORTE_BASE_URL erzeugen, etwa zum Ausprobieren")
	if help, err := parseCommandFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return usageError{"Aufruf: pforte letters render --out ORDNER [--development-url]"}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	// A letter goes by post to a member, who types its address: never
	// print one that leads to the operator's own machine.
	if host := a.cfg.BaseURL.Hostname(); !*devURL && (host == "localhost" || strings.HasSuffix(host, ".localhost") || isLoopbackHost(host)) {
		return fmt.Errorf("PFORTE_BASE_URL ist %s, eine Entwicklungsadresse: Die Briefe würden Mitglieder dorthin schicken. "+
			"Setzen Sie PFORTE_BASE_URL auf die öffentliche Adresse des Portals, oder erzeugen Sie Probebriefe mit --development-url", a.cfg.BaseURL)
	}
	paths, err := a.businesses.RenderLetters(ctx, *out)
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	if err != nil {
		return fmt.Errorf("nach %d Brief(en) abgebrochen: %w", len(paths), err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(stdout, "Keine offenen PIN-Anträge.")
		return nil
	}
	fmt.Fprintf(stdout, "%s geschrieben; die Anträge sind als versandt markiert.\n", pforte.GermanCount(len(paths), "PIN-Brief", "PIN-Briefe"))
	return nil
}

// isLoopbackHost tells whether host is a loopback IP address.
func isLoopbackHost(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

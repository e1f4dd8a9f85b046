package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"pforte"
	"pforte/store"
)

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

const clientsUsage = `Aufruf:
  pforte clients add ID --name NAME --redirect-uri URI [--redirect-uri URI …] [--post-logout-redirect-uri URI …]
                        [--backchannel-logout-uri URI] [--public] [--require-business] [--launch-url URL]
  pforte clients list
  pforte clients remove ID
  pforte clients rotate-secret ID`

// clientsCmd registers the services that sign in through Pforte
// (CONTRACT §6). A secret goes to stdout alone, once.
func clientsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{clientsUsage}
	}
	switch {
	case args[0] == "add" && len(args) >= 2 && !strings.HasPrefix(args[1], "-"):
		fs := commandFlags("clients add", "clients add ID --name NAME --redirect-uri URI …", stderr)
		c := store.OIDCClient{ID: args[1]}
		var redirects, logouts listFlag
		fs.StringVar(&c.Name, "name", "", "Name des Dienstes (so sieht ihn das Mitglied)")
		fs.Var(&redirects, "redirect-uri", "Rücksprungadresse (mehrfach möglich; exakt verglichen)")
		fs.Var(&logouts, "post-logout-redirect-uri", "Adresse nach dem Abmelden (mehrfach möglich)")
		fs.StringVar(&c.BackchannelURI, "backchannel-logout-uri", "", "Adresse für Back-Channel-Logout")
		fs.BoolVar(&c.Public, "public", false, "öffentlicher Client (Browser- oder Mobil-App): kein Geheimnis, PKCE nötig")
		fs.BoolVar(&c.RequireBusiness, "require-business", false, "nur für Konten, die mit einem Betrieb verknüpft sind")
		fs.StringVar(&c.LaunchURL, "launch-url", "", "Startadresse: das Konto listet den Dienst mit diesem Link")
		if help, err := parseCommandFlags(fs, args[2:]); help || err != nil {
			return err
		}
		if fs.NArg() != 0 {
			return usageError{clientsUsage}
		}
		c.RedirectURIs, c.PostLogoutURIs = redirects, logouts
		a, err := open(ctx, getenv, stderr)
		if err != nil {
			return err
		}
		defer a.close()
		secret, err := a.oidc.AddClient(ctx, c)
		if err != nil {
			return err
		}
		if secret == "" {
			fmt.Fprintf(stderr, "Öffentlicher Client %s angelegt (ohne Geheimnis; PKCE S256 nötig).\n", c.ID)
			return nil
		}
		fmt.Fprintf(stderr, "Client %s angelegt. Das Geheimnis steht einmalig auf stdout; gespeichert ist nur sein Hash.\n", c.ID)
		fmt.Fprintln(stdout, secret)
		return nil
	case args[0] == "list" && len(args) == 1:
		a, err := open(ctx, getenv, stderr)
		if err != nil {
			return err
		}
		defer a.close()
		list, err := a.db.Q().OIDCClients(ctx)
		if err != nil {
			return err
		}
		for _, c := range list {
			kind := "confidential"
			if c.Public {
				kind = "public"
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", c.ID, c.Name, kind, strings.Join(c.RedirectURIs, " "))
		}
		return nil
	case args[0] == "remove" && len(args) == 2:
		a, err := open(ctx, getenv, stderr)
		if err != nil {
			return err
		}
		defer a.close()
		if err := a.oidc.RemoveClient(ctx, args[1], pforte.AuditEntry{}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Client %s entfernt; seine Tokens gelten nicht mehr.\n", args[1])
		return nil
	case args[0] == "rotate-secret" && len(args) == 2:
		a, err := open(ctx, getenv, stderr)
		if err != nil {
			return err
		}
		defer a.close()
		secret, err := a.oidc.RotateSecret(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Neues Geheimnis für %s (einmalig auf stdout); das alte gilt nicht mehr.\n", args[1])
		fmt.Fprintln(stdout, secret)
		return nil
	}
	return usageError{clientsUsage}
}

// keysCmd: keys rotate. A new key signs from now on; the previous one stays
// in the JWKS until every token it signed has expired.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "rotate" && args[0] != "reseal" {
		return usageError{"Aufruf: pforte keys rotate | pforte keys reseal"}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "reseal" {
		return keysReseal(ctx, a, stdout)
	}
	kid, err := a.oidc.RotateKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Neuer Signaturschlüssel %s signiert ab jetzt; der bisherige bleibt im JWKS, bis seine Tokens abgelaufen sind (%s).\n",
		kid, pforte.GermanDuration(a.cfg.OIDCAccessTTL+time.Minute))
	return nil
}

// keysReseal moves every secret sealed at rest (app-code secrets, signing
// keys) to the first key of PFORTE_SECRET_KEY, in one transaction, so that
// the keys behind it can be dropped.
func keysReseal(ctx context.Context, a *app, stdout io.Writer) error {
	var totp, signing int
	err := a.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if totp, err = a.mfa.Reseal(ctx, tx); err != nil {
			return err
		}
		if signing, err = a.oidc.Reseal(ctx, tx); err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: time.Now(), Event: pforte.EventKeysResealed,
			Detail: fmt.Sprintf("totp=%d signing=%d", totp, signing)})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Neu versiegelt: %d Geheimnisse für App-Codes, %d Signaturschlüssel. Die älteren Schlüssel in PFORTE_SECRET_KEY können entfallen, sobald die Zugangstokens der Dienste abgelaufen sind (%s).\n", totp, signing, pforte.GermanDuration(a.cfg.OIDCAccessTTL))
	return nil
}

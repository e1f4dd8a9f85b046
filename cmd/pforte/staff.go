package main

import (
	"context"
	"fmt"
	"io"

	"pforte"
	"pforte/business"
)

const staffUsage = "Aufruf: pforte staff grant EMAIL --role support|admin\n       pforte staff revoke EMAIL"

// staffCmd: staff grant EMAIL --role support|admin, staff revoke EMAIL.
// The role is read at every request of the account, so a revoke ends its
// console access at once. Both are audited (client "cli").
func staffCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var email, role string
	switch {
	case len(args) == 4 && args[0] == "grant" && args[2] == "--role":
		email, role = args[1], args[3]
	case len(args) == 3 && args[0] == "grant" && len(args[2]) > 7 && args[2][:7] == "--role=":
		email, role = args[1], args[2][7:]
	case len(args) == 2 && args[0] == "revoke":
		email = args[1]
	default:
		return usageError{staffUsage}
	}
	r, ok := pforte.ParseStaffRole(role)
	if args[0] == "grant" && !ok {
		return usageError{fmt.Sprintf("--role %q: support oder admin\n%s", role, staffUsage)}
	}
	a, err := openExisting(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "revoke" {
		acct, err := a.accounts.RevokeRole(ctx, email, 0, business.CLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s hat keine Rolle in der Verwaltung mehr.\n", acct.Email)
		return nil
	}
	acct, err := a.accounts.GrantRole(ctx, email, r, 0, business.CLI)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s hat die Rolle %s. Für die Verwaltung (/verwaltung) braucht das Konto einen zweiten Faktor.\n", acct.Email, acct.Role)
	return nil
}

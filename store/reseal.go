package store

import (
	"context"
	"fmt"
)

// Reseal rewrites, in one transaction, every value sealed with the
// operator's key in one of the columns below: fn gets each value and
// returns its new form and whether it changed. After a change of
// PFORTE_SECRET_KEY this moves every secret to the new key, so that the
// old key can be dropped. It returns how many values changed.
type Reseal func(sealed string) (string, bool, error)

// sealedColumn names a column that holds sealed values. Only the
// constants below are ever used: the names are not placeholders.
type sealedColumn struct{ table, key, column string }

var (
	totpSecrets        = []sealedColumn{{"totp", "account_id", "secret"}, {"totp", "account_id", "pending_secret"}}
	oidcSigningKeyCols = []sealedColumn{{"oidc_keys", "kid", "private_key"}}
)

// ResealTOTP reseals the app-code secrets (active and pending).
func (tx *Tx) ResealTOTP(ctx context.Context, fn Reseal) (int, error) {
	return tx.reseal(ctx, totpSecrets, fn)
}

// ResealOIDCKeys reseals the private halves of the signing keys.
func (tx *Tx) ResealOIDCKeys(ctx context.Context, fn Reseal) (int, error) {
	return tx.reseal(ctx, oidcSigningKeyCols, fn)
}

func (tx *Tx) reseal(ctx context.Context, cols []sealedColumn, fn Reseal) (int, error) {
	n := 0
	for _, c := range cols {
		type row struct{ key, value string }
		rows, err := tx.q.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s <> ''`, c.key, c.column, c.table, c.column))
		if err != nil {
			return n, err
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.key, &r.value); err != nil {
				rows.Close()
				return n, err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		for _, r := range all {
			v, changed, err := fn(r.value)
			if err != nil {
				return n, fmt.Errorf("%s.%s: %w", c.table, c.column, err)
			}
			if !changed {
				continue
			}
			if _, err := tx.q.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE %s = $2 AND %s = $3`,
				c.table, c.column, c.key, c.column), v, r.key, r.value); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

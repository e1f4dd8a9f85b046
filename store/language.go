package store

import (
	"context"

	"pforte/locale"
	"pforte/mail"
)

// SetLanguage stores the language of the account's mails ("de", "en").
func (tx *Tx) SetLanguage(ctx context.Context, accountID int64, lang string) error {
	return one(tx.q.ExecContext(ctx, `UPDATE accounts SET language = $1 WHERE id = $2`, lang, accountID))
}

// KeepLanguage is SetLanguage for a sign-in, which mostly finds the
// language unchanged: then nothing is written (no row version, no error).
func (tx *Tx) KeepLanguage(ctx context.Context, accountID int64, lang string) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE accounts SET language = $1 WHERE id = $2 AND language <> $1`, lang, accountID)
	return err
}

// Language is the language of the account's mails; "de" until the
// member chose another.
func (tx *Tx) Language(ctx context.Context, accountID int64) (string, error) {
	var lang string
	err := tx.q.QueryRowContext(ctx, `SELECT language FROM accounts WHERE id = $1`, accountID).Scan(&lang)
	return lang, notFound(err)
}

// SetLanguage stores the language of the account's mails, on its own.
func (db *DB) SetLanguage(ctx context.Context, accountID int64, lang string) error {
	return db.Q().SetLanguage(ctx, accountID, lang)
}

// MailIn is c writing in the language the account's member last used;
// in the language of ctx (the request's) for no or an unknown account.
func (tx *Tx) MailIn(ctx context.Context, c mail.Composer, accountID int64) mail.Composer {
	lang, err := tx.Language(ctx, accountID)
	if err != nil {
		return c.In(string(locale.From(ctx)))
	}
	return c.In(lang)
}

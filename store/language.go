package store

import "context"

// SetLanguage stores the language of the account's mails ("de", "en").
func (tx *Tx) SetLanguage(ctx context.Context, accountID int64, lang string) error {
	return one(tx.q.ExecContext(ctx, `UPDATE accounts SET language = $1 WHERE id = $2`, lang, accountID))
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

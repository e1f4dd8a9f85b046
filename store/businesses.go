package store

import (
	"context"
	"database/sql"
	"time"

	"pforte"
)

const businessColumns = `businesses.number, businesses.name, businesses.street, businesses.postcode,
	businesses.city, businesses.created_at, businesses.updated_at`

func scanBusiness(row interface{ Scan(...any) error }, extra ...any) (*pforte.Business, error) {
	var b pforte.Business
	var created, updated int64
	err := row.Scan(append([]any{&b.Number, &b.Name, &b.Street, &b.Postcode, &b.City, &created, &updated}, extra...)...)
	if err != nil {
		return nil, notFound(err)
	}
	b.CreatedAt, b.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &b, nil
}

func scanBusinesses(rows *sql.Rows, err error) ([]pforte.Business, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pforte.Business
	for rows.Next() {
		b, err := scanBusiness(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// Upsert is what SaveBusiness did with a business of the register.
type Upsert int

// The outcomes of SaveBusiness.
const (
	Unchanged Upsert = iota
	Created
	Updated
)

// SaveBusiness writes one business of the register: a new number is
// inserted, a known one updated where its name or address changed, and
// left alone (updated_at too) where nothing did, so that re-importing the
// same register is a no-op.
func (tx *Tx) SaveBusiness(ctx context.Context, b pforte.Business, now time.Time) (Upsert, error) {
	// Insert-or-nothing first, so that two imports at once never collide.
	res, err := tx.q.ExecContext(ctx, `INSERT INTO businesses (number, name, street, postcode, city, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (number) DO NOTHING`,
		b.Number, b.Name, b.Street, b.Postcode, b.City, now.UnixMilli())
	if err != nil {
		return Unchanged, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return Created, err
	}
	res, err = tx.q.ExecContext(ctx, `UPDATE businesses SET name = $1, street = $2, postcode = $3, city = $4, updated_at = $5
		WHERE number = $6 AND (name <> $1 OR street <> $2 OR postcode <> $3 OR city <> $4)`,
		b.Name, b.Street, b.Postcode, b.City, now.UnixMilli(), b.Number)
	if err != nil {
		return Unchanged, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Unchanged, err
	}
	return Updated, nil
}

// BusinessByNumber finds a business by its normalised register number.
func (tx *Tx) BusinessByNumber(ctx context.Context, number string) (*pforte.Business, error) {
	return scanBusiness(tx.q.QueryRowContext(ctx, `SELECT `+businessColumns+` FROM businesses WHERE number = $1`, number))
}

// LinkedBusinesses lists the businesses an account is linked to, by number.
func (tx *Tx) LinkedBusinesses(ctx context.Context, accountID int64) ([]pforte.Business, error) {
	return scanBusinesses(tx.q.QueryContext(ctx, `SELECT `+businessColumns+` FROM businesses
		JOIN business_links ON business_links.business_number = businesses.number
		WHERE business_links.account_id = $1 ORDER BY businesses.number`, accountID))
}

// Linked reports whether an account is linked to the business number.
func (tx *Tx) Linked(ctx context.Context, accountID int64, number string) (bool, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM business_links WHERE account_id = $1 AND business_number = $2`,
		accountID, number).Scan(&n)
	return n > 0, err
}

// Link links an account to a business; linking twice is no error and
// reports false.
func (tx *Tx) Link(ctx context.Context, accountID int64, number string, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO business_links (account_id, business_number, created_at)
		VALUES ($1, $2, $3) ON CONFLICT (account_id, business_number) DO NOTHING`, accountID, number, now.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Unlink removes the link of an account to a business; ErrNotFound if
// there was none. When it was the account's last link, the account's
// grants of the services for businesses (--require-business) end with
// it: their tokens are deleted and the services get a back-channel logout.
func (tx *Tx) Unlink(ctx context.Context, accountID int64, number string) error {
	if err := one(tx.q.ExecContext(ctx, `DELETE FROM business_links WHERE account_id = $1 AND business_number = $2`,
		accountID, number)); err != nil {
		return err
	}
	_, err := tx.endOIDCTokens(ctx, `account_id = $1
		AND client_id IN (SELECT id FROM oidc_clients WHERE require_business <> 0)
		AND NOT EXISTS (SELECT 1 FROM business_links WHERE business_links.account_id = $1)`, accountID)
	return err
}

// PINRequest is a member's request for a PIN letter to a business,
// pending until its letter is rendered.
type PINRequest struct {
	ID          int64
	AccountID   int64
	Business    pforte.Business
	RequestedAt time.Time
}

// RequestPIN stores a pending PIN request for the business number, unless
// one is pending already: then it stores nothing and reports false, so that
// the business gets one letter however often it is asked for.
func (tx *Tx) RequestPIN(ctx context.Context, number string, accountID int64, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO pin_requests (business_number, account_id, requested_at)
		VALUES ($1, $2, $3) ON CONFLICT (business_number) WHERE sent_at IS NULL DO NOTHING`,
		number, accountID, now.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PendingPINRequests lists the requests whose letter is still to be
// rendered, oldest first, each with its business as it stands now (an
// address changed by a later import is the one the letter goes to).
func (tx *Tx) PendingPINRequests(ctx context.Context) ([]PINRequest, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+businessColumns+`, pin_requests.id, pin_requests.account_id,
		pin_requests.requested_at FROM pin_requests JOIN businesses ON businesses.number = pin_requests.business_number
		WHERE pin_requests.sent_at IS NULL ORDER BY pin_requests.requested_at, pin_requests.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PINRequest
	for rows.Next() {
		var r PINRequest
		var at int64
		b, err := scanBusiness(rows, &r.ID, &r.AccountID, &at)
		if err != nil {
			return nil, err
		}
		r.Business, r.RequestedAt = *b, time.UnixMilli(at).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkPINRequestSent marks a pending request as sent; ErrNotFound if it is
// not pending (any more), so two renderings never both send it.
func (tx *Tx) MarkPINRequestSent(ctx context.Context, id int64, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE pin_requests SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL`,
		now.UnixMilli(), id))
}

// SetRequestPIN records which PIN (its hash) the letter of a request
// carries.
func (tx *Tx) SetRequestPIN(ctx context.Context, id int64, pinHash string) error {
	return one(tx.q.ExecContext(ctx, `UPDATE pin_requests SET pin_hash = $1 WHERE id = $2`, pinHash, id))
}

// LetterOnItsWay returns when the latest letter to the business number
// went out that was sent since since and whose PIN is unused, not voided
// and valid at now; the zero time if there is none.
func (tx *Tx) LetterOnItsWay(ctx context.Context, number string, since, now time.Time) (time.Time, error) {
	var sent sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT max(pin_requests.sent_at) FROM pin_requests
		JOIN pins ON pins.hash = pin_requests.pin_hash AND pins.business_number = pin_requests.business_number
		WHERE pin_requests.business_number = $1 AND pin_requests.sent_at >= $2
			AND pins.used_at IS NULL AND pins.voided_at IS NULL AND pins.expires_at > $3`,
		number, since.UnixMilli(), now.UnixMilli()).Scan(&sent)
	return fromMS(sent), err
}

// PIN is an issued PIN as stored: only the hash of the PIN.
type PIN struct {
	Hash           string
	BusinessNumber string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// InsertPIN stores a new PIN and voids every earlier unused PIN of its
// business: only the newest letter's PIN works.
func (tx *Tx) InsertPIN(ctx context.Context, p PIN) error {
	// Lock the business row: two issues at once for one business take
	// turns, so the second voids the first (READ COMMITTED would let both
	// void only what was committed before them).
	if err := one(tx.q.ExecContext(ctx, `UPDATE businesses SET number = number WHERE number = $1`, p.BusinessNumber)); err != nil {
		return err
	}
	if _, err := tx.q.ExecContext(ctx, `UPDATE pins SET voided_at = $1
		WHERE business_number = $2 AND used_at IS NULL AND voided_at IS NULL`, p.CreatedAt.UnixMilli(), p.BusinessNumber); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO pins (hash, business_number, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		p.Hash, p.BusinessNumber, p.CreatedAt.UnixMilli(), p.ExpiresAt.UnixMilli())
	return err
}

// UsePIN uses up the PIN with hash of the business number if it is
// unused, not voided and not expired at now; ErrNotFound otherwise, so two
// requests can never both use one PIN.
func (tx *Tx) UsePIN(ctx context.Context, number, hash string, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE pins SET used_at = $1
		WHERE hash = $2 AND business_number = $3 AND used_at IS NULL AND voided_at IS NULL AND expires_at > $1`,
		now.UnixMilli(), hash, number))
}

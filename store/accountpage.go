package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"pforte"
)

// PreviousLogin is when the account signed in before its latest login
// (the zero time if it never did): what /konto shows as "Letzte
// Anmeldung", since the latest login is the member's own, just now.
func (tx *Tx) PreviousLogin(ctx context.Context, accountID int64) (time.Time, error) {
	var at int64
	err := tx.q.QueryRowContext(ctx, fmt.Sprintf(previousLogin, "$1", "$2"), accountID, string(pforte.EventLoginSucceeded)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(at).UTC(), nil
}

// previousLogin is the query of PreviousLogin for the account %[1]s and
// the event %[2]s (both SQL).
const previousLogin = `SELECT at FROM audit WHERE account_id = %[1]s AND event = %[2]s
		ORDER BY at DESC, id DESC LIMIT 1 OFFSET 1`

// OwnPINRequest is a PIN request of the member for a business the account
// is not linked to (yet): the letter is being prepared or on its way.
type OwnPINRequest struct {
	Business    pforte.Business
	RequestedAt time.Time
	SentAt      time.Time // zero while the letter is still to be printed
}

// OwnPINRequests lists the account's PIN requests since since, newest
// first, for businesses it is not linked to, one per business (the newest).
func (tx *Tx) OwnPINRequests(ctx context.Context, accountID int64, since time.Time) ([]OwnPINRequest, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+businessColumns+`, r.requested_at, r.sent_at
		`+fmt.Sprintf(ownPINRequestsFrom, "$1", "$2")+` ORDER BY r.requested_at DESC, r.id DESC`, accountID, since.UnixMilli())
	return scanOwnPINRequests(rows, err)
}

// ownPINRequestsFrom is the FROM and WHERE of OwnPINRequests, for the
// account %[1]s and the time %[2]s (both SQL).
const ownPINRequestsFrom = `FROM pin_requests r JOIN businesses ON businesses.number = r.business_number
		WHERE r.account_id = %[1]s AND r.requested_at >= %[2]s
		AND NOT EXISTS (SELECT 1 FROM business_links l WHERE l.account_id = r.account_id AND l.business_number = r.business_number)
		AND NOT EXISTS (SELECT 1 FROM pin_requests n WHERE n.account_id = r.account_id AND n.business_number = r.business_number
			AND (n.requested_at > r.requested_at OR (n.requested_at = r.requested_at AND n.id > r.id)))`

// scanOwnPINRequests reads the rows of OwnPINRequests and AccountPINRequests.
func scanOwnPINRequests(rows *sql.Rows, err error) ([]OwnPINRequest, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OwnPINRequest
	for rows.Next() {
		var req OwnPINRequest
		var at int64
		var sent sql.NullInt64
		b, err := scanBusiness(rows, &at, &sent)
		if err != nil {
			return nil, err
		}
		req.Business, req.RequestedAt, req.SentAt = *b, time.UnixMilli(at).UTC(), fromMS(sent)
		out = append(out, req)
	}
	return out, rows.Err()
}

// AccountPage is what the account page (/konto) shows besides the
// account: its businesses, its PIN requests still on their way (since
// the time asked for), when it signed in before, and the services with
// a launch URL.
type AccountPage struct {
	Businesses    []pforte.Business
	Pending       []OwnPINRequest
	PreviousLogin time.Time
	Services      []LaunchableClient
}

// LaunchableClient is a service with a launch URL (--launch-url): the
// account page offers it, those for businesses only to linked members.
type LaunchableClient struct {
	Name            string
	LaunchURL       string
	RequireBusiness bool
}

// SessionPage is SessionWithAccount together with the account page, in
// one query: GET /konto costs one round trip to the database, not five.
func (tx *Tx) SessionPage(ctx context.Context, hash string, pendingSince time.Time) (*StoredSession, *pforte.Account, *AccountPage, error) {
	var s StoredSession
	var created, seen, expires sql.NullInt64
	var sid sql.NullString
	var acct accountScan
	var page pageScan
	err := tx.q.QueryRowContext(ctx, sessionPageQuery[tx.dialect], hash, pendingSince.UnixMilli(), string(pforte.EventLoginSucceeded)).
		Scan(append(append([]any{&s.Hash, &s.AccountID, &created, &seen, &expires, &s.Client, &sid, &s.Methods, &s.UserAgent},
			acct.dest()...), page.dest()...)...)
	if err != nil {
		return nil, nil, nil, notFound(err)
	}
	p, err := page.page()
	if err != nil {
		return nil, nil, nil, err
	}
	s.SID = sid.String
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, acct.account(), p, nil
}

// AccountPage reads the account page of an account in one query (when
// the session was read on its own).
func (tx *Tx) AccountPage(ctx context.Context, accountID int64, pendingSince time.Time) (*AccountPage, error) {
	var page pageScan
	err := tx.q.QueryRowContext(ctx, accountPageQuery[tx.dialect], accountID, pendingSince.UnixMilli(), string(pforte.EventLoginSucceeded)).
		Scan(page.dest()...)
	if err != nil {
		return nil, err
	}
	return page.page()
}

// The account page's columns for the account %[1]s, the time $2 since
// which PIN requests are shown and the login event $3: each list one
// JSON array (the same SQL on both databases but for the names of the
// JSON functions).
var (
	sessionPageQuery = dialects(func(d Dialect) string {
		return sessionWithAccountColumns + `, ` + pageColumns(d, "s.account_id") + ` ` + sessionWithAccountFrom
	})
	accountPageQuery = dialects(func(d Dialect) string { return `SELECT ` + pageColumns(d, "$1") })
)

func pageColumns(d Dialect, account string) string {
	list := func(object, from, order string) string {
		if d == Postgres {
			return `(SELECT coalesce(json_agg(json_build_object(` + object + `) ORDER BY ` + order + `), '[]') ` + from + `)`
		}
		return `(SELECT json_group_array(json_object(` + object + `) ORDER BY ` + order + `) ` + from + `)`
	}
	const business = `'number', businesses.number, 'name', businesses.name, 'street', businesses.street,
		'postcode', businesses.postcode, 'city', businesses.city, 'created', businesses.created_at, 'updated', businesses.updated_at`
	return list(business, `FROM businesses JOIN business_links ON business_links.business_number = businesses.number
			WHERE business_links.account_id = `+account, `businesses.number`) + `,
		` + list(business+`, 'requested', r.requested_at, 'sent', r.sent_at`,
		fmt.Sprintf(ownPINRequestsFrom, account, "$2"), `r.requested_at DESC, r.id DESC`) + `,
		(` + fmt.Sprintf(previousLogin, account, "$3") + `),
		` + list(`'name', name, 'url', launch_url, 'business', require_business`, launchableFrom, `id`)
}

// dialects builds a query for each database.
func dialects(build func(Dialect) string) map[Dialect]string {
	return map[Dialect]string{SQLite: build(SQLite), Postgres: build(Postgres)}
}

// pageScan receives the account page's columns.
type pageScan struct {
	businesses, pending, services []byte
	previous                      sql.NullInt64
}

func (p *pageScan) dest() []any { return []any{&p.businesses, &p.pending, &p.previous, &p.services} }

// pageBusiness is a business (with a PIN request's times) as the JSON
// of the account page has it.
type pageBusiness struct {
	Number, Name, Street, Postcode, City string
	Created, Updated, Requested          int64
	Sent                                 *int64
}

func (b pageBusiness) business() pforte.Business {
	return pforte.Business{Number: b.Number, Name: b.Name, Street: b.Street, Postcode: b.Postcode, City: b.City,
		CreatedAt: time.UnixMilli(b.Created).UTC(), UpdatedAt: time.UnixMilli(b.Updated).UTC()}
}

func (p *pageScan) page() (*AccountPage, error) {
	var businesses, pending []pageBusiness
	var services []struct {
		Name, URL string
		Business  int64
	}
	for _, l := range []struct {
		raw []byte
		to  any
	}{{p.businesses, &businesses}, {p.pending, &pending}, {p.services, &services}} {
		if string(l.raw) == "[]" {
			continue // most lists are empty: nothing to decode
		}
		if err := json.Unmarshal(l.raw, l.to); err != nil {
			return nil, fmt.Errorf("account page: %w", err)
		}
	}
	page := &AccountPage{PreviousLogin: fromMS(p.previous)}
	for _, b := range businesses {
		page.Businesses = append(page.Businesses, b.business())
	}
	for _, b := range pending {
		var sent sql.NullInt64
		if b.Sent != nil {
			sent = sql.NullInt64{Int64: *b.Sent, Valid: true}
		}
		page.Pending = append(page.Pending, OwnPINRequest{Business: b.business(), RequestedAt: time.UnixMilli(b.Requested).UTC(), SentAt: fromMS(sent)})
	}
	for _, s := range services {
		page.Services = append(page.Services, LaunchableClient{Name: s.Name, LaunchURL: s.URL, RequireBusiness: s.Business != 0})
	}
	return page, nil
}

// Package console is the staff console at /verwaltung: the chamber's
// support desk in the browser (CONTRACT §8). Staff sign in with their own
// portal account; the console needs a staff role and a second factor used
// in the session. Support staff look members up and help them; admins
// may also delete accounts, reset a second factor and manage staff.
//
// The console borrows the portal's layout, session check, form checks and
// error pages through Host (the web package implements it), so that it
// looks and behaves like every other page. Handlers are thin: the actions
// live in the account and business services, the queries in the store.
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"pforte"
	"pforte/account"
	"pforte/business"
	"pforte/store"
	"pforte/throttle"
)

// Templates holds the console's pages; the web package parses each with
// its layout. Files starting with "_" are partials shared by all pages.
//
//go:embed all:templates
var Templates embed.FS

// Funcs are the template functions the console's pages use beside the
// portal's.
var Funcs = template.FuncMap{
	"short": shortTime,
	"until": untilTime,
}

// shortTime writes t for a table cell, in Berlin time: "03.03.2026 14:05";
// the zero time as "–".
func shortTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(pforte.DateZone).Format("02.01.2006 15:04")
}

// untilTime writes the end of a validity that ends at the instant end
// (the first moment it no longer holds, as a PIN's ExpiresAt): its last
// minute, in Berlin time, so that a PIN valid through 14 March reads
// "14.03.2026 23:59", not "15.03.2026 00:00".
func untilTime(end time.Time) string {
	if end.IsZero() {
		return "–"
	}
	return shortTime(end.Add(-time.Nanosecond))
}

// Page is one console page to show: a template of Templates (without
// ".html"), its title, a notice or an error, and its data.
type Page struct {
	Name   string
	Title  string
	Notice string
	Err    error
	Data   any
}

// Host is what the portal lends the console.
type Host interface {
	// Render shows p in the portal's layout, with the status of p.Err's
	// code (status 0) or status.
	Render(w http.ResponseWriter, r *http.Request, status int, p Page)
	// Error shows the portal's error page for err.
	Error(w http.ResponseWriter, r *http.Request, err error)
	// Signed is the account and session of a request that passed the
	// portal's session check (nil outside it).
	Signed(r *http.Request) (*pforte.Account, *store.StoredSession)
	// Client is the address of the person asking, for the audit log.
	Client(r *http.Request) string
	// Form decodes and checks a posted form as every form of the portal.
	Form(r *http.Request) (url.Values, error)
	// Text is message id of the catalog in the request's language, filled
	// with pairs of name and value, for a text the console builds itself
	// (a title with an address in it). Plain IDs in Page.Title and
	// Page.Notice need no call: Render looks them up.
	Text(r *http.Request, id string, pairs ...any) string
}

// SecondFactor is what the console needs of the second factor (the mfa
// service implements it): whether an account has one, how many do, and
// the admins' reset, which turns the second factor and passkeys off and
// mails the member.
type SecondFactor interface {
	Enabled(ctx context.Context, accountID int64) (bool, error)
	CountEnabled(ctx context.Context) (int, error)
	ResetByStaff(ctx context.Context, accountID, staffID int64, reason, client string) error
}

// Deps are the parts a Console is built from; all are required but Now
// and WakeMail.
type Deps struct {
	Host         Host
	DB           *store.DB
	Accounts     *account.Service
	Businesses   *business.Service
	Limits       *throttle.Limiter
	SecondFactor SecondFactor
	// Services lists and removes the services (nil: no services page).
	Services Services
	// WakeMail nudges the mail worker after a mail was made due.
	WakeMail func()
	// Idle is the sessions' idle timeout, to tell live sessions from
	// those that timed out but are not yet pruned.
	Idle time.Duration
	Now  func() time.Time
}

// Console serves /verwaltung. Build it with New.
type Console struct {
	Deps
	handler http.Handler
}

// New checks d and returns the console.
func New(d Deps) (*Console, error) {
	if d.Host == nil || d.DB == nil || d.Accounts == nil || d.Businesses == nil || d.Limits == nil {
		return nil, errors.New("console: Host, DB, Accounts, Businesses and Limits are required")
	}
	if d.SecondFactor == nil {
		return nil, errors.New("console: SecondFactor is required")
	}
	c := &Console{Deps: d}
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP serves every path under /verwaltung. It must sit behind the
// portal's session check.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

func (c *Console) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Console) wake() {
	if c.WakeMail != nil {
		c.WakeMail()
	}
}

package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pforte"
	"pforte/account"
	"pforte/store"
	"pforte/throttle"
)

// Limits of the console's lists: a search shows the first hits, a page
// the recent story.
const (
	searchLimit = 50
	recentLimit = 30
	auditLimit  = 100
)

var notFound = pforte.Errorf(pforte.NotFound, "Diesen Eintrag gibt es nicht (mehr).")

// overview is the data of /verwaltung.
type overview struct {
	store.Overview
	SecondFactors int
}

func (c *Console) handleOverview() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		o, err := c.DB.Q().Overview(ctx, dayStart(c.now()))
		if err != nil {
			c.Host.Error(w, r, err)
			return
		}
		n, err := c.SecondFactor.CountEnabled(ctx)
		if err != nil {
			c.Host.Error(w, r, err)
			return
		}
		c.Host.Render(w, r, http.StatusOK, Page{Name: "uebersicht", Title: "console.title.overview", Data: overview{o, n}})
	})
}

// dayStart is midnight of t's day, German time.
func dayStart(t time.Time) time.Time {
	t = t.In(pforte.DateZone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, pforte.DateZone)
}

// search is the data of a search page: the query and its first hits.
type search[T any] struct {
	Q    string
	Hits []T
	More bool
}

// showSearch answers a search page: find runs with the query in lower
// case and, if it is one, the business number it names.
func showSearch[T any](c *Console, w http.ResponseWriter, r *http.Request, p Page, find func(ctx context.Context, part, number string, limit int) ([]T, error)) {
	s := search[T]{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	if len(s.Q) > 200 {
		c.Host.Error(w, r, pforte.Errorf(pforte.BadRequest, "Der Suchbegriff ist zu lang."))
		return
	}
	if s.Q != "" {
		number, _ := pforte.NormalizeBusinessNumber(s.Q)
		hits, err := find(r.Context(), strings.ToLower(s.Q), number, searchLimit+1)
		if err != nil {
			c.Host.Error(w, r, err)
			return
		}
		s.Hits, s.More = hits[:min(len(hits), searchLimit)], len(hits) > searchLimit
	}
	p.Data = s
	c.Host.Render(w, r, http.StatusOK, p)
}

func (c *Console) handleAccountSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		notice := ""
		if r.URL.Query().Get("geloescht") != "" {
			notice = "console.done.deleted"
		}
		showSearch(c, w, r, Page{Name: "konten", Title: "console.title.accounts", Notice: notice}, c.DB.Q().SearchAccounts)
	})
}

// accountPage is the data of /verwaltung/konten/{id}: the account's whole
// story, without a hash, token or secret.
type accountPage struct {
	Account      pforte.Account
	SecondFactor bool
	Throttle     throttle.LoginState
	// FactorThrottle is the lockout of wrong second-factor codes.
	FactorThrottle throttle.LoginState
	Sessions       []sessionRow
	Businesses     []pforte.Business
	Mails          []store.MailInfo
	Audit          []pforte.AuditEntry
	Admin          bool
	Self           bool
}

func (c *Console) loadAccount(ctx context.Context, id int64, staff *pforte.Account) (*accountPage, error) {
	q := c.DB.Q()
	a, err := q.AccountByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	p := &accountPage{Account: *a, Admin: staff.Role == pforte.RoleAdmin, Self: staff.ID == a.ID}
	p.Account.PasswordHash, p.Account.PreviousHash = "", "" // never on a page
	p.Account.PasswordExpiredAt = expiredAt(a)
	if p.SecondFactor, err = c.SecondFactor.Enabled(ctx, id); err != nil {
		return nil, err
	}
	if p.Throttle, err = c.Limits.LoginState(ctx, a.Email); err != nil {
		return nil, err
	}
	if p.FactorThrottle, err = c.Limits.LoginState(ctx, throttle.SecondFactorKey(a.ID)); err != nil {
		return nil, err
	}
	sessions, err := q.SessionsOfAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	now := c.now()
	for _, st := range sessions {
		p.Sessions = append(p.Sessions, sessionRow{st, now.Sub(st.LastSeenAt) < c.Idle && now.Before(st.ExpiresAt)})
	}
	if p.Businesses, err = q.LinkedBusinesses(ctx, id); err != nil {
		return nil, err
	}
	if p.Mails, err = q.MailsOfAccount(ctx, id, recentLimit); err != nil {
		return nil, err
	}
	p.Audit, err = q.AuditLog(ctx, store.AuditFilter{AccountID: id, ActorToo: true, Limit: auditLimit})
	return p, err
}

// sessionRow is a session on the account page: live, or timed out and
// not yet pruned.
type sessionRow struct {
	store.StoredSession
	Live bool
}

// expiredAt is when the password of a expired, its creation for an
// account that never had a usable one (an import), zero if it is good.
func expiredAt(a *pforte.Account) time.Time {
	if !a.PasswordExpired() {
		return time.Time{}
	}
	if !a.PasswordExpiredAt.IsZero() {
		return a.PasswordExpiredAt
	}
	return a.CreatedAt
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (c *Console) handleAccount() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			c.Host.Error(w, r, notFound)
			return
		}
		if err := c.DB.Q().Audit(r.Context(), pforte.AuditEntry{At: c.now(), Event: pforte.EventStaffAccountViewed, AccountID: id,
			ActorID: staffOf(r).ID, Client: c.Host.Client(r)}); err != nil {
			c.Host.Error(w, r, err)
			return
		}
		c.showAccount(w, r, id, noticeOf(r), nil)
	})
}

// showAccount renders the account page with a notice or an error.
func (c *Console) showAccount(w http.ResponseWriter, r *http.Request, id int64, notice string, failed error) {
	p, err := c.loadAccount(r.Context(), id, staffOf(r))
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	c.Host.Render(w, r, http.StatusOK, Page{Name: "konto", Title: c.Host.Text(r, "console.title.account", "Email", p.Account.Email), Notice: notice, Err: failed, Data: p})
}

// action is one support or admin action on an account: its name in the
// notice after it (?erledigt=NAME), the notice, and what it does.
type action struct {
	name, notice string
	run          func(c *Console, r *http.Request, id int64, f url.Values) error
}

var (
	actConfirm = action{"bestaetigung", "console.done.confirm",
		byStaff((*account.Service).MailConfirmationByStaff)}
	actReset = action{"passwort-link", "console.done.reset",
		byStaff((*account.Service).MailResetByStaff)}
	actEndSessions = action{"sitzungen", "console.done.sessions",
		byStaff((*account.Service).EndSessionsByStaff)}
	actClearThrottle = action{"sperre", "console.done.throttle",
		byStaff((*account.Service).ClearThrottleByStaff)}
	actResetSecondFactor = action{"zwei-faktor", "console.done.second-factor",
		(*Console).resetSecondFactor}
)

// byStaff makes an action of a staff action of the account service, run
// by the acting staff account from its client.
func byStaff(fn func(*account.Service, context.Context, int64, int64, string) error) func(*Console, *http.Request, int64, url.Values) error {
	return func(c *Console, r *http.Request, id int64, _ url.Values) error {
		return fn(c.Accounts, r.Context(), id, staffOf(r).ID, c.Host.Client(r))
	}
}

var actions = []action{actConfirm, actReset, actEndSessions, actClearThrottle, actResetSecondFactor}

// noticeOf is the notice of the action named in ?erledigt.
func noticeOf(r *http.Request) string {
	done := r.URL.Query().Get("erledigt")
	for _, a := range actions {
		if a.name == done {
			return a.notice
		}
	}
	return ""
}

// accountAction runs act on the account of the path and shows the account
// again: after success by a redirect (so a reload repeats nothing), after
// a failure with the error.
func (c *Console) accountAction(act action) http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		id, ok := pathID(r)
		if !ok {
			c.Host.Error(w, r, notFound)
			return
		}
		if err := act.run(c, r, id, f); err != nil {
			c.failed(w, r, id, err)
			return
		}
		http.Redirect(w, r, "/verwaltung/konten/"+strconv.FormatInt(id, 10)+"?erledigt="+act.name, http.StatusSeeOther)
	})
}

// failed shows the account page with err, or the error page when the
// account is gone.
func (c *Console) failed(w http.ResponseWriter, r *http.Request, id int64, err error) {
	if code := pforte.ErrorCode(err); code == pforte.NotFound || code == pforte.Internal {
		c.Host.Error(w, r, err)
		return
	}
	p, lerr := c.loadAccount(r.Context(), id, staffOf(r))
	if lerr != nil {
		c.Host.Error(w, r, lerr)
		return
	}
	c.Host.Render(w, r, 0, Page{Name: "konto", Title: c.Host.Text(r, "console.title.account", "Email", p.Account.Email), Err: err, Data: p})
}

// resetSecondFactor turns the member's second factor and passkeys off
// through the second-factor service, for the reason given, and audits it
// with the acting admin.
func (c *Console) resetSecondFactor(r *http.Request, id int64, f url.Values) error {
	ctx := r.Context()
	reason, err := pforte.StaffReason(f.Get("reason"))
	if err != nil {
		return err
	}
	if _, err := c.DB.Q().AccountByID(ctx, id); errors.Is(err, store.ErrNotFound) {
		return notFound
	} else if err != nil {
		return err
	}
	staff, client := staffOf(r), c.Host.Client(r)
	if err := c.SecondFactor.ResetByStaff(ctx, id, staff.ID, reason, client); err != nil {
		return err
	}
	c.wake()
	return c.DB.Q().Audit(ctx, pforte.AuditEntry{At: c.now(), Event: pforte.EventStaffMFAReset, AccountID: id,
		ActorID: staff.ID, Client: client, Detail: reason})
}

func (c *Console) handleDelete() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		id, ok := pathID(r)
		if !ok {
			c.Host.Error(w, r, notFound)
			return
		}
		if err := c.Accounts.DeleteByStaff(r.Context(), id, staffOf(r).ID, f.Get("reason"), c.Host.Client(r)); err != nil {
			c.failed(w, r, id, err)
			return
		}
		http.Redirect(w, r, "/verwaltung/konten?geloescht=1", http.StatusSeeOther)
	})
}

// posted decodes and checks the posted form before h runs, as every form
// of the portal is checked.
func (c *Console) posted(h func(w http.ResponseWriter, r *http.Request, f url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := c.Host.Form(r)
		if err != nil {
			c.Host.Error(w, r, err)
			return
		}
		h(w, r, f)
	})
}

func (c *Console) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Host.Error(w, r, pforte.Errorf(pforte.NotFound, ""))
	})
}

package console

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pforte"
	"pforte/store"
)

// The outbox, the audit log and the staff list.

const (
	outboxLimit = 200
	csvLimit    = 100000
)

// outboxPage is the data of /verwaltung/post: mails without their bodies.
type outboxPage struct {
	Mails []store.MailInfo
}

func (c *Console) handleOutbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.showOutbox(w, r, "", nil)
	})
}

func (c *Console) showOutbox(w http.ResponseWriter, r *http.Request, notice string, failed error) {
	mails, err := c.DB.Q().UndeliveredMails(r.Context(), outboxLimit)
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	if notice == "" && r.URL.Query().Get("erneut") != "" {
		notice = "console.done.resend"
	}
	c.Host.Render(w, r, 0, Page{Name: "post", Title: "console.title.outbox", Notice: notice, Err: failed, Data: outboxPage{mails}})
}

// handleRetry makes an undelivered mail due now, given up or not.
func (c *Console) handleRetry() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			c.Host.Error(w, r, notFound)
			return
		}
		now := c.now()
		err = c.DB.Tx(r.Context(), func(tx *store.Tx) error {
			m, err := tx.RetryMail(r.Context(), id, now)
			if err != nil {
				return err
			}
			return tx.Audit(r.Context(), pforte.AuditEntry{At: now, Event: pforte.EventStaffMailRetried, AccountID: m.AccountID,
				ActorID: staffOf(r).ID, Client: c.Host.Client(r), Detail: "mail=" + strconv.FormatInt(id, 10)})
		})
		if errors.Is(err, store.ErrNotFound) {
			c.showOutbox(w, r, "", pforte.Errorf(pforte.NotFound, "Diese Mail ist schon zugestellt, wird gerade zugestellt oder ist gelöscht. Bitte laden Sie die Seite neu."))
			return
		}
		if err != nil {
			c.Host.Error(w, r, err)
			return
		}
		c.wake()
		http.Redirect(w, r, "/verwaltung/post?erneut=1", http.StatusSeeOther)
	})
}

// auditPage is the data of /verwaltung/protokoll.
type auditPage struct {
	Account, Event, Since string
	Entries               []pforte.AuditEntry
	More                  bool
}

// handleAudit shows the audit log filtered by account (address or
// number), event and start date; as CSV with format=csv.
func (c *Console) handleAudit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := auditPage{Account: strings.TrimSpace(q.Get("account")), Event: strings.TrimSpace(q.Get("event")),
			Since: strings.TrimSpace(q.Get("since"))}
		f, err := c.auditFilter(r, p)
		csvOut := q.Get("format") == "csv"
		if err != nil {
			c.Host.Render(w, r, 0, Page{Name: "protokoll", Title: "console.title.audit", Err: err, Data: p})
			return
		}
		f.Limit = auditLimit + 1
		if csvOut {
			f.Limit = csvLimit
		}
		if f.AccountID >= 0 {
			p.Entries, err = c.DB.Q().AuditLog(r.Context(), f)
			if err != nil {
				c.Host.Error(w, r, err)
				return
			}
		}
		if csvOut {
			if err := c.DB.Q().Audit(r.Context(), pforte.AuditEntry{At: c.now(), Event: pforte.EventStaffAuditExported,
				ActorID: staffOf(r).ID, Client: c.Host.Client(r), Detail: r.URL.RawQuery}); err != nil {
				c.Host.Error(w, r, err)
				return
			}
			writeCSV(w, p.Entries, c.now())
			return
		}
		p.Entries, p.More = p.Entries[:min(len(p.Entries), auditLimit)], len(p.Entries) > auditLimit
		c.Host.Render(w, r, http.StatusOK, Page{Name: "protokoll", Title: "console.title.audit", Data: p})
	})
}

// auditFilter reads the filters of p; an unknown address selects nothing
// (AccountID -1), since a purged account is found by its number.
func (c *Console) auditFilter(r *http.Request, p auditPage) (store.AuditFilter, error) {
	var f store.AuditFilter
	if p.Event != "" {
		f.Event = pforte.Event(p.Event)
	}
	if p.Since != "" {
		t, err := pforte.ParseDate(p.Since)
		if err != nil {
			// The field shows what was typed; the message stays fixed so
			// that the catalog has it in every language.
			return f, pforte.Errorf(pforte.BadRequest, "Bei „Seit“ steht kein Datum; bitte als JJJJ-MM-TT angeben.")
		}
		f.Since = t
	}
	switch id, err := strconv.ParseInt(p.Account, 10, 64); {
	case p.Account == "":
	case err == nil:
		f.AccountID = id
	default:
		email, err := pforte.NormalizeEmail(p.Account)
		if err != nil {
			return f, err
		}
		a, err := c.DB.Q().AccountByEmail(r.Context(), email)
		if errors.Is(err, store.ErrNotFound) {
			f.AccountID = -1
			return f, nil
		}
		if err != nil {
			return f, err
		}
		f.AccountID = a.ID
	}
	return f, nil
}

// writeCSV answers the entries as CSV (UTF-8, comma, header row), as a
// spreadsheet opens it.
func writeCSV(w http.ResponseWriter, entries []pforte.AuditEntry, now time.Time) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="protokoll-`+now.In(pforte.DateZone).Format("2006-01-02")+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "event", "account_id", "email", "actor_id", "actor", "client", "detail"})
	for _, e := range entries {
		// Every text cell, for addresses and details come from outside.
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.In(pforte.DateZone).Format(time.RFC3339), string(e.Event),
			idText(e.AccountID), csvSafe(e.Email), idText(e.ActorID), csvSafe(e.Actor), csvSafe(e.Client), csvSafe(e.Detail)})
	}
	cw.Flush()
}

func idText(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (addresses
// and details come from members' and staff's input).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// staffPage is the data of /verwaltung/mitarbeiter.
type staffPage struct {
	Staff []pforte.Account
	Email string
}

var staffNotices = map[string]string{
	"vergeben": "console.done.role-given",
	"entzogen": "console.done.role-taken",
}

func (c *Console) handleStaff() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.showStaff(w, r, staffNotices[r.URL.Query().Get("erledigt")], nil, "")
	})
}

func (c *Console) showStaff(w http.ResponseWriter, r *http.Request, notice string, failed error, email string) {
	list, err := c.DB.Q().StaffAccounts(r.Context())
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	c.Host.Render(w, r, 0, Page{Name: "mitarbeiter", Title: "console.title.staff", Notice: notice, Err: failed,
		Data: staffPage{Staff: list, Email: email}})
}

// handleSetRole grants (role support or admin) or revokes (role member)
// a staff role. Admins cannot change their own role here, so that the
// console never locks out the last of them by a slip.
func (c *Console) handleSetRole() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		staff, client := staffOf(r), c.Host.Client(r)
		email, role := strings.TrimSpace(f.Get("email")), strings.TrimSpace(f.Get("role"))
		var err error
		done := "vergeben"
		if norm, nerr := pforte.NormalizeEmail(email); nerr == nil && norm == staff.Email {
			err = pforte.Errorf(pforte.Forbidden, "Ihre eigene Rolle können Sie hier nicht ändern.")
		} else if rl, ok := pforte.ParseStaffRole(role); ok {
			_, err = c.Accounts.GrantRole(r.Context(), email, rl, staff.ID, client)
		} else if role == string(pforte.RoleMember) {
			done = "entzogen"
			_, err = c.Accounts.RevokeRole(r.Context(), email, staff.ID, client)
		} else {
			err = pforte.Errorf(pforte.BadRequest, "Die Rolle ist support, admin oder member (entziehen).")
		}
		if err != nil {
			c.showStaff(w, r, "", err, email)
			return
		}
		http.Redirect(w, r, "/verwaltung/mitarbeiter?erledigt="+done, http.StatusSeeOther)
	})
}

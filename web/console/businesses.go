package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"pforte"
	"pforte/business"
	"pforte/store"
)

func (c *Console) handleBusinessSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		showSearch(c, w, r, Page{Name: "betriebe", Title: "console.title.businesses"}, func(ctx context.Context, part, number string, limit int) ([]pforte.Business, error) {
			return c.DB.Q().SearchBusinesses(ctx, number, part, limit)
		})
	})
}

// businessPage is the data of /verwaltung/betriebe/{number}: never a PIN
// or its hash, only the dates.
type businessPage struct {
	Business pforte.Business
	Accounts []store.LinkedAccount
	Requests []store.PINRequestInfo
	PINs     []store.PINInfo
	Lockout  business.Lockout
}

var businessNotices = map[string]string{
	"brief":    "console.done.letter",
	"offen":    "console.done.letter-open",
	"sperre":   "console.done.lockout",
	"getrennt": "console.done.unlinked",
}

func (c *Console) handleBusiness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.showBusiness(w, r, businessNotices[r.URL.Query().Get("erledigt")], nil)
	})
}

func (c *Console) showBusiness(w http.ResponseWriter, r *http.Request, notice string, failed error) {
	ctx := r.Context()
	n, ok := pforte.NormalizeBusinessNumber(r.PathValue("number"))
	if !ok {
		c.Host.Error(w, r, notFound)
		return
	}
	q := c.DB.Q()
	b, err := q.BusinessByNumber(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		c.Host.Error(w, r, notFound)
		return
	}
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	p := businessPage{Business: *b}
	if p.Accounts, err = q.LinkedAccounts(ctx, n); err == nil {
		if p.Requests, err = q.PINRequestsOf(ctx, n, recentLimit); err == nil {
			if p.PINs, err = q.PINsOf(ctx, n, recentLimit); err == nil {
				p.Lockout, err = c.Businesses.LockoutOf(ctx, n)
			}
		}
	}
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	c.Host.Render(w, r, 0, Page{Name: "betrieb", Title: b.Name, Notice: notice, Err: failed, Data: p})
}

// businessDone sends the browser back to the business page with a notice,
// or shows it with the error.
func (c *Console) businessDone(w http.ResponseWriter, r *http.Request, notice string, err error) {
	if err != nil {
		if pforte.ErrorCode(err) == pforte.Internal {
			c.Host.Error(w, r, err)
			return
		}
		c.showBusiness(w, r, "", err)
		return
	}
	n, _ := pforte.NormalizeBusinessNumber(r.PathValue("number"))
	http.Redirect(w, r, "/verwaltung/betriebe/"+url.PathEscape(n)+"?erledigt="+notice, http.StatusSeeOther)
}

func (c *Console) handleQueueLetter() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		pending, err := c.Businesses.QueueLetterByStaff(r.Context(), r.PathValue("number"), staffOf(r).ID, c.Host.Client(r))
		notice := "brief"
		if pending {
			notice = "offen"
		}
		c.businessDone(w, r, notice, err)
	})
}

func (c *Console) handleClearLockout() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		err := c.Businesses.ClearLockoutByStaff(r.Context(), r.PathValue("number"), staffOf(r).ID, c.Host.Client(r))
		c.businessDone(w, r, "sperre", err)
	})
}

func (c *Console) handleUnlink() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		id, err := strconv.ParseInt(f.Get("account"), 10, 64)
		if err != nil {
			c.businessDone(w, r, "", pforte.Errorf(pforte.BadRequest, "Welches Konto soll getrennt werden? Die Angabe fehlt."))
			return
		}
		err = c.Businesses.UnlinkByStaff(r.Context(), r.PathValue("number"), id, staffOf(r).ID, c.Host.Client(r))
		c.businessDone(w, r, "getrennt", err)
	})
}

func (c *Console) handleLetters() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.showLetters(w, r, nil)
	})
}

func (c *Console) showLetters(w http.ResponseWriter, r *http.Request, failed error) {
	pending, err := c.DB.Q().PendingPINRequests(r.Context())
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	c.Host.Render(w, r, 0, Page{Name: "briefe", Title: "console.title.letters", Err: failed,
		Data: letters{Pending: pending, Batch: min(len(pending), c.Businesses.LettersPerPDF())}})
}

// letters is the letters page: the pending requests, oldest first, and
// how many of them the next PDF holds.
type letters struct {
	Pending []store.PINRequest
	Batch   int
}

// handlePrint answers one PDF of the pending letters (at most
// Service.LettersPerPDF); the requests are then marked sent
// (business.PrintLetters).
func (c *Console) handlePrint() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		pdf, n, err := c.Businesses.PrintLetters(r.Context(), staffOf(r).ID, c.Host.Client(r))
		if err != nil {
			if errors.Is(err, business.ErrNoLetters) {
				c.showLetters(w, r, err)
				return
			}
			c.Host.Error(w, r, err)
			return
		}
		name := fmt.Sprintf("pin-briefe-%s-%d.pdf", c.now().In(pforte.DateZone).Format("2006-01-02"), n)
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
		w.Write(pdf)
	})
}

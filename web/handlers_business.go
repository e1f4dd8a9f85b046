package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"pforte"
	"pforte/business"
	"pforte/oidc"
	"pforte/store"
)

// actorOf is the signed-in account of r with its session's strength, for
// the access rule of businesses.
func actorOf(r *http.Request) business.Actor {
	a := authOf(r)
	return business.Actor{Account: a.Account, SecondFactor: a.Session != nil && a.Session.SecondFactor()}
}

// businessKey keys the business of a request behind requireBusiness.
type businessKey struct{}

// businessOf is the business the request is about, checked by
// requireBusiness.
func businessOf(r *http.Request) *pforte.Business {
	b, _ := r.Context().Value(businessKey{}).(*pforte.Business)
	return b
}

// requireBusiness is the one check in front of every page of a business
// (/betrieb/{number}/…): a live session (else 303 to /anmelden, as
// requireSession does) and permission p on that business (else 403
// forbidden, with the way to a PIN). Later business services plug in here
// with the permission they need.
func (s *Server) requireBusiness(p business.Permission, next http.Handler) http.Handler {
	return s.requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := s.businesses.Access(r.Context(), actorOf(r), p, r.PathValue("number"))
		if err != nil {
			s.renderBusinessError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), businessKey{}, b)))
	}))
}

// renderBusinessError shows a forbidden answer with the way to a link
// (request a PIN, enter it); any other error as usual.
func (s *Server) renderBusinessError(w http.ResponseWriter, r *http.Request, err error) {
	if pforte.ErrorCode(err) != pforte.Forbidden {
		s.renderError(w, r, err)
		return
	}
	s.renderForm(w, r, "betrieb-verweigert", err, view{Title: "oidc.denied.title"})
}

// noLink is the answer of /betrieb for an account without any link.
var noLink = &pforte.Error{Code: pforte.Forbidden,
	Message: "Ihr Konto ist noch mit keinem Betrieb verknüpft. Die Dienste für Betriebe stehen erst nach der Verknüpfung mit der PIN Ihres Betriebs zur Verfügung."}

// handleBusinesses lists the account's businesses; without a link it
// answers 403 (CONTRACT §4). ?nummer=N opens one business (for staff, who
// may open any).
func (s *Server) handleBusinesses() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query().Get("nummer"); q != "" {
			if n, ok := pforte.NormalizeBusinessNumber(q); ok {
				http.Redirect(w, r, "/betrieb/"+n+"/", http.StatusSeeOther)
				return
			}
		}
		a := authOf(r).Account
		list, err := s.businesses.Linked(r.Context(), a)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if !business.Can(actorOf(r), business.UseServices, len(list) > 0) {
			s.renderBusinessError(w, r, noLink)
			return
		}
		s.render(w, r, http.StatusOK, "betrieb", view{Title: "business.list.title",
			Data: map[string]any{"Businesses": list, "Staff": actorOf(r).Staff()}})
	})
}

// handleBusinessSlash sends /betrieb/N to the business's page /betrieb/N/.
func (s *Server) handleBusinessSlash() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/betrieb/"+url.PathEscape(r.PathValue("number"))+"/", http.StatusMovedPermanently)
	})
}

// handleBusinessHome is the start page of one business's services.
func (s *Server) handleBusinessHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := businessOf(r)
		services, err := s.services(r, true)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		v := view{Title: b.Name, Data: businessPage{Business: b, Services: services}}
		if r.URL.Query().Get("verknuepft") != "" {
			v.Notice = "business.linked"
		}
		s.render(w, r, http.StatusOK, "betrieb-dienste", v)
	})
}

func (s *Server) handlePINRequestForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "betrieb-pin-beantragen", view{Title: "pin.title",
			Form: map[string]string{"business": r.URL.Query().Get("business")}})
	})
}

func (s *Server) handlePINRequest() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		number := f.Get("business")
		req, err := s.businesses.RequestPIN(r.Context(), authOf(r).Account, number, s.client(r))
		if err != nil {
			s.renderForm(w, r, "betrieb-pin-beantragen", err, view{Title: "pin.title",
				Form: map[string]string{"business": number}, ErrorField: fieldIf(err, pforte.PINInvalid, "business")})
			return
		}
		title := "pin.requested.title"
		switch {
		case req.AlreadyLinked:
			title = "pin.linked.title"
		case !req.LetterSent.IsZero():
			title = "pin.on-its-way.title"
		}
		s.render(w, r, http.StatusOK, "betrieb-pin-beantragt", view{Title: title, Data: req})
	})
}

func (s *Server) handleLinkForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "betrieb-verknuepfen", view{Title: "link.title",
			Form: map[string]string{"business": r.URL.Query().Get("business")}})
	})
}

func (s *Server) handleLink() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		number := f.Get("business")
		b, err := s.businesses.Link(r.Context(), authOf(r).Account, number, f.Get("pin"), s.client(r))
		if err != nil {
			// The PIN is never echoed back into the page.
			s.renderForm(w, r, "betrieb-verknuepfen", err, view{Title: "link.title",
				Form: map[string]string{"business": number}, ErrorField: fieldIf(err, pforte.PINInvalid, "pin")})
			return
		}
		http.Redirect(w, r, "/betrieb/"+b.Number+"/?verknuepft=1", http.StatusSeeOther)
	})
}

func (s *Server) handleUnlink() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		number := r.PathValue("number")
		if err := s.businesses.Unlink(r.Context(), authOf(r).Account, number, s.client(r)); err != nil {
			s.renderError(w, r, err)
			return
		}
		number, _ = pforte.NormalizeBusinessNumber(number)
		s.renderAccount(w, r, s.catalog.Must(langOf(r), "business.unlinked", "Number", number))
	})
}

// accountPage is the data of /konto: the linked businesses, the PIN
// letters on their way, the login before this one and the services the
// member can open.
type accountPage struct {
	Businesses    []pforte.Business
	Pending       []store.OwnPINRequest
	PreviousLogin time.Time
	Services      []oidc.Service
}

// businessPage is the data of /betrieb/{number}/: the business and the
// services for businesses.
type businessPage struct {
	*pforte.Business
	Services []oidc.Service
}

// services lists the services with a launch URL (for businesses or not).
func (s *Server) services(r *http.Request, forBusiness bool) ([]oidc.Service, error) {
	if s.oidc == nil {
		return nil, nil
	}
	return s.oidc.Services(r.Context(), forBusiness)
}

// pendingShown is how long /konto mentions a PIN request: past it, the
// letter has long arrived or gone astray (the help page says what to do).
const pendingShown = 30 * 24 * time.Hour

// renderAccount shows /konto with the account's businesses and notice:
// from the page read with the session, else read now in one query.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, notice string) {
	a := authOf(r)
	data := a.Page
	if data == nil {
		var err error
		if data, err = s.db.Q().AccountPage(r.Context(), a.Account.ID, time.Now().Add(-pendingShown)); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	page := accountPage{Businesses: data.Businesses, Pending: data.Pending, PreviousLogin: data.PreviousLogin}
	if s.oidc != nil {
		// A member linked to a business can open its services too.
		page.Services = oidc.ServicesOf(data.Services, len(data.Businesses) > 0)
	}
	s.render(w, r, http.StatusOK, "konto", view{Title: "account.title", Notice: notice, Data: page})
}

// handleUnlinkForm asks before a link is undone: a new link costs a PIN
// letter and days of waiting.
func (s *Server) handleUnlinkForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, err := s.businesses.Linked(r.Context(), authOf(r).Account)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		n, _ := pforte.NormalizeBusinessNumber(r.PathValue("number"))
		for _, b := range list {
			if b.Number == n {
				s.render(w, r, http.StatusOK, "betrieb-trennen", view{Title: "unlink.title", Data: b})
				return
			}
		}
		s.renderError(w, r, pforte.Errorf(pforte.NotFound, "Ihr Konto ist mit diesem Betrieb nicht verknüpft."))
	})
}

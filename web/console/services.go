package console

import (
	"context"
	"net/http"
	"net/url"

	"pforte"
	"pforte/store"
)

// Services is what the console needs of the OpenID provider: admins see
// the chamber's services and may remove one. Adding a service and new
// secrets stay on the command line (`pforte clients add`, `rotate-secret`):
// a secret is shown once, and staff never see a secret.
type Services interface {
	RemoveClient(ctx context.Context, id string, by pforte.AuditEntry) error
}

type servicesPage struct {
	Clients []store.OIDCClient
}

var servicesNotices = map[string]string{
	"entfernt": "console.done.service-removed",
}

func (c *Console) handleServices() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.showServices(w, r, servicesNotices[r.URL.Query().Get("erledigt")], nil)
	})
}

func (c *Console) showServices(w http.ResponseWriter, r *http.Request, notice string, failed error) {
	list, err := c.DB.Q().OIDCClients(r.Context())
	if err != nil {
		c.Host.Error(w, r, err)
		return
	}
	c.Host.Render(w, r, 0, Page{Name: "dienste", Title: "console.title.services", Notice: notice, Err: failed,
		Data: servicesPage{Clients: list}})
}

// handleRemoveService removes a service for the reason given: its tokens
// stop working at once. Audited with the acting admin and the reason.
func (c *Console) handleRemoveService() http.Handler {
	return c.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		reason, err := pforte.StaffReason(f.Get("reason"))
		if err == nil {
			err = c.Services.RemoveClient(r.Context(), r.PathValue("id"), pforte.AuditEntry{ActorID: staffOf(r).ID,
				Client: c.Host.Client(r), Detail: "(" + reason + ")"})
		}
		if pforte.ErrorCode(err) == pforte.NotFound {
			c.Host.Error(w, r, err)
			return
		}
		if err != nil {
			c.showServices(w, r, "", err)
			return
		}
		http.Redirect(w, r, "/verwaltung/dienste?erledigt=entfernt", http.StatusSeeOther)
	})
}

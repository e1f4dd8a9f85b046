package console

import "net/http"

// routes lists every route of the console in one place. Every page and
// action needs a staff role and a second factor (requireStaff); admin
// actions need the admin role too. Every action is a POST (the portal's
// cross-origin protection guards them) and is audited with the acting
// staff account.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	admin := c.requireAdmin

	mux.Handle("GET /verwaltung", c.handleOverview())
	mux.Handle("GET /verwaltung/{$}", c.handleOverview())

	// Accounts.
	mux.Handle("GET /verwaltung/konten", c.handleAccountSearch())
	mux.Handle("GET /verwaltung/konten/{id}", c.handleAccount())
	mux.Handle("POST /verwaltung/konten/{id}/bestaetigung-senden", c.accountAction(actConfirm))
	mux.Handle("POST /verwaltung/konten/{id}/passwort-link-senden", c.accountAction(actReset))
	mux.Handle("POST /verwaltung/konten/{id}/sitzungen-beenden", c.accountAction(actEndSessions))
	mux.Handle("POST /verwaltung/konten/{id}/sperre-aufheben", c.accountAction(actClearThrottle))
	mux.Handle("POST /verwaltung/konten/{id}/zwei-faktor-zuruecksetzen", admin(c.accountAction(actResetSecondFactor)))
	mux.Handle("POST /verwaltung/konten/{id}/loeschen", admin(c.handleDelete()))

	// Businesses and letters.
	mux.Handle("GET /verwaltung/betriebe", c.handleBusinessSearch())
	mux.Handle("GET /verwaltung/betriebe/{number}", c.handleBusiness())
	mux.Handle("POST /verwaltung/betriebe/{number}/pin-brief", c.handleQueueLetter())
	mux.Handle("POST /verwaltung/betriebe/{number}/sperre-aufheben", c.handleClearLockout())
	mux.Handle("POST /verwaltung/betriebe/{number}/trennen", c.handleUnlink())
	mux.Handle("GET /verwaltung/briefe", c.handleLetters())
	mux.Handle("POST /verwaltung/briefe/drucken", c.handlePrint())

	// Mail, the audit log and staff.
	mux.Handle("GET /verwaltung/post", c.handleOutbox())
	mux.Handle("POST /verwaltung/post/{id}/erneut", c.handleRetry())
	mux.Handle("GET /verwaltung/protokoll", c.handleAudit())
	mux.Handle("GET /verwaltung/mitarbeiter", admin(c.handleStaff()))
	mux.Handle("POST /verwaltung/mitarbeiter", admin(c.handleSetRole()))
	if c.Services != nil {
		mux.Handle("GET /verwaltung/dienste", admin(c.handleServices()))
		mux.Handle("POST /verwaltung/dienste/{id}/entfernen", admin(c.handleRemoveService()))
	}

	mux.Handle("/", c.handleNotFound())
	return c.requireStaff(mux)
}

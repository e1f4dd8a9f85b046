package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"pforte/mail"
	"pforte/metrics"
	"pforte/oidc"
	"pforte/store"
	"pforte/web"
)

// serve runs the portal until ctx ends (SIGTERM, SIGINT), then shuts down
// gracefully: requests in flight finish, the mail worker stops after the
// mail in hand; undelivered mails wait in the outbox for the next start.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 0 {
		return usageError{"serve nimmt keine Argumente"}
	}
	a, err := open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	cfg, log := a.cfg, a.log

	var sender mail.Sender
	if cfg.DevMail() {
		sender = mail.LogSender{Log: log}
	} else {
		s, err := mail.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return err
		}
		s.Timeout = cfg.SMTPTimeout
		s.Log = log
		sender = s
	}
	outbox := store.Outbox{DB: a.db, Keep: cfg.DevMail()}
	// The lease (PFORTE_MAIL_LEASE) outlasts the longest delivery, so that
	// no other worker takes over a mail still being sent.
	worker := &mail.Worker{Queue: outbox, Sender: sender, Log: log, Poll: 5 * time.Second, RetryBase: cfg.MailRetry,
		Lease: max(cfg.MailLease, 2*cfg.SMTPTimeout)}
	a.accounts.WakeMail = worker.Wake
	a.mfa.WakeMail = worker.Wake

	m := metrics.New(outbox.Depth)
	a.accounts.CountLogin = m.Login
	a.oidc.CountToken, a.oidc.CountRefused = m.OIDCToken, m.OIDCRefused
	m.OIDC(a.db.Q().OIDCLogoutCounts)
	if err := a.oidc.Start(ctx); err != nil {
		return fmt.Errorf("OpenID Provider: %w", err)
	}
	logouts := &oidc.Logouts{P: a.oidc, Poll: 2 * time.Second, RetryBase: cfg.OIDCLogoutRetry}
	handler, err := web.New(web.Deps{Config: cfg, DB: a.db, Accounts: a.accounts, Sessions: a.sessions, Metrics: m, Log: log,
		Businesses: a.businesses, MFA: a.mfa, Limits: a.limits, SecondFactor: a.mfa, WakeMail: worker.Wake, OIDC: a.oidc})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("PFORTE_ADDR: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { worker.Run(workCtx) })
	wg.Go(func() { a.maintain(workCtx) })
	wg.Go(func() { logouts.Run(workCtx) })
	wg.Go(func() { a.sweep(workCtx, logouts) })

	mode := "SMTP"
	if cfg.DevMail() {
		mode = "Entwicklung: Mails im Postausgang, siehe " + cfg.BaseURL.String() + "/entwicklung/post"
	}
	if a.mfa.WebAuthn == nil {
		log.Warn("passkeys unavailable: WebAuthn allows no IP address in PFORTE_BASE_URL", "base_url", cfg.BaseURL.String())
	}
	log.Info("pforte listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(),
		"database", databaseWhere(cfg), "data_dir", cfg.DataDir, "mail", mode)
	fmt.Fprintf(stdout, "Pforte läuft auf http://%s (Datenbank: %s, Mail: %s)\n", ln.Addr(), databaseWhere(cfg), mode)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopWork()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// maintain prunes what has run out: old sessions, tokens, counters.
func (a *app) maintain(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		now := time.Now()
		if _, err := a.sessions.Prune(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("prune sessions", "err", err)
		}
		if _, err := a.db.Q().PruneTokens(ctx, now.Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Warn("prune tokens", "err", err)
		}
		if _, err := a.db.Q().PruneCounters(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Warn("prune counters", "err", err)
		}
		if _, err := a.db.Q().PrunePending(ctx, now); err != nil && ctx.Err() == nil {
			a.log.Warn("prune pending logins", "err", err)
		}
		if _, err := a.db.Q().PruneMailsWithoutAccount(ctx, now.Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Warn("prune mails without account", "err", err)
		}
		if err := a.oidc.Prune(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("prune oidc", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep ends, for the services, the sessions that timed out while holding
// tokens, every few seconds: their back-channel logouts leave within the
// 30 s of the contract even if the browser never comes back.
func (a *app) sweep(ctx context.Context, logouts *oidc.Logouts) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.oidc.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("sweep timed-out sessions", "err", err)
		}
		if n > 0 {
			logouts.Wake()
		}
	}
}

// sweepEvery is the pause between sweeps.
const sweepEvery = 5 * time.Second

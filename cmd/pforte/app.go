package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"pforte/account"
	"pforte/business"
	"pforte/config"
	"pforte/document"
	"pforte/keyring"
	"pforte/mail"
	"pforte/oidc"
	"pforte/password"
	"pforte/session"
	"pforte/store"
	"pforte/throttle"
)

// app is the wired program: configuration, database and services, shared
// by serve and the operator's commands.
type app struct {
	cfg      config.Config
	db       *store.DB
	log      *slog.Logger
	accounts *account.Service
	sessions *session.Sessions
	limits   *throttle.Limiter
	composer mail.Composer
	// keys seal secrets at rest (PFORTE_SECRET_KEY, or the generated
	// development key in the data folder).
	keys *keyring.Keyring

	// businesses serves the portal's business pages and the operator's
	// businesses, pins and letters commands.
	businesses *business.Service

	// oidc is the OpenID Provider for the services (serve starts it; the
	// clients and keys commands use its store and keys).
	oidc *oidc.Provider
}

// open reads the configuration, connects and migrates the database and
// builds the services.
func open(ctx context.Context, getenv func(string) string, logTo io.Writer) (*app, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	log := slog.New(slog.NewJSONHandler(logTo, &slog.HandlerOptions{Level: level}))
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("PFORTE_DATABASE: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &app{cfg: cfg, db: db, log: log}
	if cfg.SecretKey != "" {
		a.keys, err = keyring.Parse(cfg.SecretKey)
	} else {
		a.keys, err = keyring.LoadOrCreate(cfg.SecretKeyFile())
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("PFORTE_SECRET_KEY: %w", err)
	}
	a.limits = &throttle.Limiter{DB: db, PerClient: cfg.RateLimits}
	a.composer = mail.Composer{BaseURL: cfg.BaseURL.String(), Contact: cfg.ContactEmail, Product: "Kundenportal"}
	// Each hash needs Argon2.Memory of RAM: at most two per core at once.
	hasher := password.NewHasher(cfg.Argon2, 2*runtime.NumCPU())
	a.accounts = &account.Service{DB: db, Hasher: hasher, Policy: cfg.Policy, Mail: a.composer, Limits: a.limits,
		ConfirmTTL: cfg.ConfirmTokenTTL, ResetTTL: cfg.ResetTokenTTL, Log: log}
	a.sessions = &session.Sessions{DB: db, Idle: cfg.SessionIdle, Max: cfg.SessionMax}
	ch := cfg.Chamber
	a.businesses = &business.Service{DB: db, Limits: a.limits, PINTTL: cfg.PINTTL, BaseURL: cfg.BaseURL.String(),
		Sender: document.Sender{Name: ch.Name, Street: ch.Street, Postcode: ch.Postcode, City: ch.City,
			Email: cfg.ContactEmail, Phone: ch.Phone, Web: cfg.BaseURL.String()}}
	a.oidc = &oidc.Provider{DB: db, Sessions: a.sessions, Keys: a.keys, Issuer: cfg.BaseURL.String(),
		AccessTTL: cfg.OIDCAccessTTL, Log: log}
	return a, nil
}

func (a *app) close() { a.db.Close() }

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 0 {
		return usageError{"migrate nimmt keine Argumente"}
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(stdout, "Schema aktuell (%s).\n", a.db.Dialect())
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"pforte"
	"pforte/account"
	"pforte/business"
	"pforte/config"
	"pforte/document"
	"pforte/keyring"
	"pforte/mail"
	"pforte/mfa"
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
	// mfa is the second factor and passkeys; the staff console asks it
	// (Enabled, CountEnabled, ResetByStaff).
	mfa *mfa.Service
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
	a.composer = mail.Composer{BaseURL: cfg.BaseURL.String(), Contact: cfg.ContactEmail,
		Product: strings.TrimSpace("Kundenportal " + pforte.GermanOf(cfg.Chamber.Name)), Chamber: cfg.Chamber.Name, Colour: cfg.Chamber.Colour}
	hasher := password.NewHasher(cfg.Argon2, hashSlots())
	a.accounts = &account.Service{DB: db, Hasher: hasher, Policy: cfg.Policy, Mail: a.composer, Limits: a.limits,
		ConfirmTTL: cfg.ConfirmTokenTTL, ResetTTL: cfg.ResetTokenTTL, Log: log}
	a.sessions = &session.Sessions{DB: db, Idle: cfg.SessionIdle, Max: cfg.SessionMax}
	ch := cfg.Chamber
	a.businesses = &business.Service{DB: db, Limits: a.limits, PINTTL: cfg.PINTTL, BaseURL: cfg.BaseURL.String(),
		Sender: document.Sender{Name: ch.Name, Street: ch.Street, Postcode: ch.Postcode, City: ch.City,
			Email: cfg.ContactEmail, Phone: ch.Phone, Contact: ch.Contact, Web: cfg.BaseURL.String()}}
	wa, err := mfa.NewWebAuthn(cfg.BaseURL, a.composer.Product)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("PFORTE_BASE_URL: passkeys: %w", err)
	}
	a.mfa = &mfa.Service{WebAuthn: wa, DB: db, Keys: a.keys, Mail: a.composer, Limits: a.limits, Issuer: a.composer.Product, Log: log,
		CodeClock: clockOf(ctx)}
	a.oidc = &oidc.Provider{DB: db, Sessions: a.sessions, Keys: a.keys, Issuer: cfg.BaseURL.String(),
		AccessTTL: cfg.OIDCAccessTTL, Log: log, Limits: a.limits}
	return a, nil
}

// clockKey carries, in run's context, a clock for the second factor's
// codes: tests step it a period ahead instead of waiting 30 seconds. The
// program itself never sets it and runs on the real time.
type clockKey struct{}

func clockOf(ctx context.Context) func() time.Time {
	f, _ := ctx.Value(clockKey{}).(func() time.Time)
	return f
}

// openExisting is open for the operator's commands other than serve and
// migrate: on SQLite they refuse a database file that does not exist yet.
// Run from the wrong folder or with a mistyped setting, a command would
// otherwise work on a new, empty database and report nothing amiss.
func openExisting(ctx context.Context, getenv func(string) string, logTo io.Writer) (*app, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	if path, ok := store.SQLiteFile(cfg.Database); ok {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("PFORTE_DATABASE: die SQLite-Datenbank %s gibt es nicht. Prüfen Sie PFORTE_DATA_DIR "+
				"und PFORTE_DATABASE (der Befehl muss dieselbe Datenbank nutzen wie pforte serve); eine neue Datenbank "+
				"legt pforte migrate an", abs)
		}
	}
	return open(ctx, getenv, logTo)
}

func (a *app) close() {
	a.accounts.Hasher.Close()
	a.db.Close()
}

// databaseWhere names the database for the log: an SQLite file by its
// absolute path, so the operator sees which one a process uses; PostgreSQL
// without its URL, which may hold a password.
func databaseWhere(cfg config.Config) string {
	if path, ok := store.SQLiteFile(cfg.Database); ok {
		if abs, err := filepath.Abs(path); err == nil {
			return "sqlite " + abs
		}
	}
	return "postgres"
}

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

// hashSlots is how many password hashes run at once: one per core the Go
// runtime uses (GOMAXPROCS, which follows a container's CPU limit). A hash
// is pure computation, so more at once would only take turns on the cores
// (preempted every 10 ms, each pushing the other's blocks out of the
// caches), and each holds Argon2.Memory of RAM.
func hashSlots() int { return runtime.GOMAXPROCS(0) }

// Package store keeps Pforte's data in SQLite (embedded, pure Go) or
// PostgreSQL. All SQL lives here; both dialects share the same queries
// ($n placeholders, RETURNING, ON CONFLICT) and differ only in their
// migrations and the names of the JSON functions of the account page
// (SessionPage). Times are stored as Unix milliseconds.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database behind a DB.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ConnectTimeout bounds each new PostgreSQL connection unless the URL sets
// connect_timeout itself.
const ConnectTimeout = 3 * time.Second

// DB is an open database. Its zero value is not usable; call Open.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	path    string  // the SQLite file
	q       queryer // for Q: db.sql, or its prepared statements on SQLite
}

// ParseURL tells the dialect of a PFORTE_DATABASE value and the driver's
// data source name for it: "sqlite:PATH" or "postgres://…"/"postgresql://…".
func ParseURL(raw string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := sqlitePath(raw)
		if path == "" {
			return "", "", errors.New("sqlite: path missing (sqlite:PATH)")
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		// FULL: a commit is on disk before it returns, so that not even a
		// power cut loses a committed account, token or mail.
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", "immediate")
		// Built as a URL, so that "#" or "?" in the path cannot cut off the
		// pragmas (without foreign_keys no cascade would happen).
		return SQLite, (&url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}).String(), nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("postgres: %w", err)
		}
		// Without a connect timeout a server that accepts and never
		// answers (stuck, or behind a broken network) holds every new
		// connection, and the request on it, for as long as TCP takes.
		if !u.Query().Has("connect_timeout") {
			sep := "?"
			if strings.Contains(raw, "?") {
				sep = "&"
			}
			raw += sep + "connect_timeout=" + strconv.Itoa(int(ConnectTimeout/time.Second))
		}
		return Postgres, raw, nil
	}
	return "", "", errors.New(`expected "sqlite:PATH" or "postgres://…"`)
}

// Open connects to the database at raw (see ParseURL). It creates the
// folder of an SQLite file. It does not migrate; call Migrate.
func Open(ctx context.Context, raw string) (*DB, error) {
	dialect, dsn, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	driver := "pgx"
	if dialect == SQLite {
		driver = "sqlite"
		path := sqlitePath(raw)
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("sqlite: data folder: %w", err)
			}
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	// As many idle connections kept as may be open: under load, a pool
	// that keeps fewer closes connections after each burst and opens them
	// again (on PostgreSQL a new server process each), which cost more
	// than the queries on them.
	conns := 20
	if dialect == SQLite {
		// One writer at a time anyway; a few connections serve the readers.
		conns = 8
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if dialect == SQLite {
		// The first connection switches a new file to WAL, which cannot
		// wait for a busy database: processes starting together take turns.
		unlock, err := lockFile(sqlitePath(raw) + ".migrate-lock")
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		defer unlock()
	}
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", dialect, err)
	}
	d := &DB{sql: db, dialect: dialect, q: db}
	if dialect == SQLite {
		d.path = sqlitePath(raw)
		d.q = &prepared{db: db}
	}
	return d, nil
}

// Dialect tells which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the connection pool.
func (db *DB) Close() error {
	if p, ok := db.q.(*prepared); ok {
		p.close()
	}
	return db.sql.Close()
}

// Ping checks that the database answers (for /healthz).
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Migrate applies every pending migration. Several processes may call it
// at once: on PostgreSQL an advisory lock serialises them.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return err
	}
	var opts []goose.ProviderOption
	gd := goose.DialectSQLite3
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db.sql, sub, opts...)
	if err != nil {
		return err
	}
	if db.dialect == SQLite {
		// goose has no lock for SQLite: two processes starting on a new
		// file would both run the first migration. A file lock beside the
		// database serialises them, as the advisory lock does on PostgreSQL.
		unlock, err := lockFile(db.path + ".migrate-lock")
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer unlock()
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx runs queries: inside a transaction (from DB.Tx) or, from DB.Q, each on
// its own. Every query method of the store is a method of Tx, written once.
type Tx struct {
	q       queryer
	dialect Dialect // for the few queries that differ (SessionPage)
}

// Q returns a Tx whose queries run on their own, outside a transaction.
func (db *DB) Q() *Tx { return &Tx{q: db.q, dialect: db.dialect} }

// Tx runs fn in one transaction: committed if fn returns nil, rolled back
// otherwise (also on panic).
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	t, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			t.Rollback()
			panic(p)
		}
		if err != nil {
			t.Rollback()
		}
	}()
	if err = fn(&Tx{q: t, dialect: db.dialect}); err != nil {
		return err
	}
	return t.Commit()
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ms converts a time to stored milliseconds; the zero time is NULL.
func ms(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMS converts stored milliseconds back; NULL is the zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// lockFile takes an exclusive lock on the file at path (created if need
// be), waiting for other processes, and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// sqlitePath is the file of a "sqlite:PATH" URL.
// SQLiteFile is the file of an SQLite database URL; false for PostgreSQL.
func SQLiteFile(raw string) (string, bool) {
	if !strings.HasPrefix(raw, "sqlite:") {
		return "", false
	}
	return sqlitePath(raw), true
}

func sqlitePath(raw string) string {
	return strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
}

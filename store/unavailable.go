package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable tells whether err means the database cannot be reached for
// now — refused or cut connections, a server restarting or shutting down,
// a connection or query that ran out of time, a full or failing disk —
// rather than a fault of the request or of Pforte. Such a request may
// simply be tried again once the database is back; the web layer answers
// it with the 503 page unavailable instead of internal.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return unavailableState(pe.Code)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return sqliteUnavailable(se.Code())
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOSPC):
		return true
	}
	return false
}

// unavailableState tells whether a PostgreSQL SQLSTATE is one of a server
// that cannot serve for now: class 08 (connection exception), 53
// (insufficient resources: out of connections, memory or disk), 57014
// (a statement cancelled for taking too long) and 57P01–57P05 (shut down,
// crashed, starting up, idle session ended) but 57P04 (database dropped,
// a fault of the set-up).
func unavailableState(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || code == "57014" ||
		(strings.HasPrefix(code, "57P") && code != "57P04")
}

// sqliteUnavailable tells whether an SQLite result code (extended or
// primary) is one of a file that cannot take the write for now: the disk
// is full (SQLITE_FULL) or failing (SQLITE_IOERR), the file cannot be
// opened (SQLITE_CANTOPEN), or the write lock stayed taken beyond the
// busy timeout (SQLITE_BUSY). The transaction was rolled back.
func sqliteUnavailable(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY:
		return true
	}
	return false
}

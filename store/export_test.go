package store

import (
	"context"
	"database/sql"
)

// QueryRowForTest lets the external tests read what no method exposes.
func (db *DB) QueryRowForTest(ctx context.Context, q string, args ...any) *sql.Row {
	return db.sql.QueryRowContext(ctx, q, args...)
}

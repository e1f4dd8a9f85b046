package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"pforte/store"
)

// TestUnavailableSQLite: a write that finds the lock taken beyond the busy
// timeout is unavailable (try again), an account not found is not.
func TestUnavailableSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pforte.db")
	db := open(t, "sqlite:"+path)
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	impatient, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	_, busy := impatient.ExecContext(ctx, `INSERT INTO throttle (key, count, window_start) VALUES ('k', 1, 0)`)
	if busy == nil || !store.Unavailable(busy) {
		t.Errorf("write against a held lock: Unavailable(%v) = false", busy)
	}
	conn.ExecContext(ctx, `ROLLBACK`)

	_, missing := db.Q().AccountByEmail(ctx, "niemand@example.de")
	if missing == nil || store.Unavailable(missing) {
		t.Errorf("an account that does not exist: Unavailable(%v), want false", missing)
	}
}

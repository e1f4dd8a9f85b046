package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// The statement cache on SQLite: a query is prepared once and reused, a
// bad query still reports its error, and queries past the bound run
// unprepared rather than growing the cache.
func TestPreparedStatements(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := db.q.(*prepared)
	for range 3 {
		var n int
		if err := db.Q().q.QueryRowContext(ctx, `SELECT $1 + 1`, 41).Scan(&n); err != nil || n != 42 {
			t.Fatalf("got %d, %v", n, err)
		}
	}
	if len(p.stmts) != 1 {
		t.Fatalf("%d statements cached, want 1", len(p.stmts))
	}
	if _, err := db.Q().q.ExecContext(ctx, `SELEKT nothing`); err == nil {
		t.Fatal("a bad query gave no error")
	}
	for i := range maxPrepared + 10 {
		var n int
		if err := db.Q().q.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: got %d, %v", i, n, err)
		}
	}
	if len(p.stmts) != maxPrepared {
		t.Fatalf("%d statements cached, want the bound %d", len(p.stmts), maxPrepared)
	}
}

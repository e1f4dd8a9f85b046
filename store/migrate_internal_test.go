package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"pforte"
)

// TestMigrationDayUpgradesSQLite: migration 00003 rebuilds the accounts
// table of a database in use; every account and everything that refers
// to one must come through, the foreign keys must still cascade, and ids
// must no longer be reused.
func TestMigrationDayUpgradesSQLite(t *testing.T) {
	ctx := context.Background()
	db := sqliteAt(t, 2)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var ids []int64
	for _, e := range []string{"a@example.de", "b@example.de", "c@example.de"} {
		a := &pforte.Account{Email: e, PasswordHash: "h-" + e, PasswordSetAt: now, PreviousHash: "p", ConfirmedAt: now, CreatedAt: now, LastLoginAt: now}
		if err := db.Q().CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		// Raw SQL: the store writes today's schema, this is version 2's.
		if _, err := db.sql.Exec(`INSERT INTO sessions (hash, account_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
			"s"+e, a.ID, now.UnixMilli(), now.Add(time.Hour).UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	// c@ was deleted before the upgrade; only the audit log remembers it.
	if _, err := db.sql.Exec(`INSERT INTO audit (at, event, account_id) VALUES ($1, $2, $3)`, now.UnixMilli(), "registered", ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`DELETE FROM accounts WHERE id = $1`, ids[2]); err != nil {
		t.Fatal(err)
	}

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[:2] {
		a, err := db.Q().AccountByID(ctx, id)
		if err != nil || a.Email != []string{"a@example.de", "b@example.de"}[i] || a.PasswordHash != "h-"+a.Email ||
			!a.LastLoginAt.Equal(now) || !a.ConfirmedAt.Equal(now) || a.PreviousHash != "p" {
			t.Fatalf("account %d after the upgrade: %+v %v", id, a, err)
		}
	}
	var fk int
	var check []string
	db.sql.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
	rows, _ := db.sql.Query(`PRAGMA foreign_key_check`)
	for rows.Next() {
		var table string
		var rowid, parent, fkid any
		rows.Scan(&table, &rowid, &parent, &fkid)
		check = append(check, table)
	}
	rows.Close()
	if fk != 1 || len(check) != 0 {
		t.Fatalf("foreign keys %d, violations %v", fk, check)
	}
	// The sessions refer to the new table and go with their account.
	if _, err := db.sql.Exec(`DELETE FROM accounts WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Q().CountSessions(ctx, ids[0]); n != 0 {
		t.Fatalf("sessions of a deleted account: %d", n)
	}
	if n, _ := db.Q().CountSessions(ctx, ids[1]); n != 1 {
		t.Fatalf("sessions of a kept account: %d", n)
	}
	// The largest id ever used (the deleted c@) is not handed out again.
	a := &pforte.Account{Email: "d@example.de", CreatedAt: now}
	if err := db.Q().CreateAccount(ctx, a); err != nil || a.ID <= ids[2] {
		t.Fatalf("new account got id %d (largest used %d): %v", a.ID, ids[2], err)
	}
}

// TestStaffRoleBecomesAdmin: migration 00009 turns the one earlier staff
// role into admin and leaves members alone.
func TestStaffRoleBecomesAdmin(t *testing.T) {
	ctx := context.Background()
	db := sqliteAt(t, 4)
	for _, r := range [][2]string{{"chef@hwk.example", "staff"}, {"max@example.de", "member"}} {
		if _, err := db.sql.Exec(`INSERT INTO accounts (email, role, created_at) VALUES ($1, $2, 1)`, r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string]pforte.Role{"chef@hwk.example": pforte.RoleAdmin, "max@example.de": pforte.RoleMember} {
		if a, err := db.Q().AccountByEmail(ctx, email); err != nil || a.Role != want {
			t.Errorf("%s after 00009: %v %v, want %s", email, a, err, want)
		}
	}
}

// sqliteAt is a new SQLite database migrated up to version.
func sqliteAt(t *testing.T, version int64) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "pforte.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sub, _ := fs.Sub(migrations, "migrations/sqlite")
	p, err := goose.NewProvider(goose.DialectSQLite3, db.sql, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	return db
}

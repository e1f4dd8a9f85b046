// Package storetest gives tests real databases: a fresh SQLite file and a
// fresh PostgreSQL database per call, so that every storage test runs on
// both. PostgreSQL comes from PFORTE_TEST_POSTGRES (default: the local
// server, user postgres); outside CI an unreachable server skips the
// PostgreSQL half with a message, under CI=true it fails the test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"pforte/store"
)

// AdminURL is the PostgreSQL server the tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("PFORTE_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Each runs fn as two subtests, "sqlite" and "postgres", each with the URL
// of a fresh, empty database (PFORTE_DATABASE syntax).
func Each(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// SQLiteURL returns the URL of a new SQLite file in the test's temp dir.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "pforte.db")
}

// PostgresURL creates a fresh PostgreSQL database, dropped when the test
// ends, and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := AdminURL()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is required under CI: %v", admin, err)
		}
		t.Skipf("PostgreSQL at %s unreachable, skipping the PostgreSQL half: %v", admin, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "pforte_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("postgres: drop %s: %v", name, err)
		}
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	u.Path = "/" + name
	return fmt.Sprint(u)
}

// Open opens the database at dbURL, applies the migrations and closes it
// when the test ends.
func Open(t testing.TB, dbURL string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

package store_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// TestUnavailable tells a database that cannot be reached from a fault of
// the request: the first is the 503 page unavailable, the second not.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	// A port nobody listens on: Open fails to connect.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, refused := store.Open(ctx, "postgres://postgres@"+closed+"/postgres?sslmode=disable")
	if refused == nil || !store.Unavailable(refused) {
		t.Errorf("refused connection: Unavailable(%v) = false", refused)
	}

	db := storetest.Open(t, storetest.PostgresURL(t))
	a := &pforte.Account{Email: "doppelt@example.de", PasswordHash: "h", PasswordSetAt: time.Now(), CreatedAt: time.Now()}
	if err := db.Q().CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	exists := db.Q().CreateAccount(ctx, &pforte.Account{Email: a.Email, PasswordHash: "h", PasswordSetAt: time.Now(), CreatedAt: time.Now()})
	_, missing := db.Q().AccountByEmail(ctx, "niemand@example.de")
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	<-short.Done()
	_, late := db.Q().AccountByEmail(short, a.Email)

	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"address taken", exists, false},
		{"not found", missing, false},
		{"a fault of ours", errors.New("template: no such page"), false},
		{"deadline passed", late, true},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if got := store.Unavailable(c.err); got != c.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

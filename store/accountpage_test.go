package store_test

import (
	"context"
	"testing"
	"time"

	"pforte"
	"pforte/store/storetest"
)

func TestPreviousLoginAndOwnPINRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		a := &pforte.Account{Email: "konto@example.de", CreatedAt: t0}
		other := &pforte.Account{Email: "andere@example.de", CreatedAt: t0}
		db.Q().CreateAccount(ctx, a)
		db.Q().CreateAccount(ctx, other)

		if at, err := db.Q().PreviousLogin(ctx, a.ID); err != nil || !at.IsZero() {
			t.Fatalf("no logins: %v %v", at, err)
		}
		for i, acct := range []int64{a.ID, other.ID, a.ID} {
			db.Q().Audit(ctx, pforte.AuditEntry{At: t0.Add(time.Duration(i) * time.Hour), Event: pforte.EventLoginSucceeded, AccountID: acct})
		}
		db.Q().Audit(ctx, pforte.AuditEntry{At: t0.Add(5 * time.Hour), Event: pforte.EventLoginFailed, AccountID: a.ID})
		if at, err := db.Q().PreviousLogin(ctx, a.ID); err != nil || !at.Equal(t0) {
			t.Fatalf("previous login: %v %v, want %v", at, err, t0)
		}

		second := bakery
		second.Number, second.Name = "A-1", "Zimmerei Anders"
		db.Q().SaveBusiness(ctx, bakery, t0)
		db.Q().SaveBusiness(ctx, second, t0)
		db.Q().RequestPIN(ctx, bakery.Number, a.ID, t0)
		db.Q().RequestPIN(ctx, second.Number, a.ID, t0.Add(time.Hour))
		db.Q().RequestPIN(ctx, "A-1", other.ID, t0.Add(2*time.Hour)) // pending already: not stored
		pending, _ := db.Q().PendingPINRequests(ctx)
		for _, p := range pending {
			if p.Business.Number == bakery.Number {
				db.Q().MarkPINRequestSent(ctx, p.ID, t0.Add(30*time.Minute))
			}
		}
		list, err := db.Q().OwnPINRequests(ctx, a.ID, t0.Add(-time.Hour))
		if err != nil || len(list) != 2 || list[0].Business.Number != "A-1" || !list[0].SentAt.IsZero() ||
			list[1].Business.Number != bakery.Number || !list[1].SentAt.Equal(t0.Add(30*time.Minute)) || !list[1].RequestedAt.Equal(t0) {
			t.Fatalf("own requests: %+v %v", list, err)
		}
		// A newer request for the same business replaces the older one;
		// a linked business and an old request drop out.
		db.Q().RequestPIN(ctx, bakery.Number, a.ID, t0.Add(3*time.Hour))
		if list, _ := db.Q().OwnPINRequests(ctx, a.ID, t0.Add(-time.Hour)); len(list) != 2 || !list[0].RequestedAt.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("newest per business: %+v", list)
		}
		db.Q().Link(ctx, a.ID, "A-1", t0.Add(4*time.Hour))
		if list, _ := db.Q().OwnPINRequests(ctx, a.ID, t0.Add(2*time.Hour)); len(list) != 1 || list[0].Business.Number != bakery.Number {
			t.Fatalf("after link and cut-off: %+v", list)
		}
		if list, _ := db.Q().OwnPINRequests(ctx, other.ID, t0); len(list) != 0 {
			t.Fatalf("other account: %+v", list)
		}
	})
}

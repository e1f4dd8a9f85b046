package throttle_test

import (
	"context"
	"testing"
	"time"

	"pforte"
	"pforte/store/storetest"
	"pforte/throttle"
)

func TestLoginBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		l := &throttle.Limiter{DB: db, Now: func() time.Time { return now }}
		for i := 0; i < throttle.FreeFailures; i++ {
			if err := l.LoginWait(ctx, "a@example.de"); err != nil {
				t.Fatalf("failure %d already throttled: %v", i, err)
			}
			l.LoginFailed(ctx, "a@example.de")
		}
		err := l.LoginWait(ctx, "a@example.de")
		e, ok := err.(*pforte.Error)
		if !ok || e.Code != pforte.Throttled || e.RetryAfter != 30 {
			t.Fatalf("after %d failures: %v", throttle.FreeFailures, err)
		}
		if err := l.LoginWait(ctx, "b@example.de"); err != nil {
			t.Fatalf("other account throttled: %v", err)
		}
		now = now.Add(31 * time.Second)
		if err := l.LoginWait(ctx, "a@example.de"); err != nil {
			t.Fatalf("still throttled after the wait: %v", err)
		}
		l.LoginFailed(ctx, "a@example.de") // the wait doubles
		if e, _ := l.LoginWait(ctx, "a@example.de").(*pforte.Error); e == nil || e.RetryAfter != 60 {
			t.Fatalf("second wait: %v", e)
		}
		l.LoginSucceeded(ctx, "a@example.de")
		if err := l.LoginWait(ctx, "a@example.de"); err != nil {
			t.Fatalf("throttled after success: %v", err)
		}
	})
}

func TestClientLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		lim := throttle.Limit{Max: 3, Window: time.Minute}
		on := &throttle.Limiter{DB: db, PerClient: true}
		off := &throttle.Limiter{DB: db, PerClient: false}
		for i := 0; i < 3; i++ {
			if err := on.Client(ctx, "register", "10.0.0.1", lim); err != nil {
				t.Fatalf("hit %d: %v", i, err)
			}
		}
		if pforte.ErrorCode(on.Client(ctx, "register", "10.0.0.1", lim)) != pforte.Throttled {
			t.Fatal("fourth hit not throttled")
		}
		if err := on.Client(ctx, "register", "10.0.0.2", lim); err != nil {
			t.Fatalf("other client throttled: %v", err)
		}
		if err := off.Client(ctx, "register", "10.0.0.1", lim); err != nil {
			t.Fatalf("limits off but throttled: %v", err)
		}
	})
}

package throttle_test

import (
	"context"
	"sync"
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
			if err := l.LoginAttempt(ctx, "a@example.de"); err != nil {
				t.Fatalf("attempt %d already throttled: %v", i, err)
			}
		}
		err := l.LoginAttempt(ctx, "a@example.de")
		e, ok := err.(*pforte.Error)
		if !ok || e.Code != pforte.Throttled || e.RetryAfter != 30 {
			t.Fatalf("after %d failures: %v", throttle.FreeFailures, err)
		}
		if st, _ := l.LoginState(ctx, "a@example.de"); st.Failures != throttle.FreeFailures || !st.Until.Equal(now.Add(30*time.Second)) {
			t.Fatalf("state: %+v", st)
		}
		if err := l.LoginAttempt(ctx, "b@example.de"); err != nil {
			t.Fatalf("other account throttled: %v", err)
		}
		now = now.Add(31 * time.Second)
		if err := l.LoginAttempt(ctx, "a@example.de"); err != nil {
			t.Fatalf("still throttled after the wait: %v", err)
		}
		if e, _ := l.LoginAttempt(ctx, "a@example.de").(*pforte.Error); e == nil || e.RetryAfter != 60 { // the wait doubles
			t.Fatalf("second wait: %v", e)
		}
		l.LoginSucceeded(ctx, "a@example.de")
		if err := l.LoginAttempt(ctx, "a@example.de"); err != nil {
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

// burst runs n calls of fn at once and counts those that got through.
func burst(n int, fn func() error) (passed int, err error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			e := fn()
			mu.Lock()
			defer mu.Unlock()
			switch pforte.ErrorCode(e) {
			case "":
				passed++
			case pforte.Throttled:
			default:
				err = e
			}
		})
	}
	close(start)
	wg.Wait()
	return passed, err
}

func TestLoginAttemptsAreCountedBeforeTheCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		l := &throttle.Limiter{DB: db, Now: func() time.Time { return now }}
		passed, err := burst(20, func() error { return l.LoginAttempt(ctx, "a@example.de") })
		if err != nil || passed != throttle.FreeFailures {
			t.Fatalf("a burst of 20 got %d attempts through (%v), want %d", passed, err, throttle.FreeFailures)
		}
		e, _ := l.LoginAttempt(ctx, "a@example.de").(*pforte.Error)
		if e == nil || e.RetryAfter != 30 {
			t.Fatalf("after the burst: %v", e)
		}
		now = now.Add(30 * time.Second) // one more, then a minute's wait
		if passed, _ := burst(5, func() error { return l.LoginAttempt(ctx, "a@example.de") }); passed != 1 {
			t.Fatalf("after the first wait %d attempts got through, want 1", passed)
		}
		if e, _ := l.LoginAttempt(ctx, "a@example.de").(*pforte.Error); e == nil || e.RetryAfter != 60 {
			t.Fatalf("second wait: %v", e)
		}
	})
}

func TestClientAttemptsAreCountedBeforeTheCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		lim := throttle.Limit{Max: 7, Window: time.Minute}
		l := &throttle.Limiter{DB: db, PerClient: true}
		passed, err := burst(20, func() error { return l.ClientAttempt(ctx, "login", "10.0.0.1", lim) })
		if err != nil || passed != lim.Max {
			t.Fatalf("a burst of 20 got %d attempts through (%v), want %d", passed, err, lim.Max)
		}
		// An attempt given back (no failure) makes room for one more.
		if err := l.ClientGiveBack(ctx, "login", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if passed, _ := burst(5, func() error { return l.ClientAttempt(ctx, "login", "10.0.0.1", lim) }); passed != 1 {
			t.Fatalf("after one given back %d got through, want 1", passed)
		}
		if err := l.ClientAttempt(ctx, "login", "10.0.0.2", lim); err != nil {
			t.Fatalf("other client: %v", err)
		}
	})
}

func TestClientsByAddressBlock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		ctx, db := context.Background(), storetest.Open(t, url)
		lim := throttle.Limit{Max: 2, Window: time.Minute}
		l := &throttle.Limiter{DB: db, PerClient: true}
		// One IPv6 client has a whole /64; an IPv4 address written as IPv6
		// is the same client as written plainly.
		for _, same := range [][]string{
			{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:DB8:1:2:0:0:0:77"},
			{"192.0.2.7", "::ffff:192.0.2.7", "::ffff:c000:207"},
		} {
			for i, c := range same[:2] {
				if err := l.Client(ctx, "register", c, lim); err != nil {
					t.Fatalf("%s, hit %d: %v", c, i, err)
				}
			}
			if pforte.ErrorCode(l.Client(ctx, "register", same[2], lim)) != pforte.Throttled {
				t.Errorf("%s counts apart from %v", same[2], same[:2])
			}
		}
		for _, other := range []string{"2001:db8:1:3::1", "192.0.2.8", "::ffff:192.0.2.9"} {
			if err := l.Client(ctx, "register", other, lim); err != nil {
				t.Errorf("%s throttled with its neighbours: %v", other, err)
			}
		}
	})
}

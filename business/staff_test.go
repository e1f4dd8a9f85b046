package business

import (
	"context"
	"sync"
	"testing"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// The print batch marks requests sent in the transaction that stores
// their PINs: a batch that fails leaves everything pending and no PIN;
// two batches at once print each letter once.
func TestPrintLetters(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for _, n := range []string{"4712", "0815-4711"} {
			if _, err := f.svc.QueueLetterByStaff(ctx, n, f.staff.ID, "c"); err != nil {
				t.Fatal(err)
			}
		}
		broken := *f.svc
		broken.BaseURL = "" // the letter cannot be set
		if _, _, err := broken.PrintLetters(ctx, f.staff.ID, "c"); err == nil {
			t.Fatal("a batch whose PDF failed succeeded")
		}
		if reqs, _ := f.db.Q().PendingPINRequests(ctx); len(reqs) != 2 {
			t.Fatalf("after a failed batch %d requests pending, want 2", len(reqs))
		}
		for _, n := range []string{"4712", "0815-4711"} {
			if pins, _ := f.db.Q().PINsOf(ctx, n, 5); len(pins) != 0 {
				t.Fatalf("a failed batch stored PINs for %s", n)
			}
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		printed, empty := 0, 0
		for range 2 {
			wg.Go(func() {
				pdf, n, err := f.svc.PrintLetters(ctx, f.staff.ID, "c")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == ErrNoLetters:
					empty++
				case err != nil || len(pdf) == 0:
					t.Errorf("print: %v", err)
				default:
					printed += n
				}
			})
		}
		wg.Wait()
		if printed != 2 || empty != 1 {
			t.Fatalf("two batches at once printed %d letters (%d found none), want 2 letters once", printed, empty)
		}
		for _, n := range []string{"4712", "0815-4711"} {
			pins, _ := f.db.Q().PINsOf(ctx, n, 5)
			if len(pins) != 1 {
				t.Errorf("%s has %d PINs, want the one of its letter", n, len(pins))
			}
		}
		log, _ := f.db.Q().AuditLog(ctx, store.AuditFilter{Event: pforte.EventPINLetterRendered})
		if len(log) != 2 || log[0].ActorID != f.staff.ID || log[0].Client != "c" {
			t.Fatalf("audit of the batch: %+v", log)
		}
	})
}

// TestPrintLettersInBatches: one PDF holds at most LettersPerPDF letters,
// the oldest first; the others stay pending for the next PDF.
func TestPrintLettersInBatches(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc := *f.svc
		svc.PrintBatch = 1
		for _, n := range []string{"4712", "0815-4711"} {
			if _, err := svc.QueueLetterByStaff(ctx, n, f.staff.ID, "c"); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := f.db.Q().PendingPINRequests(ctx)
		if _, n, err := svc.PrintLetters(ctx, f.staff.ID, "c"); err != nil || n != 1 {
			t.Fatalf("first PDF: %d letters, %v; want 1", n, err)
		}
		after, _ := f.db.Q().PendingPINRequests(ctx)
		if len(after) != 1 || after[0].ID != before[1].ID {
			t.Fatalf("after the first PDF pending %+v, want the newer of %+v", after, before)
		}
		if _, n, err := svc.PrintLetters(ctx, f.staff.ID, "c"); err != nil || n != 1 {
			t.Fatalf("second PDF: %d letters, %v; want 1", n, err)
		}
		if _, _, err := svc.PrintLetters(ctx, f.staff.ID, "c"); err != ErrNoLetters {
			t.Fatalf("third PDF: %v, want ErrNoLetters", err)
		}
	})
}

func TestLockoutByStaff(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		pin := f.issue(t, "4712")
		for range MaxPINFailures {
			f.svc.Link(ctx, f.member, "4712", "2222-2222-2222", "c")
		}
		l, err := f.svc.LockoutOf(ctx, "4712")
		if err != nil || l.Until.IsZero() || !l.Until.Equal(f.clock.Now().Add(PINLockout)) {
			t.Fatalf("lockout: %+v %v", l, err)
		}
		if err := f.svc.ClearLockoutByStaff(ctx, "9999", f.staff.ID, "c"); code(err) != pforte.NotFound {
			t.Fatalf("clear an unknown business: %v", err)
		}
		if err := f.svc.ClearLockoutByStaff(ctx, "4712", f.staff.ID, "c"); err != nil {
			t.Fatal(err)
		}
		if l, _ := f.svc.LockoutOf(ctx, "4712"); l != (Lockout{}) {
			t.Fatalf("after clearing: %+v", l)
		}
		if _, err := f.svc.Link(ctx, f.member, "4712", pin, "c"); err != nil {
			t.Fatalf("link after the lockout was lifted: %v", err)
		}
		if err := f.svc.UnlinkByStaff(ctx, "4712", f.member.ID, f.staff.ID, "c"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.UnlinkByStaff(ctx, "4712", f.member.ID, f.staff.ID, "c"); code(err) != pforte.NotFound {
			t.Fatalf("unlink twice: %v", err)
		}
	})
}

// eachFixture runs fn with a fresh fixture on each database.
func eachFixture(t *testing.T, fn func(t *testing.T, f *fixture)) {
	storetest.Each(t, func(t *testing.T, url string) { fn(t, setup(t, url)) })
}

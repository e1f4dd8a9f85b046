package password

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// peakRSS resets the process's peak resident set size (Linux clear_refs)
// or reads it, in MiB, from /proc/self/status.
func resetPeakRSS(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("resetting the peak RSS: %v", err)
	}
}

func peakRSS(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// TestHashMemoryBounded: 64 logins at once with 64 MiB hashes and four
// slots keep the process's peak RSS within four hashes' memory and
// 100 MiB, because each finished hash's memory is taken back before the
// next one starts (without that, the peak was 620–670 MiB).
func TestHashMemoryBounded(t *testing.T) {
	p := Params{Memory: 64 * 1024, Time: 1, Threads: 2}
	const slots, logins = 4, 64
	h := NewHasher(p, slots)
	encoded, err := h.Hash(context.Background(), "Kiefer+Wolke83Blau")
	if err != nil {
		t.Fatal(err)
	}
	resetPeakRSS(t)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := "Kiefer+Wolke83Blau"
			if i%2 == 1 {
				pw = "falsch"
			}
			if ok, _, err := h.Verify(context.Background(), pw, encoded); err != nil || ok != (i%2 == 0) {
				t.Errorf("login %d: ok %v, err %v", i, ok, err)
			}
		}()
	}
	wg.Wait()
	limit := float64(slots*p.Memory)/1024 + 100
	peak := peakRSS(t)
	t.Logf("peak RSS %.0f MiB at %d concurrent logins, %s, %d slots (limit %.0f MiB)", peak, logins, p, slots, limit)
	if peak > limit {
		t.Fatalf("peak RSS %.0f MiB, want at most %.0f MiB", peak, limit)
	}
}

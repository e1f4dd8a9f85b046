package password

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
// 100 MiB, and leave no garbage: each slot hashes in its own memory, used
// again by the next hash (with x/crypto/argon2 every hash allocated 64 MiB
// afresh on the Go heap, and the peak was 620–670 MiB).
func TestHashMemoryBounded(t *testing.T) {
	skipUnderRace(t)
	p := Params{Memory: 64 * 1024, Time: 1, Threads: 2}
	const slots, logins = 4, 64
	h := NewHasher(p, slots)
	encoded, err := h.Hash(context.Background(), "Kiefer+Wolke83Blau")
	if err != nil {
		t.Fatal(err)
	}
	resetPeakRSS(t)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
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
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if heap := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20); heap > 16 {
		t.Errorf("%d hashes allocated %.0f MiB on the Go heap, want their memory reused (at most 16 MiB)", logins, heap)
	}
	limit := float64(slots*p.Memory)/1024 + 100
	peak := peakRSS(t)
	t.Logf("peak RSS %.0f MiB at %d concurrent logins, %s, %d slots (limit %.0f MiB)", peak, logins, p, slots, limit)
	if peak > limit {
		t.Fatalf("peak RSS %.0f MiB, want at most %.0f MiB", peak, limit)
	}
}

func rss(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return float64(pages*os.Getpagesize()) / (1 << 20)
}

// After a burst the slots' memory goes back to the system once no hash
// ran for idleRelease, and the next hash gets memory anew.
func TestIdleMemoryReleased(t *testing.T) {
	skipUnderRace(t)
	defer func(d time.Duration) { idleRelease = d }(idleRelease)
	setIdle := func(h *Hasher, d time.Duration) {
		h.idleMu.Lock()
		idleRelease = d
		h.idleMu.Unlock()
	}
	p := Params{Memory: 32 * 1024, Time: 1, Threads: 1}
	const slots = 3
	h := NewHasher(p, slots)
	base := rss(t)
	var wg sync.WaitGroup
	for range slots {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "Kiefer+Wolke83Blau"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	busy := rss(t)
	if busy < base+float64(slots-1)*32 {
		t.Fatalf("RSS %.0f MiB after %d hashes of 32 MiB at once, from %.0f: the memory is not held", busy, slots, base)
	}
	// Only now a short idle time (a loaded machine may take longer for the
	// hashes above); the next hash's release sets it.
	setIdle(h, 200*time.Millisecond)
	enc, err := h.Hash(context.Background(), "Kiefer+Wolke83Blau")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rss(t) > base-16 { // base held the memory of NewHasher's dummy hash: that goes too
		if time.Now().After(deadline) {
			t.Fatalf("RSS %.0f MiB long after the last hash (%.0f while busy, %.0f before)", rss(t), busy, base)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ok, _, _ := h.Verify(context.Background(), "Kiefer+Wolke83Blau", enc); !ok {
		t.Fatal("no match after the memory was given back")
	}
}

// Close gives the memory back at once, and the Hasher still works after.
func TestCloseReleasesMemory(t *testing.T) {
	skipUnderRace(t)
	h := NewHasher(Params{Memory: 32 * 1024, Time: 1, Threads: 1}, 2)
	enc, err := h.Hash(context.Background(), "Kiefer+Wolke83Blau")
	if err != nil {
		t.Fatal(err)
	}
	held := rss(t)
	h.Close()
	if after := rss(t); after > held-24 {
		t.Fatalf("RSS %.0f MiB after Close, %.0f before: the 32 MiB slot memory was kept", after, held)
	}
	if ok, _, _ := h.Verify(context.Background(), "Kiefer+Wolke83Blau", enc); !ok {
		t.Fatal("no match after Close")
	}
}

// skipUnderRace skips a test of the mapped memory's residence in a race
// build, where the memory comes from the Go heap instead (the race
// detector sees only Go memory); the normal test run checks it.
func skipUnderRace(t *testing.T) {
	if raceBuild {
		t.Skip("race build: the hash memory is on the Go heap, not mapped")
	}
}

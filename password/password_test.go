package password

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var fast = Params{Memory: 8 * 1024, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fast, 2)
	enc, err := h.Hash(ctx, "Grün-Äpfel 2026!")
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q %v", enc, err)
	}
	enc2, _ := h.Hash(ctx, "Grün-Äpfel 2026!")
	if enc == enc2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	cases := []struct {
		pw, enc    string
		ok, rehash bool
	}{
		{"Grün-Äpfel 2026!", enc, true, false},
		{"Grün-Äpfel 2026", enc, false, false},
		{"grün-äpfel 2026!", enc, false, false},
		{"anything", "", false, false},
		{"anything", "$argon2id$garbage", false, false},
	}
	for _, c := range cases {
		ok, rehash, err := h.Verify(ctx, c.pw, c.enc)
		if err != nil || ok != c.ok || rehash != c.rehash {
			t.Errorf("Verify(%q, %.20q) = %v %v %v, want %v %v", c.pw, c.enc, ok, rehash, err, c.ok, c.rehash)
		}
	}
}

func TestRehashOnNewParams(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(fast, 1)
	enc, _ := old.Hash(ctx, "pw")
	cur := NewHasher(Params{Memory: 9 * 1024, Time: 1, Threads: 1}, 1)
	ok, rehash, _ := cur.Verify(ctx, "pw", enc)
	if !ok || !rehash {
		t.Fatalf("old params: ok=%v rehash=%v, want both", ok, rehash)
	}
	if _, rehash, _ := cur.Verify(ctx, "wrong", enc); rehash {
		t.Fatal("a wrong password must not ask for a rehash")
	}
}

func TestLegacyBcrypt(t *testing.T) {
	b, _ := bcrypt.GenerateFromPassword([]byte("Sommer2018"), bcrypt.MinCost)
	h := NewHasher(fast, 1)
	if ok, _, _ := h.Verify(context.Background(), "Sommer2018", string(b)); !ok {
		t.Fatal("bcrypt legacy hash not recognised")
	}
	if ok, _, _ := h.Verify(context.Background(), "Sommer2019", string(b)); ok {
		t.Fatal("wrong password matched legacy hash")
	}
	if err := CheckLegacy(string(b)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"$2a$xx", "md5$abc", ""} {
		if CheckLegacy(bad) == nil {
			t.Errorf("CheckLegacy(%q) accepted", bad)
		}
	}
}

func TestParseParams(t *testing.T) {
	p, err := ParseParams("m=19456,t=2,p=1")
	if err != nil || p != DefaultParams {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"", "m=1,t=1,p=1", "m=19456,t=0,p=1", "m=19456,t=2", "x=1,t=2,p=1", "m=a,t=2,p=1"} {
		if _, err := ParseParams(bad); err == nil {
			t.Errorf("ParseParams(%q) accepted", bad)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams, 1)
	ctx := context.Background()
	for b.Loop() {
		h.Hash(ctx, "Correct-Horse-42")
	}
}

func TestLegacyCost(t *testing.T) {
	b, _ := bcrypt.GenerateFromPassword([]byte("x"), 5)
	for in, want := range map[string]int{string(b): 5, "$2b$10$" + strings.Repeat(".", 53): 10, "$argon2id$v=19$…": 0, "": 0, "$2y$": 0} {
		if got := LegacyCost(in); got != want {
			t.Errorf("LegacyCost(%.10q) = %d, want %d", in, got, want)
		}
	}
}

// The same text composed (NFC) or decomposed (NFD, as some systems type
// it) is the same password; hashes of the decomposed form made before
// keep working and ask to be upgraded.
func TestPasswordsAreHashedInNFC(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fast, 2)
	nfc, nfd := "Grün-Äpfel 2026!", "Gru\u0308n-A\u0308pfel 2026!"
	for _, c := range []struct{ set, typed string }{{nfd, nfc}, {nfc, nfd}, {nfd, nfd}} {
		enc, _ := h.Hash(ctx, c.set)
		if ok, rehash, err := h.Verify(ctx, c.typed, enc); !ok || rehash || err != nil {
			t.Errorf("set %+q, typed %+q: ok=%v rehash=%v %v", c.set, c.typed, ok, rehash, err)
		}
	}
	mem, _ := h.acquire(ctx)
	old := h.hash(&mem, nfd, make([]byte, 16)) // as Pforte hashed before: as typed
	h.release(mem)
	if ok, rehash, _ := h.Verify(ctx, nfd, old); !ok || !rehash {
		t.Errorf("old hash of the decomposed form: ok=%v rehash=%v, want both", ok, rehash)
	}
	if ok, _, _ := h.Verify(ctx, "Grun-Apfel 2026!", old); ok {
		t.Error("a different password matched")
	}
}

// A legacy hash of high cost never costs more than one check at
// MaxLegacyCost, neither when checked nor as the dummy of a failed login.
func TestCostlyLegacyHashesAreBounded(t *testing.T) {
	b, _ := bcrypt.GenerateFromPassword([]byte("Sommer2018"), bcrypt.MinCost)
	costly := string(b[:4]) + "20" + string(b[6:]) // 2^20 rounds: over a minute
	h := NewHasher(fast, 1)
	done := make(chan bool)
	go func() {
		ok, _, _ := h.Verify(context.Background(), "Sommer2018", costly)
		h.SpendLegacy(context.Background(), "Sommer2018", 20)
		done <- ok
	}()
	select {
	case ok := <-done:
		if ok {
			t.Error("a hash above MaxLegacyCost was checked")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a bcrypt hash of cost 20 was checked at its cost")
	}
}

package keyring

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newKey(b byte) string {
	raw := make([]byte, KeySize)
	for i := range raw {
		raw[i] = b + byte(i)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func TestSealOpen(t *testing.T) {
	k, err := Parse(newKey(1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Seal([]byte("JBSWY3DPEHPK3PXP"), "totp")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "JBSWY3DP") {
		t.Fatalf("sealed value shows the plaintext: %s", s)
	}
	got, err := k.Open(s, "totp")
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(s, "signing-key"); err == nil {
		t.Fatal("a value opened for another purpose")
	}
	s2, _ := k.Seal([]byte("JBSWY3DPEHPK3PXP"), "totp")
	if s2 == s {
		t.Fatal("two seals of the same value are equal (nonce reused)")
	}
	// Tampering is detected.
	b := []byte(s)
	b[len(b)-2] ^= 1
	if _, err := k.Open(string(b), "totp"); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestRotation(t *testing.T) {
	old, _ := Parse(newKey(1))
	sealedOld, _ := old.Seal([]byte("alt"), "p")
	both, err := Parse(newKey(2) + "," + newKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := both.Open(sealedOld, "p"); err != nil || string(got) != "alt" {
		t.Fatalf("old value with both keys: %q, %v", got, err)
	}
	if both.Current(sealedOld) {
		t.Fatal("a value sealed with the old key counts as current")
	}
	sealedNew, _ := both.Seal([]byte("neu"), "p")
	if !both.Current(sealedNew) {
		t.Fatal("a new value is not current")
	}
	onlyNew, _ := Parse(newKey(2))
	if _, err := onlyNew.Open(sealedOld, "p"); err != ErrNoKey {
		t.Fatalf("old value without its key: %v, want ErrNoKey", err)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, bad := range []string{"", "  ,", "kurz", base64.StdEncoding.EncodeToString(make([]byte, 16)), newKey(1) + ",nope"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	// URL alphabet and missing padding are fine.
	raw := make([]byte, KeySize)
	raw[0] = 0xfb
	if _, err := Parse(base64.RawURLEncoding.EncodeToString(raw)); err != nil {
		t.Errorf("URL-safe key refused: %v", err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	k1, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode())
	}
	s, _ := k1.Seal([]byte("x"), "p")
	k2, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(s, "p"); err != nil || string(got) != "x" {
		t.Fatalf("second load does not open the first's value: %v", err)
	}
}

func TestReseal(t *testing.T) {
	old, _ := Parse(newKey(1))
	sealed, _ := old.Seal([]byte("geheim"), "p")
	both, _ := Parse(newKey(2) + "," + newKey(1))
	moved, changed, err := both.Reseal(sealed, "p")
	if err != nil || !changed || !both.Current(moved) {
		t.Fatalf("Reseal of an old value: changed=%v current=%v err=%v", changed, both.Current(moved), err)
	}
	onlyNew, _ := Parse(newKey(2))
	if got, err := onlyNew.Open(moved, "p"); err != nil || string(got) != "geheim" {
		t.Fatalf("resealed value with the new key alone: %q %v", got, err)
	}
	if again, changed, err := both.Reseal(moved, "p"); err != nil || changed || again != moved {
		t.Fatalf("Reseal of a current value changed it: %v %v", changed, err)
	}
	if _, _, err := onlyNew.Reseal(sealed, "p"); err == nil {
		t.Fatal("a value whose key is gone was resealed")
	}
}

package argon2id

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The Argon2id test vector of RFC 9106 §5.3 (with secret and associated data).
func TestRFC9106Vector(t *testing.T) {
	mem := make([]Block, Blocks(32, 4))
	got := key(mem, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
		bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
	want := "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
	if hex.EncodeToString(got) != want {
		t.Fatalf("tag %x, want %s", got, want)
	}
}

// Key agrees with golang.org/x/crypto/argon2, an independent
// implementation, over lanes, passes, memory sizes that are no multiple of
// the segments, short and long tags, and working memory used before.
func TestKeyEqualsXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mem := make([]Block, Blocks(600, 1))
	for i := range mem {
		for k := range mem[i] {
			mem[i][k] = rng.Uint64() // dirty memory must not matter
		}
	}
	cases := []struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}{
		{1, 8, 1, 32}, {1, 64, 1, 32}, {2, 64, 1, 16}, {3, 100, 1, 64}, {1, 256, 2, 32},
		{2, 257, 2, 65}, {4, 333, 3, 100}, {1, 512, 4, 32}, {3, 8, 1, 4}, {1, 31, 4, 32},
		{2, 600, 1, 1024}, {1, 128, 8, 33},
	}
	for _, c := range cases {
		pw := make([]byte, rng.IntN(80))
		salt := make([]byte, 8+rng.IntN(24))
		for i := range pw {
			pw[i] = byte(rng.Uint32())
		}
		for i := range salt {
			salt[i] = byte(rng.Uint32())
		}
		name := fmt.Sprintf("t=%d,m=%d,p=%d,len=%d", c.time, c.memory, c.threads, c.keyLen)
		if Blocks(c.memory, c.threads) > len(mem) {
			t.Fatalf("%s: test memory too small", name)
		}
		got := Key(mem, pw, salt, c.time, c.memory, c.threads, c.keyLen)
		want := argon2.IDKey(pw, salt, c.time, c.memory, c.threads, c.keyLen)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", name, got, want)
		}
	}
}

func TestKeyRefusesTooLittleMemory(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic with 7 blocks for m=8")
		}
	}()
	Key(make([]Block, 7), []byte("pw"), []byte("saltsalt"), 1, 8, 1, 32)
}

func BenchmarkKey(b *testing.B) {
	for _, p := range []struct {
		time, memory uint32
		threads      uint8
	}{{2, 19456, 1}, {1, 65536, 2}} {
		name := fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, p.threads)
		b.Run(name+"/pforte", func(b *testing.B) {
			mem := NewMemory(Blocks(p.memory, p.threads)) // as the hasher's slots have it
			defer mem.Free()
			for b.Loop() {
				Key(mem.Blocks(), []byte("password"), []byte("somesaltsomesalt"), p.time, p.memory, p.threads, 32)
			}
		})
		b.Run(name+"/x-crypto", func(b *testing.B) {
			for b.Loop() {
				argon2.IDKey([]byte("password"), []byte("somesaltsomesalt"), p.time, p.memory, p.threads, 32)
			}
		})
	}
}

// FuzzKey compares Key with x/crypto/argon2 on any password, salt and
// small parameters, in memory left over from the hash before.
func FuzzKey(f *testing.F) {
	f.Add([]byte("password"), []byte("somesalt"), uint8(1), uint16(8), uint8(1), uint16(32))
	f.Add([]byte(""), []byte("12345678"), uint8(3), uint16(200), uint8(3), uint16(100))
	mem := make([]Block, Blocks(1024, 1))
	f.Fuzz(func(t *testing.T, pw, salt []byte, time uint8, memory uint16, threads uint8, keyLen uint16) {
		tm := uint32(time%4) + 1
		th := threads%8 + 1
		m := uint32(memory) % 1025
		kl := uint32(keyLen)%1100 + 4
		got := Key(mem, pw, salt, tm, m, th, kl)
		want := argon2.IDKey(pw, salt, tm, m, th, kl)
		if !bytes.Equal(got, want) {
			t.Fatalf("t=%d m=%d p=%d len=%d: %x, want %x", tm, m, th, kl, got, want)
		}
	})
}

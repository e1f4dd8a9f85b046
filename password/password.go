// Package password hashes and verifies passwords: argon2id for every
// password Pforte sets, bcrypt only to recognise an imported legacy hash
// (to refuse its re-use). Hashes are self-describing PHC strings, so
// parameters can change and old hashes are upgraded at the next login.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// Params are the argon2id cost parameters. The defaults follow OWASP's
// first recommendation (19 MiB, 2 passes, 1 lane): about 30 ms here.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams are used when the configuration names none.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Validate refuses parameters too weak or too large to be sensible.
func (p Params) Validate() error {
	switch {
	case p.Memory < 8*1024 || p.Memory > 4*1024*1024:
		return errors.New("memory must lie between 8192 and 4194304 KiB")
	case p.Time < 1 || p.Time > 100:
		return errors.New("time must lie between 1 and 100")
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	}
	return nil
}

// ParseParams reads "m=19456,t=2,p=1" (the PHC notation).
func ParseParams(s string) (Params, error) {
	var p Params
	seen := 0
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return p, fmt.Errorf("%q: expected m=…,t=…,p=…", s)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, fmt.Errorf("%q: %s is not a number", s, k)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, fmt.Errorf("%q: p too large", s)
			}
			p.Threads = uint8(n)
		default:
			return p, fmt.Errorf("%q: unknown parameter %s", s, k)
		}
		seen++
	}
	if seen != 3 {
		return p, fmt.Errorf("%q: expected m=…,t=…,p=…", s)
	}
	return p, p.Validate()
}

func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

const keyLen = 32

// Hasher hashes with Params and bounds how many hashes run at once, since
// each needs Params.Memory of RAM.
type Hasher struct {
	Params Params
	slots  chan struct{}
	dummy  string

	legacyMu      sync.Mutex
	legacyDummies map[int][]byte // bcrypt hashes of a dummy password, by cost
}

// NewHasher returns a Hasher that runs at most concurrent hashes at once.
func NewHasher(p Params, concurrent int) *Hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	h := &Hasher{Params: p, slots: make(chan struct{}, concurrent)}
	h.dummy = h.hash("pforte-dummy-password", make([]byte, 16))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot after an argon2id hash. x/crypto/argon2 allocates
// Params.Memory afresh on every call and offers no way to pass a buffer,
// so the garbage collector is asked to take back the finished hash's
// memory before the slot is given to the next hash: the heap then holds at
// most one hash's memory per slot and the next hash reuses those pages,
// instead of the collector's pacing letting dead hashes pile up to twice
// the live heap (620–670 MiB at m=65536 and four slots before). The
// collection marks only the small live heap (hash memory holds no
// pointers): about a millisecond against tens of milliseconds of hashing.
func (h *Hasher) release() {
	runtime.GC()
	<-h.slots
}

func (h *Hasher) hash(pw string, salt []byte) string {
	p := h.Params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Hash returns the argon2id PHC string of pw with a fresh 16-byte salt.
// It hashes the NFC form of pw, so that the same text typed on another
// system (composed "ä" or "a" with a combining diaeresis) is the same
// password; the policy counts its length after NFC, too.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, 16)
	rand.Read(salt)
	return h.hash(norm.NFC.String(pw), salt), nil
}

// Verify reports whether pw matches encoded (argon2id, or a legacy bcrypt
// hash), and whether encoded should be replaced by a hash with the current
// parameters. An empty or unreadable hash never matches but costs the
// same time as a real check, so callers need no special case for unknown
// accounts: pass "". pw is checked in its NFC form and, if that differs,
// as typed: hashes made before Pforte hashed the NFC form, and the old
// portal's, hold the text as it was typed; such a match asks for a rehash.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	nfc := norm.NFC.String(pw)
	ok, rehash = h.check(nfc, encoded)
	if !ok && nfc != pw {
		if ok, _ = h.check(pw, encoded); ok {
			rehash = true
		}
	}
	return ok, rehash, nil
}

// check does one comparison of pw with encoded, always at the cost of
// one check: a bcrypt hash costlier than MaxLegacyCost, or an unreadable
// hash, is compared with a dummy of bounded cost and never matches.
func (h *Hasher) check(pw, encoded string) (ok, rehash bool) {
	if IsLegacy(encoded) {
		if c := LegacyCost(encoded); c < bcrypt.MinCost || c > MaxLegacyCost {
			bcrypt.CompareHashAndPassword(h.legacyDummy(MaxLegacyCost), []byte(pw))
			return false, false
		}
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw)) == nil, true
	}
	p, salt, key, perr := decode(encoded)
	if perr != nil {
		// Same work as a real check: no timing difference for unknown accounts.
		p, salt, key, _ = decode(h.dummy)
		argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		return false, false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, ok && p != h.Params
}

// MaxLegacyCost is the highest bcrypt cost Pforte checks a legacy hash
// at: cost 12 takes about 0.3 s here, each step doubles it. Since every
// failed login pays for a legacy check of the highest cost in use (see
// SpendLegacy), one costlier hash would slow down every failed login:
// the import refuses such hashes, and any that got in before are never
// checked (they cannot refuse their password's re-use).
const MaxLegacyCost = 12

// IsLegacy reports whether encoded is a bcrypt hash (from an import).
func IsLegacy(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") || strings.HasPrefix(encoded, "$2y$")
}

// CheckLegacy tells whether s is a well-formed bcrypt hash.
func CheckLegacy(s string) error {
	if !IsLegacy(s) {
		return errors.New("not a bcrypt hash ($2a$, $2b$ or $2y$)")
	}
	if _, err := bcrypt.Cost([]byte(s)); err != nil {
		return err
	}
	return nil
}

func decode(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errors.New("not an argon2id hash")
	}
	p, err := ParseParams(parts[3])
	if err != nil {
		return p, nil, nil, err
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, err
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("bad argon2id key")
	}
	return p, salt, key, nil
}

// LegacyCost is the bcrypt cost of a legacy hash, 0 if it is none.
func LegacyCost(encoded string) int {
	if !IsLegacy(encoded) {
		return 0
	}
	c, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return 0
	}
	return c
}

// SpendLegacy does the work of checking pw against a bcrypt hash of cost
// and throws the result away. A failed login pays for both kinds of check
// while imported legacy hashes exist, so that its time does not tell an
// imported account from any other.
func (h *Hasher) SpendLegacy(ctx context.Context, pw string, cost int) {
	if cost < bcrypt.MinCost {
		return
	}
	dummy := h.legacyDummy(min(cost, MaxLegacyCost))
	if err := h.acquire(ctx); err != nil {
		return
	}
	defer func() { <-h.slots }() // bcrypt: 4 KiB, nothing to give back
	bcrypt.CompareHashAndPassword(dummy, []byte(pw))
}

// legacyDummy is a bcrypt hash of a dummy password at cost, made once.
func (h *Hasher) legacyDummy(cost int) []byte {
	h.legacyMu.Lock()
	defer h.legacyMu.Unlock()
	dummy, ok := h.legacyDummies[cost]
	if !ok {
		dummy, _ = bcrypt.GenerateFromPassword([]byte("pforte-dummy-password"), cost)
		if h.legacyDummies == nil {
			h.legacyDummies = map[int][]byte{}
		}
		h.legacyDummies[cost] = dummy
	}
	return dummy
}

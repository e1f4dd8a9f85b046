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
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"pforte/password/argon2id"
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
// each needs Params.Memory of RAM. Each slot keeps its working memory from
// one hash to the next (argon2id.Memory, outside the Go heap), so hashing
// leaves no garbage: the process holds at most one hash's memory per slot,
// and the collector has nothing of it to collect. Memory unused for
// a minute goes back to the system.
type Hasher struct {
	Params Params
	slots  chan *argon2id.Memory // a slot is free while its memory (nil: none yet) is in the channel
	dummy  string

	idleMu    sync.Mutex
	idleTimer *time.Timer

	legacyMu      sync.Mutex
	legacyDummies map[int][]byte // bcrypt hashes of a dummy password, by cost
}

// idleRelease is how long the slots' working memory is kept after the last
// hash: after a burst of logins the process shrinks back.
var idleRelease = time.Minute

// NewHasher returns a Hasher that runs at most concurrent hashes at once.
func NewHasher(p Params, concurrent int) *Hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	h := &Hasher{Params: p, slots: make(chan *argon2id.Memory, concurrent)}
	for range concurrent {
		h.slots <- nil
	}
	h.idleTimer = time.AfterFunc(idleRelease, h.releaseIdle)
	mem, _ := h.acquire(context.Background())
	h.dummy = h.hash(&mem, "pforte-dummy-password", make([]byte, 16))
	h.release(mem)
	return h
}

// acquire waits for a free slot and returns its working memory.
func (h *Hasher) acquire(ctx context.Context) (*argon2id.Memory, error) {
	select {
	case m := <-h.slots:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release frees the slot, keeping its memory for the next hash; memory
// grown for a hash with larger parameters than the current ones (an old
// hash being verified) is given back instead.
func (h *Hasher) release(m *argon2id.Memory) {
	if m != nil && len(m.Blocks()) > argon2id.Blocks(h.Params.Memory, h.Params.Threads) {
		m.Free()
		m = nil
	}
	h.slots <- m
	h.idleMu.Lock()
	h.idleTimer.Reset(idleRelease)
	h.idleMu.Unlock()
}

// releaseIdle gives back the memory of every free slot.
func (h *Hasher) releaseIdle() {
	for range cap(h.slots) {
		select {
		case m := <-h.slots:
			if m != nil {
				m.Free()
			}
			h.slots <- nil
		default:
			return
		}
	}
}

// Close gives back the memory of every free slot now, instead of after
// idleRelease (a process that stops, or a test, need not wait). The
// Hasher still works after, taking memory anew.
func (h *Hasher) Close() {
	h.idleMu.Lock()
	h.idleTimer.Stop()
	h.idleMu.Unlock()
	h.releaseIdle()
}

// key computes an argon2id key in the slot's memory, growing it if p
// needs more.
func key(mem **argon2id.Memory, pw string, salt []byte, p Params, n uint32) []byte {
	need := argon2id.Blocks(p.Memory, p.Threads)
	if *mem == nil || len((*mem).Blocks()) < need {
		if *mem != nil {
			(*mem).Free()
		}
		*mem = argon2id.NewMemory(need)
	}
	return argon2id.Key((*mem).Blocks(), []byte(pw), salt, p.Time, p.Memory, p.Threads, n)
}

func (h *Hasher) hash(mem **argon2id.Memory, pw string, salt []byte) string {
	p := h.Params
	k := key(mem, pw, salt, p, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2id.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(k))
}

// Hash returns the argon2id PHC string of pw with a fresh 16-byte salt.
// It hashes the NFC form of pw, so that the same text typed on another
// system (composed "ä" or "a" with a combining diaeresis) is the same
// password; the policy counts its length after NFC, too.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	mem, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer func() { h.release(mem) }()
	salt := make([]byte, 16)
	rand.Read(salt)
	return h.hash(&mem, norm.NFC.String(pw), salt), nil
}

// Verify reports whether pw matches encoded (argon2id, or a legacy bcrypt
// hash), and whether encoded should be replaced by a hash with the current
// parameters. An empty or unreadable hash never matches but costs the
// same time as a real check, so callers need no special case for unknown
// accounts: pass "". pw is checked in its NFC form and, if that differs,
// as typed: hashes made before Pforte hashed the NFC form, and the old
// portal's, hold the text as it was typed; such a match asks for a rehash.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	mem, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer func() { h.release(mem) }()
	nfc := norm.NFC.String(pw)
	ok, rehash = h.check(&mem, nfc, encoded)
	if !ok && nfc != pw {
		if ok, _ = h.check(&mem, pw, encoded); ok {
			rehash = true
		}
	}
	return ok, rehash, nil
}

// check does one comparison of pw with encoded, always at the cost of
// one check: a bcrypt hash costlier than MaxLegacyCost, or an unreadable
// hash, is compared with a dummy of bounded cost and never matches.
func (h *Hasher) check(mem **argon2id.Memory, pw, encoded string) (ok, rehash bool) {
	if IsLegacy(encoded) {
		if c := LegacyCost(encoded); c < bcrypt.MinCost || c > MaxLegacyCost {
			bcrypt.CompareHashAndPassword(h.legacyDummy(MaxLegacyCost), []byte(pw))
			return false, false
		}
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw)) == nil, true
	}
	p, salt, want, perr := decode(encoded)
	if perr != nil {
		// Same work as a real check: no timing difference for unknown accounts.
		p, salt, want, _ = decode(h.dummy)
		key(mem, pw, salt, p, uint32(len(want)))
		return false, false
	}
	got := key(mem, pw, salt, p, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
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
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2id.Version) {
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
	mem, err := h.acquire(ctx)
	if err != nil {
		return
	}
	defer h.release(mem) // bcrypt needs 4 KiB of its own, not the slot's memory
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

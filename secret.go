package pforte

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewSecret returns a fresh secret of 256 random bits for a link or a
// session cookie (raw, URL-safe) and the hash under which it is stored.
// Only the hash reaches the database: a copy of the database opens no
// session and resets no password.
func NewSecret() (raw, hash string) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	raw = base64.RawURLEncoding.EncodeToString(b[:])
	return raw, HashSecret(raw)
}

// HashSecret returns the stored form of a raw secret. The store looks the
// hash up by equality; finding a row needs the preimage, so the lookup
// leaks nothing through timing about stored values.
func HashSecret(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

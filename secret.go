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

// secretLen is the length of a raw secret: 32 bytes in unpadded base64url.
const secretLen = 43

// ValidSecret reports whether raw has the form of a secret from NewSecret
// (43 characters of unpadded base64url, 256 bits). Anything else, from a
// link cut short in a mail program to junk, is no secret of ours and is
// answered without a lookup.
func ValidSecret(raw string) bool {
	if len(raw) != secretLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	return err == nil && len(b) == 32
}

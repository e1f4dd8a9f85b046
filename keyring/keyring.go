// Package keyring seals secrets that Pforte must be able to read again
// (signing keys of the OpenID provider, TOTP seeds) before they reach the
// database, with the operator's key (PFORTE_SECRET_KEY). A copy of the
// database without the key reveals none of them.
//
// The key setting may hold several keys, separated by commas: the first
// seals, every one opens. Rotation is therefore: put a new key first, keep
// the old one behind it, run `pforte keys reseal` (or let the values be
// rewritten as they are used), then drop the old key.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of one key: 256 bits for AES-256-GCM.
const KeySize = 32

// Keyring holds the operator's keys. The zero value seals nothing.
type Keyring struct {
	keys []key
}

type key struct {
	id   string // first 8 hex digits of SHA-256 of the key: names it in sealed values
	aead cipher.AEAD
}

// ErrNoKey is returned by Open for a value sealed with a key that is not
// (or no longer) configured.
var ErrNoKey = errors.New("keyring: the value was sealed with a key that is not configured (PFORTE_SECRET_KEY)")

// Parse reads a key setting: keys in base64 (standard or URL alphabet,
// padded or not), each of 32 bytes, separated by commas; the first seals.
func Parse(setting string) (*Keyring, error) {
	k := &Keyring{}
	for i, item := range strings.Split(setting, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		raw, err := decode(item)
		if err != nil || len(raw) != KeySize {
			return nil, fmt.Errorf("key %d is not %d bytes in base64 (make one with: openssl rand -base64 32)", i+1, KeySize)
		}
		if err := k.add(raw); err != nil {
			return nil, err
		}
	}
	if len(k.keys) == 0 {
		return nil, errors.New("no key given")
	}
	return k, nil
}

func decode(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func (k *Keyring) add(raw []byte) error {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	k.keys = append(k.keys, key{id: hex.EncodeToString(sum[:4]), aead: aead})
	return nil
}

// LoadOrCreate reads the key file at path, creating it with a fresh key
// (mode 0600) if it does not exist: the development default, so that
// `pforte serve` runs with nothing set.
func LoadOrCreate(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, KeySize)
		rand.Read(raw)
		line := base64.StdEncoding.EncodeToString(raw) + "\n"
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreate(path) // another process made it first
		}
		if err != nil {
			return nil, err
		}
		if _, err := f.WriteString(line); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		b = []byte(line)
	} else if err != nil {
		return nil, err
	}
	k, err := Parse(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Seal encrypts plaintext for the purpose named (for example "totp" or
// "signing-key"); Open must be given the same purpose, so a value can not
// be moved from one column to another. The result is text:
// "v1.KEYID.BASE64URL(nonce|ciphertext)".
func (k *Keyring) Seal(plaintext []byte, purpose string) (string, error) {
	if k == nil || len(k.keys) == 0 {
		return "", errors.New("keyring: no key configured")
	}
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize(), cur.aead.NonceSize()+len(plaintext)+cur.aead.Overhead())
	rand.Read(nonce)
	out := cur.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return "v1." + cur.id + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with any configured key.
func (k *Keyring) Open(sealed, purpose string) ([]byte, error) {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return nil, errors.New("keyring: not a sealed value")
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("keyring: not a sealed value")
	}
	if k == nil {
		return nil, ErrNoKey
	}
	for _, key := range k.keys {
		if key.id != parts[1] {
			continue
		}
		ns := key.aead.NonceSize()
		if len(data) < ns+key.aead.Overhead() {
			return nil, errors.New("keyring: sealed value too short")
		}
		pt, err := key.aead.Open(nil, data[:ns], data[ns:], []byte(purpose))
		if err != nil {
			return nil, errors.New("keyring: sealed value does not open (tampered with, or another purpose)")
		}
		return pt, nil
	}
	return nil, ErrNoKey
}

// Current reports whether sealed was made with the key that seals now;
// values sealed with an older key can be resealed.
func (k *Keyring) Current(sealed string) bool {
	return k != nil && len(k.keys) > 0 && strings.HasPrefix(sealed, "v1."+k.keys[0].id+".")
}

// Reseal returns sealed under the key that seals now: unchanged (false)
// if it is sealed with it already, else opened with its older key and
// sealed again (true).
func (k *Keyring) Reseal(sealed, purpose string) (string, bool, error) {
	if k.Current(sealed) {
		return sealed, false, nil
	}
	pt, err := k.Open(sealed, purpose)
	if err != nil {
		return "", false, err
	}
	out, err := k.Seal(pt, purpose)
	return out, err == nil, err
}

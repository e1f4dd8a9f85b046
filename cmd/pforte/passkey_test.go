package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"pforte/store/storetest"
)

// softKey is a software authenticator: one ECDSA P-256 passkey, built
// the way a platform authenticator builds attestation "none" and
// assertions (WebAuthn §6.1, §6.5, §8.7).
type softKey struct {
	key        *ecdsa.PrivateKey
	id         []byte
	userHandle string
	count      uint32
	// Flags that a synced passkey sets: backup eligible and backed up.
	backup bool
}

func newSoftKey(t *testing.T) *softKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &softKey{key: k, id: id, backup: true}
}

var b64 = base64.RawURLEncoding

func (k *softKey) flags(attested bool) byte {
	f := byte(0x01 | 0x04) // user present, user verified
	if k.backup {
		f |= 0x08 | 0x10 // backup eligible, backup state
	}
	if attested {
		f |= 0x40
	}
	return f
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// create answers creation options as navigator.credentials.create would,
// for the relying party rpID at origin.
func (k *softKey) create(t *testing.T, options []byte, rpID, origin string) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			AuthenticatorSelection struct {
				ResidentKey string `json:"residentKey"`
			} `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatalf("creation options %s: %v", options, err)
	}
	if o.PublicKey.AuthenticatorSelection.ResidentKey != "required" {
		t.Fatalf("resident key not required: %s", options)
	}
	k.userHandle = o.PublicKey.User.ID
	pub, err := k.key.PublicKey.Bytes() // 0x04 | x | y
	if err != nil {
		t.Fatal(err)
	}
	x, y := pub[1:33], pub[33:]
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	rpHash := sha256.Sum256([]byte(rpID))
	auth := append(rpHash[:], k.flags(true))
	auth = binary.BigEndian.AppendUint32(auth, k.count)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(k.id)))
	auth = append(auth, k.id...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}}})
	return b
}

// get answers request options as navigator.credentials.get would.
func (k *softKey) get(t *testing.T, options []byte, rpID, origin string) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge        string            `json:"challenge"`
			AllowCredentials []json.RawMessage `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatalf("request options %s: %v", options, err)
	}
	if len(o.PublicKey.AllowCredentials) != 0 {
		t.Fatalf("login options are not discoverable: %s", options)
	}
	k.count++
	rpHash := sha256.Sum256([]byte(rpID))
	auth := binary.BigEndian.AppendUint32(append(rpHash[:], k.flags(false)), k.count)
	cd := clientData("webauthn.get", o.PublicKey.Challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(auth),
			"signature": b64.EncodeToString(sig), "userHandle": k.userHandle}})
	return b
}

func (p *portal) postJSON(c *http.Client, path string, body []byte) page {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.abs(path), strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	return p.do(c, req)
}

// jsonCode is the error code of a JSON answer.
func (pg page) jsonCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal([]byte(pg.Body), &e)
	return e.Error.Code
}

// eachPasskeyPortal runs fn against portals whose public URL has a host
// name (WebAuthn allows no IP address): http://localhost:PORT.
func eachPasskeyPortal(t *testing.T, fn func(t *testing.T, p *portal, origin string)) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		addr := freeAddr(t)
		origin := "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:]
		fn(t, startPortal(t, dbURL, map[string]string{"PFORTE_ADDR": addr, "PFORTE_BASE_URL": origin}), origin)
	})
}

var passkeyItem = regexp.MustCompile(`data-passkey="(\d+)"`)

func TestPasskeysOverHTTP(t *testing.T) {
	eachPasskeyPortal(t, func(t *testing.T, p *portal, origin string) {
		addr := "paula@example.de"
		p.signUp(addr, goodPW)
		c := p.login(addr, goodPW)
		key := newSoftKey(t)
		proof := []byte(`{"current_password":"` + goodPW + `"}`)

		// Past the first minutes after its sign-in, the session alone adds
		// no passkey: the current password first.
		p.ageSessions(addr, 6*time.Minute)
		for _, bad := range []string{"", `{"current_password":"falsch"}`} {
			if pg := p.postJSON(c, "/konto/passkeys/optionen", []byte(bad)); pg.Status != 401 || pg.jsonCode() != "invalid-credentials" {
				t.Fatalf("options with %q: %d %s", bad, pg.Status, pg.Body)
			}
		}
		if pg := p.postJSON(c, "/konto/passkeys/optionen", []byte("{")); pg.Status != 400 {
			t.Fatalf("options with junk: %d %s", pg.Status, pg.Body)
		}

		// Adding one: the options, then the new credential.
		opts := p.postJSON(c, "/konto/passkeys/optionen", proof)
		if opts.Status != 200 || !strings.Contains(opts.Body, `"publicKey"`) {
			t.Fatalf("creation options: %d %s", opts.Status, opts.Body)
		}
		// A credential made for another origin or relying party is refused.
		for _, bad := range [][2]string{{"localhost", "http://evil.example"}, {"evil.example", origin}} {
			opts := p.postJSON(c, "/konto/passkeys/optionen", proof)
			if pg := p.postJSON(c, "/konto/passkeys", key.create(t, []byte(opts.Body), bad[0], bad[1])); pg.Status != 422 || pg.jsonCode() != "mfa-invalid" {
				t.Fatalf("register for %v: %d %s", bad, pg.Status, pg.Body)
			}
		}
		opts = p.postJSON(c, "/konto/passkeys/optionen", proof)
		for _, junk := range []string{"", "{", `{"id": 1}`, `{"id":"x","rawId":"x","type":"public-key","response":{"clientDataJSON":"%%%","attestationObject":"AA"}}`} {
			if pg := p.postJSON(c, "/konto/passkeys", []byte(junk)); pg.Status != 400 || pg.jsonCode() != "bad-request" {
				t.Fatalf("register with %q: %d %s", junk, pg.Status, pg.Body)
			}
		}
		opts = p.postJSON(c, "/konto/passkeys/optionen", proof)
		if pg := p.postJSON(c, "/konto/passkeys", key.create(t, []byte(opts.Body), "localhost", origin)); pg.Status != 200 {
			t.Fatalf("register: %d %s", pg.Status, pg.Body)
		}
		waitFor(t, func() bool { return p.subjectTo(addr, "Neuer Passkey") })
		// A passkey is a login of its own: the password alone still signs in.
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}); pg.Header.Get("Location") != "/konto" {
			t.Fatalf("password login with a passkey: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		sec := p.get(c, "/konto/sicherheit")
		items := passkeyItem.FindAllStringSubmatch(sec.Body, -1)
		if len(items) != 1 {
			t.Fatalf("passkeys listed: %d", len(items))
		}

		// Signing in with it, without an address: both factors at once.
		login := func(origin, rpID string) page {
			b := p.newClient()
			o := p.postJSON(b, "/anmelden/passkey/optionen?next=/konto/sicherheit", nil)
			if o.Status != 200 {
				t.Fatalf("request options: %d %s", o.Status, o.Body)
			}
			pg := p.postJSON(b, "/anmelden/passkey", key.get(t, []byte(o.Body), rpID, origin))
			if pg.Status == 200 {
				if pg := p.get(b, "/konto/sicherheit"); pg.Status != 200 || !strings.Contains(pg.Body, `data-methods>Passkey</td>`) {
					t.Fatalf("after passkey login: %d", pg.Status)
				}
			}
			return pg
		}
		if pg := login(origin, "localhost"); pg.Status != 200 || !strings.Contains(pg.Body, `"redirect":"/konto/sicherheit"`) {
			t.Fatalf("passkey login: %d %s", pg.Status, pg.Body)
		}
		for _, bad := range [][2]string{{"http://evil.example", "localhost"}, {origin, "evil.example"}} {
			if pg := login(bad[0], bad[1]); pg.Status != 401 || pg.jsonCode() != "mfa-invalid" {
				t.Fatalf("login from %v: %d %s", bad, pg.Status, pg.Body)
			}
		}
		// Malformed assertions are bad-request, never a 500.
		b := p.newClient()
		for _, junk := range []string{"", "[]", `{"id":"AA","type":"public-key","response":{}}`, strings.Repeat("x", 70000)} {
			p.postJSON(b, "/anmelden/passkey/optionen", nil)
			if pg := p.postJSON(b, "/anmelden/passkey", []byte(junk)); pg.Status != 400 || pg.jsonCode() != "bad-request" {
				t.Fatalf("login with %.20q: %d %s", junk, pg.Status, pg.Body)
			}
		}
		// Damaged answers (one byte changed anywhere) are refused with a
		// code, never a 500.
		rng := mrand.New(mrand.NewPCG(1, 2))
		for i := range 150 {
			o := p.postJSON(b, "/anmelden/passkey/optionen", nil)
			good := key.get(t, []byte(o.Body), "localhost", origin)
			bad := []byte(string(good))
			bad[rng.IntN(len(bad))] = byte(rng.IntN(256))
			if pg := p.postJSON(b, "/anmelden/passkey", bad); pg.Status >= 500 {
				t.Fatalf("damaged assertion %d: %d %s", i, pg.Status, pg.Body)
			}
			o = p.postJSON(c, "/konto/passkeys/optionen", proof)
			reg := newSoftKey(t).create(t, []byte(o.Body), "localhost", origin)
			reg[rng.IntN(len(reg))] = byte(rng.IntN(256))
			if pg := p.postJSON(c, "/konto/passkeys", reg); pg.Status >= 500 {
				t.Fatalf("damaged credential %d: %d %s", i, pg.Status, pg.Body)
			}
		}
		// An assertion is good for one challenge only.
		o := p.postJSON(b, "/anmelden/passkey/optionen", nil)
		assertion := key.get(t, []byte(o.Body), "localhost", origin)
		if pg := p.postJSON(b, "/anmelden/passkey", assertion); pg.Status != 200 {
			t.Fatalf("login: %d %s", pg.Status, pg.Body)
		}
		if pg := p.postJSON(b, "/anmelden/passkey", assertion); pg.Status != 401 {
			t.Fatalf("replayed assertion: %d %s", pg.Status, pg.Body)
		}
		// A sign count that does not grow: a copied key? Refused.
		key.count -= 2
		if pg := login(origin, "localhost"); pg.Status != 401 {
			t.Fatalf("sign count went back: %d %s", pg.Status, pg.Body)
		}
		key.count += 5

		// Removed (with the current password), it opens nothing.
		if pg := p.post(c, "/konto/passkeys/"+items[0][1]+"/entfernen", nil); pg.Status != 401 {
			t.Fatalf("remove without the password: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(c, "/konto/passkeys/"+items[0][1]+"/entfernen", url.Values{"current_password": {goodPW}}); pg.Status != 303 {
			t.Fatalf("remove: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(addr, "Passkey entfernt") })
		if pg := login(origin, "localhost"); pg.Status != 401 || pg.jsonCode() != "mfa-invalid" {
			t.Fatalf("login with a removed passkey: %d %s", pg.Status, pg.Body)
		}
		if pg := p.post(c, "/konto/passkeys/"+items[0][1]+"/entfernen", url.Values{"current_password": {goodPW}}); pg.Status != 404 {
			t.Fatalf("remove twice: %d", pg.Status)
		}
		assertAudit(t, p, "passkey-added", "passkey-login", "passkey-clone-warning", "passkey-removed")
	})
}

func TestPasskeysUnavailableOnAnIPAddress(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	c := p.newClient()
	if pg := p.postJSON(c, "/anmelden/passkey/optionen", nil); pg.Status != 404 {
		t.Fatalf("passkey options on an IP address: %d %s", pg.Status, pg.Body)
	}
	if pg := p.get(c, "/anmelden"); strings.Contains(pg.Body, "data-passkey-login") {
		t.Fatal("login page offers passkeys on an IP address")
	}
	if !strings.Contains(p.stderr.String(), "passkeys unavailable") {
		t.Fatal("no word on the missing passkeys")
	}
}

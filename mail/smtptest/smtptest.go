// Package smtptest runs a real SMTP server on loopback for tests, so that
// Pforte's mails go through the same SMTP dialogue as in production and
// tests can read what a user would receive.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	pfortemail "pforte/mail"
)

// Received is one mail as the server got it, decoded for assertions.
type Received struct {
	From     string      // envelope sender (MAIL FROM)
	To       string      // first envelope recipient (RCPT TO)
	Rcpt     []string    // all envelope recipients
	AuthUser string      // the user the client logged in as, if it did
	Header   mail.Header // raw header fields, e.g. Message-ID and Date
	Subject  string      // decoded from RFC 2047
	Text     string      // the text/plain part, decoded
	HTML     string      // the text/html part, decoded
	Raw      []byte      // the mail as sent
	TLS      bool        // whether the mail came over TLS (STARTTLS or implicit)
}

// TLSMode is how a server offers TLS.
type TLSMode int

const (
	// NoTLS is plain SMTP without STARTTLS, as Start runs it.
	NoTLS TLSMode = iota
	// STARTTLS offers the STARTTLS extension on a plain connection
	// (smtp://), and accepts mail without it too.
	STARTTLS
	// ImplicitTLS speaks TLS from the first byte (smtps://).
	ImplicitTLS
)

// Server is an in-process SMTP server on 127.0.0.1, without TLS (Start) or
// with a self-signed certificate (StartTLS).
type Server struct {
	addr  string
	mode  TLSMode
	roots *x509.CertPool // trusts the server's certificate; nil without TLS

	mu       sync.Mutex
	received []Received
	changed  chan struct{} // closed and replaced when received grows
	failing  bool
	user     string // with pass: the only login accepted, and required
	pass     string
}

// Start runs a server without TLS on 127.0.0.1 on a free port until the
// test ends.
func Start(t testing.TB) *Server { return StartTLS(t, NoTLS) }

// StartTLS runs a server like Start that offers TLS as mode says, with a
// certificate for 127.0.0.1 and localhost that only RootCAs (or ClientTLS)
// trusts; every server has its own.
func StartTLS(t testing.TB, mode TLSMode) *Server {
	t.Helper()
	var tlsConfig *tls.Config
	var roots *x509.CertPool
	if mode != NoTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		roots = pool
	}
	var l net.Listener
	var err error
	if mode == ImplicitTLS {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{addr: l.Addr().String(), mode: mode, roots: roots, changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
		return &session{server: s, conn: conn}, nil
	}))
	if mode == STARTTLS {
		srv.TLSConfig = tlsConfig
	}
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only; lets tests exercise logins
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is the server as PFORTE_SMTP_URL, e.g. "smtp://127.0.0.1:2525", or
// "smtps://…" for ImplicitTLS.
func (s *Server) URL() string {
	if s.mode == ImplicitTLS {
		return "smtps://" + s.addr
	}
	return "smtp://" + s.addr
}

// RootCAs is a pool that trusts the server's certificate, nil for a server
// without TLS.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// ClientTLS is a client configuration that trusts the server's certificate,
// e.g. for mail.SMTPSender.TLSConfig; nil for a server without TLS.
func (s *Server) ClientTLS() *tls.Config {
	if s.roots == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// selfSigned makes an ECDSA certificate for 127.0.0.1 and localhost that is
// its own CA, and a pool trusting it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// SetFailing makes the server refuse every mail with a temporary error
// (451) while on, so that tests can see the outbox retry.
func (s *Server) SetFailing(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = on
}

// RequireAuth makes the server accept mail only after a login with user and
// password (AUTH PLAIN).
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// Messages returns every mail received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Wait returns the mails once at least n have arrived, and fails the test if
// that takes longer than timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	var got []Received
	if !s.waitUntil(timeout, func(r []Received) bool { got = r; return len(r) >= n }) {
		t.Fatalf("smtptest: got %d mails within %v, want %d", len(got), timeout, n)
	}
	return got
}

// WaitFor returns the first mail to the address to, and fails the test if
// none arrives within timeout.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	var found Received
	ok := s.waitUntil(timeout, func(r []Received) bool {
		for _, m := range r {
			for _, rcpt := range m.Rcpt {
				if strings.EqualFold(rcpt, to) {
					found = m
					return true
				}
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("smtptest: no mail to %s within %v", to, timeout)
	}
	return found
}

func (s *Server) waitUntil(timeout time.Duration, done func([]Received) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		received, changed := append([]Received(nil), s.received...), s.changed
		s.mu.Unlock()
		if done(received) {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// Links returns every http(s) link in a mail text, as a user would click
// them; the same function the development log uses.
func Links(text string) []string { return pfortemail.Links(text) }

func (s *Server) add(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

var errFailing = &smtp.SMTPError{
	Code:         451,
	EnhancedCode: smtp.EnhancedCode{4, 3, 0},
	Message:      "smtptest: temporarily refusing mail, try again later",
}

// session is one SMTP connection.
type session struct {
	server   *Server
	conn     *smtp.Conn
	authUser string
	from     string
	rcpt     []string
}

func (c *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (c *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		c.server.mu.Lock()
		defer c.server.mu.Unlock()
		if c.server.user != "" && (user != c.server.user || pass != c.server.pass) {
			return smtp.ErrAuthFailed
		}
		c.authUser = user
		return nil
	}), nil
}

func (c *session) Mail(from string, _ *smtp.MailOptions) error {
	c.server.mu.Lock()
	failing, needAuth := c.server.failing, c.server.user != ""
	c.server.mu.Unlock()
	if failing {
		return errFailing
	}
	if needAuth && c.authUser == "" {
		return smtp.ErrAuthRequired
	}
	c.from = from
	return nil
}

func (c *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.rcpt = append(c.rcpt, to)
	return nil
}

func (c *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	got, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "smtptest: " + err.Error()}
	}
	got.From, got.Rcpt, got.AuthUser = c.from, append([]string(nil), c.rcpt...), c.authUser
	if c.conn != nil {
		state, ok := c.conn.TLSConnectionState()
		got.TLS = ok && state.HandshakeComplete
	}
	if len(got.Rcpt) > 0 {
		got.To = got.Rcpt[0]
	}
	c.server.add(got)
	return nil
}

func (c *session) Reset() { c.from, c.rcpt = "", nil }

func (c *session) Logout() error { return nil }

// parse decodes a mail the way a mail program shows it.
func parse(raw []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	r := Received{Header: msg.Header, Raw: raw}
	r.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Received{}, fmt.Errorf("subject: %w", err)
	}
	err = walk(&r, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return r, err
}

// walk collects the text and HTML parts, also from nested multiparts.
func walk(r *Received, contentType, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain" // RFC 2045's default
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		parts := multipart.NewReader(body, params["boundary"])
		for {
			// NextPart decodes quoted-printable itself (and drops the header).
			p, err := parts.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(r, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	content, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		r.Text += string(content)
	case "text/html":
		r.HTML += string(content)
	}
	return nil
}

package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"pforte/mail"
	"pforte/mail/smtptest"
)

func TestNewSMTPSenderRefusesBadURLs(t *testing.T) {
	for _, raw := range []string{
		"",
		"localhost:25",
		"http://mail.example.de",
		"smtp://",
		"smtp://mail.example.de:port",
		"smtp://mail.example.de:70000",
		"smtp://mail.example.de:25/inbox",
		"smtp://mail.example.de:25?tls=off",
		"smtps://mail.example.de?tls=none",
		"smtp://mail.example.de?tls=none&x=1",
		"smtp://user:geheim@mail.example.de:25 x",
		"smtp://user:geheim%zz@mail.example.de:25",
	} {
		_, err := mail.NewSMTPSender(raw, "no-reply@example.de")
		if err == nil {
			t.Errorf("NewSMTPSender(%q) accepted a bad URL", raw)
			continue
		}
		if !strings.Contains(err.Error(), "PFORTE_SMTP_URL") || strings.Contains(err.Error(), "geheim") {
			t.Errorf("NewSMTPSender(%q) = %v, want an error naming PFORTE_SMTP_URL without the password", raw, err)
		}
	}
	for _, raw := range []string{"smtp://mail.example.de", "smtps://u:p@mail.example.de:465", "smtp://127.0.0.1:2525/", "smtp://relay.intern:25?tls=none"} {
		if _, err := mail.NewSMTPSender(raw, "Kundenportal <no-reply@example.de>"); err != nil {
			t.Errorf("NewSMTPSender(%q): %v", raw, err)
		}
	}
	if _, err := mail.NewSMTPSender("smtp://mail.example.de", "kein Absender"); err == nil || !strings.Contains(err.Error(), "PFORTE_MAIL_FROM") {
		t.Errorf("bad sender: err = %v, want one naming PFORTE_MAIL_FROM", err)
	}
}

func TestSMTPSenderDelivers(t *testing.T) {
	srv := smtptest.Start(t)
	sender, err := mail.NewSMTPSender(srv.URL(), "Kundenportal <no-reply@example.de>")
	if err != nil {
		t.Fatal(err)
	}
	m := mail.Message{
		To:      "jörg@example.de",
		Subject: "Grüße – Größe, Übung, Ärger, Öl, ß",
		Text:    "Hallo Jörg,\nhier ist Ihr Link: https://portal.example.de/x?a=1&b=2\n",
		HTML:    "<p>Hallo Jörg, <a href=\"https://portal.example.de/x?a=1&amp;b=2\">Link</a></p>",
	}
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "jörg@example.de", 5*time.Second)
	if got.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
	}
	if crlf(got.Text) != m.Text {
		t.Errorf("Text = %q, want %q", got.Text, m.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("HTML = %q, want %q", got.HTML, m.HTML)
	}
	if got.From != "no-reply@example.de" || got.AuthUser != "" {
		t.Errorf("From = %q, AuthUser = %q; want no-reply@example.de without login", got.From, got.AuthUser)
	}
	if id := got.Header.Get("Message-Id"); !strings.HasSuffix(id, "@example.de>") {
		t.Errorf("Message-ID = %q", id)
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q", ct)
	}
	if links := smtptest.Links(got.Text); len(links) != 1 || links[0] != "https://portal.example.de/x?a=1&b=2" {
		t.Errorf("Links = %q", links)
	}
}

func TestSMTPSenderLogsIn(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RequireAuth("pforte", "g3heim")
	good, err := mail.NewSMTPSender("smtp://pforte:g3heim@"+srv.Addr(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "a@example.de", 5*time.Second); got.AuthUser != "pforte" {
		t.Errorf("AuthUser = %q, want pforte", got.AuthUser)
	}

	bad, err := mail.NewSMTPSender("smtp://pforte:falsch@"+srv.Addr(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Send(context.Background(), mail.Message{To: "b@example.de", Subject: "s", Text: "t"})
	if err == nil || errors.Is(err, mail.ErrPermanent) || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: err = %v, want a temporary 535 error (the operator may fix the password)", err)
	}
	if strings.Contains(err.Error(), "falsch") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestSMTPSenderTemporaryFailure(t *testing.T) {
	srv := smtptest.Start(t)
	srv.SetFailing(true)
	sender, err := mail.NewSMTPSender(srv.URL(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"})
	if err == nil || errors.Is(err, mail.ErrPermanent) || !strings.Contains(err.Error(), "451") {
		t.Errorf("err = %v, want a temporary 451 error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d mails arrived at a failing server", n)
	}
}

func TestSMTPSenderNoServer(t *testing.T) {
	sender, err := mail.NewSMTPSender("smtp://127.0.0.1:1", "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = sender.Send(ctx, mail.Message{To: "a@example.de", Subject: "s", Text: "t"})
	if err == nil || errors.Is(err, mail.ErrPermanent) {
		t.Errorf("err = %v, want a temporary error", err)
	}
}

// TestSMTPSenderGivesUpAStallingServer: a server that accepts the
// connection and never answers holds a delivery for Timeout, not for ever
// (Send is called without a deadline, the worker's lease aside).
func TestSMTPSenderGivesUpAStallingServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	sender, err := mail.NewSMTPSender("smtp://"+ln.Addr().String(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	sender.Timeout = 200 * time.Millisecond
	done := make(chan error, 1)
	go func() {
		done <- sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"})
	}()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, mail.ErrPermanent) {
			t.Errorf("err = %v, want a temporary error", err)
		}
	case <-time.After(20 * time.Second): // the default of 30 s would end here
		t.Fatal("Send still waits for the stalling server; Timeout is not applied")
	}
}

// TestSMTPSenderPermanentOnlyForTheMail: a 5xx to the mail itself (here
// to its recipient) is permanent; a 5xx before it, at the greeting or to
// the connection check, refuses Pforte, not the mail, and is temporary
// (the mail waits until the server serves again).
func TestSMTPSenderPermanentOnlyForTheMail(t *testing.T) {
	for _, c := range []struct {
		name      string
		replies   map[string]string
		permanent bool
	}{
		{"no service at the greeting", map[string]string{"": "554 5.3.2 no SMTP service here"}, false},
		{"connection check refused", map[string]string{"NOOP": "554 5.5.1 no"}, false},
		{"unknown recipient", map[string]string{"RCPT": "550 5.1.1 no such user"}, true},
		{"content refused", map[string]string{".": "554 5.6.0 content refused"}, true},
	} {
		addr := scriptedSMTP(t, c.replies)
		sender, err := mail.NewSMTPSender("smtp://"+addr, "no-reply@example.de")
		if err != nil {
			t.Fatal(err)
		}
		sender.Timeout = 5 * time.Second
		err = sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"})
		if err == nil || errors.Is(err, mail.ErrPermanent) != c.permanent {
			t.Errorf("%s: err = %v, want permanent = %v", c.name, err, c.permanent)
		}
	}
}

// TestSMTPSenderDeliveredDespiteTheEnd: once the server took the mail
// ("250" after its content), what fails after it — the RSET, the QUIT, the
// connection — does not make it a failure: sending it again would give
// the member another copy at every retry.
func TestSMTPSenderDeliveredDespiteTheEnd(t *testing.T) {
	for _, c := range []struct {
		name    string
		replies map[string]string
	}{
		{"RSET refused", map[string]string{"RSET": "502 5.5.2 not implemented"}},
		{"hang-up at RSET", map[string]string{"RSET": hangUp}},
		{"hang-up at QUIT", map[string]string{"QUIT": hangUp}},
	} {
		addr := scriptedSMTP(t, c.replies)
		sender, err := mail.NewSMTPSender("smtp://"+addr, "no-reply@example.de")
		if err != nil {
			t.Fatal(err)
		}
		sender.Timeout = 5 * time.Second
		if err := sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"}); err != nil {
			t.Errorf("%s: err = %v, want the mail delivered", c.name, err)
		}
	}
}

// hangUp as a scripted reply closes the connection instead of answering.
const hangUp = "hang up"

// scriptedSMTP is a mail server that answers each command with
// replies[verb] ("" is the greeting, "." the end of the content) and else
// as a willing server would; a 5xx greeting or hangUp ends the connection.
func scriptedSMTP(t *testing.T, replies map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	reply := func(verb, normal string) string {
		if r, ok := replies[verb]; ok {
			return r
		}
		return normal
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := textproto.NewConn(c)
				greeting := reply("", "220 mail.example ESMTP")
				tc.PrintfLine("%s", greeting)
				if strings.HasPrefix(greeting, "5") {
					return
				}
				for {
					line, err := tc.ReadLine()
					if err != nil {
						return
					}
					verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
					var r string
					switch verb {
					case "DATA":
						tc.PrintfLine("354 go ahead")
						if _, err := tc.ReadDotBytes(); err != nil {
							return
						}
						r = reply(".", "250 2.0.0 queued")
					case "QUIT":
						r = reply(verb, "221 bye")
					default:
						r = reply(verb, "250 ok")
					}
					if r == hangUp {
						return
					}
					tc.PrintfLine("%s", r)
					if verb == "QUIT" {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestSMTPSenderSTARTTLS(t *testing.T) {
	srv := smtptest.StartTLS(t, smtptest.STARTTLS)
	sender, err := mail.NewSMTPSender(srv.URL(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	sender.TLSConfig = srv.ClientTLS()
	if err := sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "a@example.de", 5*time.Second); !got.TLS {
		t.Error("smtp:// to a server offering STARTTLS delivered without TLS")
	}
}

func TestSMTPSenderSTARTTLSLogsIn(t *testing.T) {
	srv := smtptest.StartTLS(t, smtptest.STARTTLS)
	srv.RequireAuth("pforte", "g3heim")
	sender, err := mail.NewSMTPSender("smtp://pforte:g3heim@"+srv.Addr(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	sender.TLSConfig = srv.ClientTLS()
	if err := sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "a@example.de", 5*time.Second); !got.TLS || got.AuthUser != "pforte" {
		t.Errorf("TLS = %v, AuthUser = %q; want a login over TLS", got.TLS, got.AuthUser)
	}
}

func TestSMTPSenderImplicitTLS(t *testing.T) {
	srv := smtptest.StartTLS(t, smtptest.ImplicitTLS)
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL = %q, want smtps://", srv.URL())
	}
	sender, err := mail.NewSMTPSender(srv.URL(), "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	// A config without ServerName: the sender fills in the host.
	sender.TLSConfig = &tls.Config{RootCAs: srv.RootCAs()}
	if err := sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "a@example.de", 5*time.Second); !got.TLS {
		t.Error("smtps:// delivered without TLS")
	}
}

// TestSMTPSenderUntrustedCertificate: a certificate the sender does not
// trust stops the delivery (to be retried); it never goes out in plain text.
func TestSMTPSenderUntrustedCertificate(t *testing.T) {
	for _, mode := range []smtptest.TLSMode{smtptest.STARTTLS, smtptest.ImplicitTLS} {
		srv := smtptest.StartTLS(t, mode)
		other := smtptest.StartTLS(t, mode) // its own, different certificate
		for name, config := range map[string]*tls.Config{
			"system roots":      nil,
			"another server CA": other.ClientTLS(),
		} {
			sender, err := mail.NewSMTPSender(srv.URL(), "no-reply@example.de")
			if err != nil {
				t.Fatal(err)
			}
			sender.TLSConfig = config
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = sender.Send(ctx, mail.Message{To: "a@example.de", Subject: "s", Text: "t"})
			cancel()
			if err == nil {
				t.Errorf("%s, %s: delivered despite an untrusted certificate", srv.URL(), name)
			} else if errors.Is(err, mail.ErrPermanent) {
				t.Errorf("%s, %s: err = %v, want a temporary error (the operator may fix the certificate)", srv.URL(), name, err)
			} else if !strings.Contains(err.Error(), "certificate") {
				t.Errorf("%s, %s: err = %v, want one naming the certificate", srv.URL(), name, err)
			}
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("%s: %d mails arrived despite an untrusted certificate", srv.URL(), n)
		}
	}
}

func TestSMTPSenderMessageID(t *testing.T) {
	srv := smtptest.Start(t)
	sender, err := mail.NewSMTPSender(srv.URL(), "Kundenportal <no-reply@example.de>")
	if err != nil {
		t.Fatal(err)
	}
	m := mail.Message{ID: 42, To: "a@example.de", Subject: "s", Text: "t"}
	for range 2 { // a retry keeps the Message-ID
		if err := sender.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	m.ID = 0
	for range 2 {
		if err := sender.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Wait(t, 4, 5*time.Second)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.Header.Get("Message-Id"))
	}
	if ids[0] != "<pforte-outbox-42@example.de>" || ids[1] != ids[0] {
		t.Errorf("Message-IDs of outbox message 42 = %q, %q; want <pforte-outbox-42@example.de> twice", ids[0], ids[1])
	}
	for _, id := range ids[2:] {
		if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.de>") || strings.Contains(id, "outbox") {
			t.Errorf("Message-ID without outbox ID = %q, want a random <…@example.de>", id)
		}
	}
	if ids[2] == ids[3] {
		t.Errorf("two messages without outbox ID share Message-ID %q", ids[2])
	}
}

// dialTo reaches srv whatever name the sender was given: the test server
// listens on loopback, but the TLS rule is about servers elsewhere.
func dialTo(srv *smtptest.Server) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr())
	}
}

// Mail carries sign-in and reset links: to a server elsewhere it goes only
// over TLS, unless the URL asks for plain text in so many words.
func TestSMTPSenderRequiresTLSBeyondThisMachine(t *testing.T) {
	srv := smtptest.Start(t) // offers no STARTTLS
	_, port, _ := net.SplitHostPort(srv.Addr())
	sender, err := mail.NewSMTPSender("smtp://mail.example.test:"+port, "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	sender.Dial = dialTo(srv)
	if err := sender.Send(context.Background(), mail.Message{To: "a@example.de", Subject: "s", Text: "https://portal/x?token=geheim"}); err == nil {
		t.Fatal("sent to a server without STARTTLS")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails arrived in plain text", n)
	}
	plain, err := mail.NewSMTPSender("smtp://mail.example.test:"+port+"?tls=none", "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	plain.Dial = dialTo(srv)
	if err := plain.Send(context.Background(), mail.Message{To: "b@example.de", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("tls=none: %v", err)
	}
	if got := srv.WaitFor(t, "b@example.de", 5*time.Second); got.TLS {
		t.Error("tls=none used TLS")
	}

	// A server elsewhere that offers STARTTLS gets the mail over TLS.
	tlsSrv := smtptest.StartTLS(t, smtptest.STARTTLS)
	_, port, _ = net.SplitHostPort(tlsSrv.Addr())
	sender, err = mail.NewSMTPSender("smtp://mail.example.test:"+port, "no-reply@example.de")
	if err != nil {
		t.Fatal(err)
	}
	sender.Dial = dialTo(tlsSrv)
	sender.TLSConfig = tlsSrv.ClientTLS()
	sender.TLSConfig.ServerName = "localhost" // the name on the test certificate
	if err := sender.Send(context.Background(), mail.Message{To: "c@example.de", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if got := tlsSrv.WaitFor(t, "c@example.de", 5*time.Second); !got.TLS {
		t.Error("delivered without TLS")
	}
}

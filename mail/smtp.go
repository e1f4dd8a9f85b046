package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPSender delivers mails over SMTP with one connection per mail, which
// keeps it simple and robust against servers that drop idle connections;
// Pforte sends few mails.
type SMTPSender struct {
	// TLSConfig, if set, replaces the default TLS settings, for example to
	// trust a test server's certificate. ServerName defaults to the host.
	TLSConfig *tls.Config
	// Timeout bounds one delivery when ctx has no earlier deadline;
	// zero means 30 seconds.
	Timeout time.Duration
	// Dial, if set, opens the connections instead of the network's
	// dialer, for example to reach a test server under another name.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Log receives what goes wrong after a mail was delivered; nil means
	// slog.Default().
	Log *slog.Logger

	host        string
	port        int
	implicitTLS bool
	plain       bool // ?tls=none: no STARTTLS, by the operator's explicit wish
	user, pass  string
	from        string
	fromDomain  string
}

// NewSMTPSender reads the server from rawURL (PFORTE_SMTP_URL):
//
//	smtp://[user:password@]host[:port]          port 587 by default; STARTTLS required
//	smtps://[user:password@]host[:port]         port 465 by default; implicit TLS
//	smtp://host[:port]?tls=none                 plain text, no STARTTLS (a relay on a trusted network)
//
// Mails carry links that sign in and reset passwords, so smtp:// requires
// STARTTLS (with a certificate valid for host) and gives up a server that
// does not offer it — unless host is this machine (localhost or a
// loopback address: a local relay, STARTTLS when offered) or the URL
// says tls=none. Without user and password Pforte does not log in. With them it prefers
// PLAIN or LOGIN (falling back to another mechanism the server offers) and
// sends them only over TLS or to localhost. from (PFORTE_MAIL_FROM) is the sender of every mail,
// e.g. "Kundenportal <no-reply@example.org>".
func NewSMTPSender(rawURL, from string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, password included: report only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("PFORTE_SMTP_URL: %v (want smtp://[user:password@]host:port or smtps://…)", err)
	}
	s := &SMTPSender{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("PFORTE_SMTP_URL: scheme %q not supported, want smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("PFORTE_SMTP_URL: no host, want smtp://[user:password@]host:port")
	}
	if p := u.Port(); p != "" {
		s.port, err = strconv.Atoi(p)
		if err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("PFORTE_SMTP_URL: bad port %q", p)
		}
	}
	if q := u.RawQuery; q == "tls=none" && !s.implicitTLS {
		s.plain = true
	} else if q != "" {
		return nil, errors.New("PFORTE_SMTP_URL: unexpected query, the only one is ?tls=none (smtp:// in plain text)")
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("PFORTE_SMTP_URL: unexpected path, want smtp://[user:password@]host:port")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("PFORTE_MAIL_FROM: %q is not a mail address: %v", from, err)
	}
	s.from = addr.String()
	s.fromDomain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	return s, nil
}

// Send delivers m as multipart/alternative (text and HTML), with the
// current Date and a Message-ID that stays the same when the outbox retries
// m (see messageID). A 5xx answer to the mail itself (sender,
// recipient, content) comes back wrapped in ErrPermanent; one before it
// (greeting, EHLO, STARTTLS, login) refuses Pforte, not the mail, and is
// temporary like an unreachable server (see permanent).
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg() // UTF-8, quoted-printable; the subject is encoded as needed
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("smtp: sender %q: %w", s.from, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("%w: smtp: recipient %q: %v", ErrPermanent, m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(s.messageID(m))
	msg.SetDate()
	msg.SetUserAgent("Pforte")
	lang := m.Language
	if lang == "" {
		lang = "de"
	}
	msg.SetGenHeader(gomail.HeaderContentLang, lang)
	// RFC 3834: no vacation replies to automatic mails.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
		if timeout <= 0 {
			return fmt.Errorf("smtp: %w", context.DeadlineExceeded)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	client, err := gomail.NewClient(s.host, s.options(timeout)...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		// The server took the mail ("250" after DATA) and only what came
		// after failed: the RSET or QUIT, or closing the connection. The
		// mail is delivered; sending it again would give the member a
		// second copy, every retry another.
		if msg.IsDelivered() {
			s.log().WarnContext(ctx, "smtp: mail delivered, the connection failed after it", "id", m.ID, "err", err)
			return nil
		}
		if permanent(err) {
			return fmt.Errorf("%w: smtp %s: %v", ErrPermanent, client.ServerAddr(), err)
		}
		return fmt.Errorf("smtp %s: %w", client.ServerAddr(), err)
	}
	return nil
}

// messageID is the Message-ID of m without angle brackets:
// "pforte-outbox-ID@domain" for an outbox message, so that a receiver can
// spot a duplicate after a retry (say, when the server took the mail but the
// answer was lost), and a random one for a message that is not in the
// outbox (ID 0). domain is that of PFORTE_MAIL_FROM.
func (s *SMTPSender) messageID(m Message) string {
	if m.ID != 0 {
		return "pforte-outbox-" + strconv.FormatInt(m.ID, 10) + "@" + s.fromDomain
	}
	return "pforte-" + rand.Text() + "@" + s.fromDomain
}

func (s *SMTPSender) options(timeout time.Duration) []gomail.Option {
	tlsConfig := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tlsConfig = s.TLSConfig.Clone()
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = s.host
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch {
	case s.implicitTLS:
		opts = append(opts, gomail.WithSSL())
	case s.plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case loopback(s.host):
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.Dial != nil {
		opts = append(opts, gomail.WithDialContextFunc(s.Dial))
	}
	if s.user != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	return opts
}

func (s *SMTPSender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// loopback tells whether host names this machine: mail to it never
// crosses a network.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// permanent reports whether the server refused the mail itself with a
// 5xx code (MAIL FROM, RCPT TO, DATA: go-mail's SendError). A 5xx before
// that — a greeting "554 no service", a refused login, a relay that does
// not serve this machine — is about the server or Pforte's settings, the
// same for every mail: the operator fixes it, and the mails, retried as
// for an unreachable server, go out then (as for a bad certificate).
// Giving them up would leave each one for staff to send again.
func permanent(err error) bool {
	var sendErr *gomail.SendError
	if !errors.As(err, &sendErr) {
		return false
	}
	switch sendErr.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		return !sendErr.IsTemp() && sendErr.ErrorCode() >= 500 && sendErr.ErrorCode() < 600
	}
	// The check before the mail (NOOP) or the reset after it: about the
	// connection, not about this mail.
	return false
}

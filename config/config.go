// Package config reads Pforte's configuration from environment variables
// (CONTRACT §2). Every variable has a default, so that `pforte serve` runs
// with nothing set; a bad value is an error naming the variable.
package config

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"pforte/keyring"
	"pforte/password"
	"pforte/policy"
)

// Config is the whole configuration of one process.
type Config struct {
	Addr     string
	BaseURL  *url.URL
	Database string
	// DataDir is the folder of the embedded database and the generated
	// development key (PFORTE_DATA_DIR), always absolute.
	DataDir string
	// SecretKey is the operator's key setting (PFORTE_SECRET_KEY): keys
	// that seal secrets at rest; "" means the generated key file in DataDir.
	SecretKey string
	SMTPURL   string // "" means development mail
	// SMTPTimeout bounds one delivery to the mail server: connecting and
	// every command; a server that stalls is given up after it and the
	// mail retried (PFORTE_SMTP_TIMEOUT).
	SMTPTimeout     time.Duration
	MailFrom        string
	SessionIdle     time.Duration
	SessionMax      time.Duration
	ResetTokenTTL   time.Duration
	ConfirmTokenTTL time.Duration
	ContactEmail    string
	RateLimits      bool
	Argon2          password.Params
	Policy          policy.Policy
	LogLevel        string
	Chamber         Chamber
	PINTTL          time.Duration
	MailRetry       time.Duration
	// MailLease is how long a mail claimed by an instance's outbox worker
	// is reserved for it (PFORTE_MAIL_LEASE): if the instance dies while
	// sending, another one sends the mail after that.
	MailLease time.Duration
	// RequestTimeout bounds the database work of one request
	// (PFORTE_REQUEST_TIMEOUT): with the database stuck, a member gets the
	// 503 page after that instead of waiting without end.
	RequestTimeout time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (PFORTE_TRUSTED_PROXIES, comma-separated IPs or CIDRs).
	TrustedProxies []netip.Prefix
	// MetricsToken, if set, is the bearer token /metrics asks for;
	// otherwise /metrics answers only direct loopback requests.
	MetricsToken string
	// MFA is "optional" or "required" (PFORTE_MFA): with required, a
	// member without a second factor must set one up right after the
	// password, before any other page opens.
	MFA string
	// LegalDir holds the operator's texts of the legal pages as Markdown
	// (impressum.md, datenschutz.md, barrierefreiheit.md; PFORTE_LEGAL_DIR).
	// "" or a missing file: Pforte's sample filled from Chamber.
	LegalDir string
	// OIDCAccessTTL is the lifetime of the services' access and ID tokens
	// (PFORTE_OIDC_ACCESS_TTL).
	OIDCAccessTTL time.Duration
	// OIDCLogoutRetry is the pause before a failed back-channel logout is
	// tried again, doubling (PFORTE_OIDC_LOGOUT_RETRY).
	OIDCLogoutRetry time.Duration
}

// MFARequired reports whether every member must use a second factor.
func (c Config) MFARequired() bool { return c.MFA == "required" }

// SecureCookies reports whether cookies get the Secure flag (https).
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// DevMail reports whether mails stay in the outbox for the operator
// instead of going out over SMTP.
func (c Config) DevMail() bool { return c.SMTPURL == "" }

// Defaults that are not plain constants.
const (
	DefaultDataDir = "data"
	DefaultContact = "kundenlogin@example.org"
)

// SecretKeyFile is where the development key is generated when
// PFORTE_SECRET_KEY is not set.
func (c Config) SecretKeyFile() string { return filepath.Join(c.DataDir, "secret.key") }

// Load reads the configuration through getenv (os.Getenv in production,
// a map in tests).
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		Addr:            r.str("PFORTE_ADDR", "127.0.0.1:8080"),
		SMTPURL:         r.str("PFORTE_SMTP_URL", ""),
		SMTPTimeout:     r.duration("PFORTE_SMTP_TIMEOUT", 30*time.Second),
		SessionIdle:     r.duration("PFORTE_SESSION_IDLE", 10*time.Minute),
		SessionMax:      r.duration("PFORTE_SESSION_MAX", 12*time.Hour),
		ResetTokenTTL:   r.duration("PFORTE_RESET_TOKEN_TTL", time.Hour),
		ConfirmTokenTTL: r.duration("PFORTE_CONFIRM_TOKEN_TTL", 72*time.Hour),
		ContactEmail:    r.email("PFORTE_CONTACT_EMAIL", DefaultContact),
		RateLimits:      r.onOff("PFORTE_RATE_LIMITS", true),
		LogLevel:        r.oneOf("PFORTE_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		MFA:             r.oneOf("PFORTE_MFA", "optional", "optional", "required"),
		PINTTL:          r.duration("PFORTE_PIN_TTL", 90*24*time.Hour),
		MailRetry:       r.duration("PFORTE_MAIL_RETRY", 30*time.Second),
		MailLease:       r.duration("PFORTE_MAIL_LEASE", 2*time.Minute),
		RequestTimeout:  r.duration("PFORTE_REQUEST_TIMEOUT", 10*time.Second),
		OIDCAccessTTL:   r.duration("PFORTE_OIDC_ACCESS_TTL", 5*time.Minute),
		OIDCLogoutRetry: r.duration("PFORTE_OIDC_LOGOUT_RETRY", 30*time.Second),
	}
	c.Chamber = r.chamber()
	if v := getenv("PFORTE_LEGAL_DIR"); v != "" {
		dir, err := filepath.Abs(v)
		if err == nil {
			_, err = os.Stat(dir)
		}
		r.check("PFORTE_LEGAL_DIR", err)
		c.LegalDir = dir
	}
	c.BaseURL = r.baseURL("PFORTE_BASE_URL", "http://localhost:8080")
	dir, err := filepath.Abs(r.str("PFORTE_DATA_DIR", DefaultDataDir))
	r.check("PFORTE_DATA_DIR", err)
	c.DataDir = dir
	c.Database = r.str("PFORTE_DATABASE", "sqlite:"+filepath.Join(dir, "pforte.db"))
	c.SecretKey = r.str("PFORTE_SECRET_KEY", "")
	if c.SecretKey != "" {
		_, err := keyring.Parse(c.SecretKey)
		r.check("PFORTE_SECRET_KEY", err)
	}
	c.MetricsToken = r.str("PFORTE_METRICS_TOKEN", "")
	for _, item := range strings.Split(getenv("PFORTE_TRUSTED_PROXIES"), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			r.check("PFORTE_TRUSTED_PROXIES", fmt.Errorf("%q is neither an IP address nor a CIDR", item))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	host := "localhost"
	if c.BaseURL != nil && c.BaseURL.Hostname() != "" {
		host = c.BaseURL.Hostname()
	}
	// The sender's name says who writes: "Handwerkskammer Musterstadt – Kundenportal".
	c.MailFrom = r.email("PFORTE_MAIL_FROM", c.Chamber.Name+" – Kundenportal <no-reply@"+host+">")
	if v := getenv("PFORTE_ARGON2"); v != "" {
		p, err := password.ParseParams(v)
		r.check("PFORTE_ARGON2", err)
		c.Argon2 = p
	} else {
		c.Argon2 = password.DefaultParams
	}
	c.Policy = policy.Default()
	c.Policy.MinLength = r.integer("PFORTE_PASSWORD_MIN_LENGTH", c.Policy.MinLength)
	c.Policy.MaxLength = r.integer("PFORTE_PASSWORD_MAX_LENGTH", c.Policy.MaxLength)
	if v := getenv("PFORTE_PASSWORD_RULES"); v != "" {
		c.Policy.Upper, c.Policy.Lower, c.Policy.Digit, c.Policy.Special, c.Policy.Common, c.Policy.Context =
			false, false, false, false, false, false
		for _, rule := range strings.Split(v, ",") {
			switch strings.TrimSpace(rule) {
			case "upper":
				c.Policy.Upper = true
			case "lower":
				c.Policy.Lower = true
			case "digit":
				c.Policy.Digit = true
			case "special":
				c.Policy.Special = true
			case "common":
				c.Policy.Common = true
			case "context":
				c.Policy.Context = true
			default:
				r.check("PFORTE_PASSWORD_RULES", fmt.Errorf("unknown rule %q (known: upper,lower,digit,special,common,context)", rule))
			}
		}
	}
	if c.Policy.MinLength < 1 {
		r.check("PFORTE_PASSWORD_MIN_LENGTH", c.Policy.Validate())
	} else {
		// Any other problem lies with the maximum (below the minimum, too high).
		r.check("PFORTE_PASSWORD_MAX_LENGTH", c.Policy.Validate())
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err == nil && u.Scheme != "smtp" && u.Scheme != "smtps" {
			err = fmt.Errorf("scheme must be smtp or smtps, not %q", u.Scheme)
		}
		if err == nil && u.Host == "" {
			err = fmt.Errorf("host missing")
		}
		r.check("PFORTE_SMTP_URL", err)
	}
	if db := c.Database; !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") &&
		(!strings.HasPrefix(db, "sqlite:") || len(db) == len("sqlite:")) {
		r.check("PFORTE_DATABASE", fmt.Errorf("%q: expected sqlite:PATH or postgres://…", db))
	}
	if c.SessionMax < c.SessionIdle {
		r.check("PFORTE_SESSION_MAX", fmt.Errorf("%v is shorter than PFORTE_SESSION_IDLE (%v)", c.SessionMax, c.SessionIdle))
	}
	return c, r.err
}

// reader collects the first error, naming its variable.
type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) check(name string, err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: %w", name, err)
	}
}

func (r *reader) str(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err == nil && d <= 0 {
		err = fmt.Errorf("%q must be positive", v)
	}
	if err != nil {
		r.check(name, fmt.Errorf("%q is not a Go duration such as 10m or 72h", v))
		return def
	}
	return d
}

func (r *reader) integer(name string, def int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.check(name, fmt.Errorf("%q is not a whole number", v))
		return def
	}
	return n
}

func (r *reader) onOff(name string, def bool) bool {
	switch strings.ToLower(r.getenv(name)) {
	case "":
		return def
	case "on", "true", "1", "yes":
		return true
	case "off", "false", "0", "no":
		return false
	}
	r.check(name, fmt.Errorf("%q: expected on or off", r.getenv(name)))
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.check(name, fmt.Errorf("%q: expected one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (r *reader) email(name, def string) string {
	v := r.str(name, def)
	if _, err := mail.ParseAddress(v); err != nil {
		r.check(name, fmt.Errorf("%q is not an e-mail address", v))
	}
	return v
}

func (r *reader) baseURL(name, def string) *url.URL {
	v := strings.TrimSuffix(r.str(name, def), "/")
	u, err := url.Parse(v)
	if err == nil && (u.Scheme != "http" && u.Scheme != "https" || u.Host == "") {
		err = fmt.Errorf("%q: expected http(s)://host[:port][/path]", v)
	}
	if err != nil {
		r.check(name, err)
		u, _ = url.Parse(def)
	}
	return u
}

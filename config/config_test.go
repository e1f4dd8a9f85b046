package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.SessionIdle != 10*time.Minute || c.SessionMax != 12*time.Hour ||
		c.ResetTokenTTL != time.Hour || c.ConfirmTokenTTL != 72*time.Hour || !c.RateLimits || !c.DevMail() ||
		c.SecureCookies() || c.Policy.MinLength != 12 || c.SMTPTimeout != 30*time.Second || !filepath.IsAbs(c.DataDir) ||
		c.Database != "sqlite:"+filepath.Join(c.DataDir, "pforte.db") || c.SecretKeyFile() != filepath.Join(c.DataDir, "secret.key") {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"PFORTE_BASE_URL": "https://portal.hwk.example/", "PFORTE_SESSION_IDLE": "5m", "PFORTE_RATE_LIMITS": "off",
		"PFORTE_SMTP_URL": "smtps://u:p@mail.example:465", "PFORTE_ARGON2": "m=65536,t=3,p=2",
		"PFORTE_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16", "PFORTE_MFA": "required", "PFORTE_SMTP_TIMEOUT": "5s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecureCookies() || c.BaseURL.String() != "https://portal.hwk.example" || c.SessionIdle != 5*time.Minute ||
		c.RateLimits || c.DevMail() || c.Argon2.Memory != 65536 || len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "10.0.0.1/32" ||
		!c.MFARequired() || c.SMTPTimeout != 5*time.Second {
		t.Fatalf("values: %+v", c)
	}
}

func TestDataDirIsAbsolute(t *testing.T) {
	c, err := Load(env(map[string]string{"PFORTE_DATA_DIR": "rel/dir"}))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs("rel/dir")
	if c.DataDir != want || c.Database != "sqlite:"+filepath.Join(want, "pforte.db") {
		t.Fatalf("data dir %q, database %q", c.DataDir, c.Database)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for name, val := range map[string]string{
		"PFORTE_SESSION_IDLE":        "ten minutes",
		"PFORTE_SESSION_MAX":         "-1h",
		"PFORTE_RESET_TOKEN_TTL":     "0s",
		"PFORTE_CONFIRM_TOKEN_TTL":   "x",
		"PFORTE_BASE_URL":            "ftp://x",
		"PFORTE_SMTP_URL":            "http://mail",
		"PFORTE_MAIL_FROM":           "no address",
		"PFORTE_CONTACT_EMAIL":       "@",
		"PFORTE_RATE_LIMITS":         "maybe",
		"PFORTE_ARGON2":              "m=1",
		"PFORTE_PASSWORD_MIN_LENGTH": "zwölf",
		"PFORTE_LOG_LEVEL":           "loud",
		"PFORTE_TRUSTED_PROXIES":     "10.0.0.1,nginx",
		"PFORTE_PASSWORD_MAX_LENGTH": "5",
		"PFORTE_PASSWORD_RULES":      "upper,gross",
		"PFORTE_PIN_TTL":             "90 Tage",
		"PFORTE_MAIL_RETRY":          "-1s",
		"PFORTE_MAIL_LEASE":          "0s",
		"PFORTE_REQUEST_TIMEOUT":     "zehn",
		"PFORTE_SMTP_TIMEOUT":        "0s",
		"PFORTE_DATABASE":            "mysql://db",
		"PFORTE_SECRET_KEY":          "zu-kurz",
		"PFORTE_MFA":                 "always",
	} {
		_, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v does not name the variable", name, val, err)
		}
	}
}

package main

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// A member's journey through the portal, as the soak runs it: register,
// and where the development outbox (/entwicklung/post, only without
// PFORTE_SMTP_URL and only from this machine) lets the tool read the
// mails, confirm the address, sign in, reset the password with the
// link of the mail and sign in with the new one.

// The soak's passwords keep every rule of the default policy; the
// second differs from the first, as a reset asks.
const (
	soakPassword      = "Langer-Atem-2026!"
	soakResetPassword = "Zweiter-Atem-2026!"
)

// portal is the running portal as the soak talks to it.
type portal struct {
	url       string
	transport http.RoundTripper
	devMail   bool // the development outbox is readable
}

// client is a fresh browser: its own cookies, no redirects followed.
func (p *portal) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: p.transport, Jar: jar, CheckRedirect: noRedirect, Timeout: 30 * time.Second}
}

// post sends a form and wants one of the statuses; it returns the
// answer's Location.
func (p *portal) post(c *http.Client, path string, form url.Values, want ...int) (string, error) {
	res, err := c.Post(p.url+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	for _, w := range want {
		if res.StatusCode == w {
			return res.Header.Get("Location"), nil
		}
	}
	return "", fmt.Errorf("POST %s: %s", path, res.Status)
}

// login signs c in as email: 303 to /konto.
func (p *portal) login(c *http.Client, email, password string) error {
	loc, err := p.post(c, "/anmelden", url.Values{"email": {email}, "password": {password}}, http.StatusSeeOther)
	if err == nil && !strings.HasPrefix(loc, "/konto") {
		err = fmt.Errorf("led to %q", loc)
	}
	if err != nil {
		return fmt.Errorf("login as %s: %w (is the account confirmed, the password right, PFORTE_RATE_LIMITS=off?)", email, err)
	}
	return nil
}

// signIn logs c in and checks that /konto answers.
func (p *portal) signIn(c *http.Client, email, password string) error {
	if err := p.login(c, email, password); err != nil {
		return err
	}
	_, err := get(c, p.url+"/konto")
	return err
}

// register registers email with password and, with the development
// outbox, confirms it with the link of the mail.
func (p *portal) register(email, password string) error {
	c := p.client()
	form := url.Values{"email": {email}, "password": {password}, "password_repeat": {password}}
	if _, err := p.post(c, "/registrieren", form, http.StatusOK, http.StatusSeeOther); err != nil {
		return err
	}
	if !p.devMail {
		return nil
	}
	token, err := p.followMail(c, email, "/registrieren/bestaetigen")
	if err != nil {
		return err
	}
	_, err = p.post(c, "/registrieren/bestaetigen", url.Values{"token": {token}}, http.StatusOK, http.StatusSeeOther)
	return err
}

// journey is one new member's way in: registration and, with the
// development outbox, confirmation, login, password reset by mail and
// login with the new password.
func (p *portal) journey(email string) error {
	if err := p.register(email, soakPassword); err != nil || !p.devMail {
		return err
	}
	c := p.client()
	if err := p.signIn(c, email, soakPassword); err != nil {
		return err
	}
	if _, err := p.post(c, "/passwort-vergessen", url.Values{"email": {email}}, http.StatusOK, http.StatusSeeOther); err != nil {
		return err
	}
	token, err := p.followMail(c, email, "/passwort-neu")
	if err != nil {
		return err
	}
	form := url.Values{"token": {token}, "password": {soakResetPassword}, "password_repeat": {soakResetPassword}}
	if _, err := p.post(c, "/passwort-neu", form, http.StatusSeeOther); err != nil {
		return err
	}
	return p.signIn(p.client(), email, soakResetPassword)
}

// followMail finds the newest mail to email with a link to path in the
// development outbox, opens the link (GET, as a member's click does)
// and returns the link's token for the form behind it.
func (p *portal) followMail(c *http.Client, email, path string) (string, error) {
	var link *url.URL
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		page, err := get(c, p.url+"/entwicklung/post")
		if err != nil {
			return "", err
		}
		if link = mailLink(string(page), email, path); link != nil {
			break
		}
		if wait > 2*time.Second {
			return "", fmt.Errorf("no mail to %s with a link to %s in the development outbox", email, path)
		}
		time.Sleep(wait) // the outbox is another process's: no clock to set
	}
	// The link carries the portal's public URL; the tool may reach it by another.
	if _, err := get(c, p.url+link.RequestURI()); err != nil {
		return "", err
	}
	return link.Query().Get("token"), nil
}

var (
	mailStart = regexp.MustCompile(`<article class="mail">`)
	href      = regexp.MustCompile(`href="([^"]+)"`)
)

// mailLink reads the development outbox page (newest mail first): the
// first link to path in the newest mail to email that has one.
func mailLink(page, email, path string) *url.URL {
	to := "An: " + html.EscapeString(email) + " "
	for _, mail := range mailStart.Split(page, -1)[1:] {
		if !strings.Contains(mail, to) {
			continue
		}
		for _, m := range href.FindAllStringSubmatch(mail, -1) {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err == nil && u.Path == path && u.Query().Get("token") != "" {
				return u
			}
		}
	}
	return nil
}

// hasDevMail tells whether the development outbox answers.
func (p *portal) hasDevMail() bool {
	_, err := get(p.client(), p.url+"/entwicklung/post")
	return err == nil
}

// ensureAccounts signs in as each address, and registers and confirms
// those that can not sign in yet (through the development outbox).
func (p *portal) ensureAccounts(emails []string, password string) error {
	if !p.devMail {
		return errors.New("-register needs the development outbox: pforte serve without PFORTE_SMTP_URL, reached from this machine")
	}
	for _, e := range emails {
		if p.login(p.client(), e, password) == nil {
			continue
		}
		if err := p.register(e, password); err != nil {
			return fmt.Errorf("registering %s: %w", e, err)
		}
	}
	return nil
}

var errNoAccounts = errors.New("-email and -password are needed (without them the soak registers its own accounts, which needs the development outbox: pforte serve without PFORTE_SMTP_URL, reached from this machine)")

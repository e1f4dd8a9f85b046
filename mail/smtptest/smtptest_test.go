package smtptest

import (
	"strings"
	"testing"
)

// TestParseNestedBase64 covers what go-mail does not send today but other
// senders do: base64 parts inside a nested multipart.
func TestParseNestedBase64(t *testing.T) {
	raw := strings.ReplaceAll(`Subject: =?UTF-8?B?R3LDvMOfZQ==?=
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

SGFsbG8gSsO2cmc=
--inner
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<p>Hallo J=C3=B6rg</p>
--inner--
--outer--
`, "\n", "\r\n")
	got, err := parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Grüße" || got.Text != "Hallo Jörg" || got.HTML != "<p>Hallo Jörg</p>" {
		t.Errorf("got subject %q, text %q, HTML %q", got.Subject, got.Text, got.HTML)
	}
}

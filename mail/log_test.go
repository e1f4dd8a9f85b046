package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"pforte/mail"
)

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	s := mail.LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	m := composer.Reset("anna@example.de", "https://portal.example.de/passwort-neu/tok", time.Hour)
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"anna@example.de", "Neues Passwort festlegen", "https://portal.example.de/passwort-neu/tok"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q: %s", want, out)
		}
	}
	if strings.Contains(out, "Guten Tag") {
		t.Errorf("log holds the body: %s", out)
	}
}

func TestLinks(t *testing.T) {
	got := mail.Links("Öffnen Sie https://a.example/x?t=1&u=2. Oder (http://b.example/y), nicht ftp://c.\n„https://d.example/z“")
	want := []string{"https://a.example/x?t=1&u=2", "http://b.example/y", "https://d.example/z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Links = %q, want %q", got, want)
	}
}

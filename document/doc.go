// Package document renders the printed side of Pforte: the PIN letter that
// goes by post to a business's registered address, and the step-by-step
// guide offered as /hilfe/anleitung.pdf.
//
// Both are plain German A4 PDFs set in the Go fonts (BSD-licensed, shipped
// with golang.org/x/image), so the repository carries no font files of its
// own and the output looks the same on every machine.
package document

import (
	"errors"
	"strings"

	"pforte/locale"
)

// Sender is the chamber that sends letters and publishes the guide. It comes
// from configuration so that another body can run Pforte under its own name;
// empty fields are left out of the documents.
type Sender struct {
	Name     string
	Street   string
	Postcode string
	City     string
	Email    string
	Phone    string
	// Contact names the person or desk to ask for on the phone.
	Contact string
	Web     string
}

// cityLine is "Postcode City", or whichever of the two is known.
func (s Sender) cityLine() string {
	return strings.TrimSpace(s.Postcode + " " + s.City)
}

// returnLine is the one-line sender address printed above the window, so
// that the post office can return a letter that cannot be delivered.
func (s Sender) returnLine() string {
	return joinNonEmpty(" · ", s.Name, s.Street, s.cityLine())
}

// contact tells the reader in l how to reach the chamber, as a whole
// sentence that can follow any other ("Schreiben Sie uns … oder rufen Sie
// uns an: …"). A named contact (PFORTE_CHAMBER_CONTACT) is named with the
// phone.
func (s Sender) contact(l locale.Lang) string {
	phone := s.Phone
	if phone != "" && s.Contact != "" {
		phone += " (" + s.Contact + ")"
	}
	cat := locale.Embedded()
	switch {
	case s.Email != "" && phone != "":
		return cat.Must(l, "document.contact.both", "Email", s.Email, "Phone", phone)
	case s.Email != "":
		return cat.Must(l, "document.contact.email", "Email", s.Email)
	case phone != "":
		return cat.Must(l, "document.contact.phone", "Phone", phone)
	default:
		return cat.Must(l, "document.contact.post", "Address", joinNonEmpty(", ", s.Name, s.Street, s.cityLine()))
	}
}

// contactLines are the chamber's phone, email and web address, each with
// its label in l; "" for what is not known.
func (s Sender) contactLines(l locale.Lang) []string {
	cat := locale.Embedded()
	return []string{label(cat.Must(l, "document.label.email"), s.Email), label(cat.Must(l, "document.label.phone"), s.Phone),
		label(cat.Must(l, "document.label.web"), s.Web)}
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// portalURL joins the portal's public URL and a path, without a double slash.
func portalURL(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

var errNoBaseURL = errors.New("document: the portal's base URL is empty")

package business

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"pforte"
	"pforte/document"
	"pforte/store"
)

// LetterFile is the name of the letter for a request: the business number
// for the person who puts it in the envelope, the request id to keep it
// unique.
func LetterFile(r store.PINRequest) string {
	return fmt.Sprintf("pin-%s-%d.pdf", r.Business.Number, r.ID)
}

// errSent tells RenderLetters that another run sent a request meanwhile.
var errSent = errors.New("request sent meanwhile")

// RenderLetters writes one PDF letter into dir for every pending PIN
// request, each with a fresh PIN (voiding the business's older ones), and
// returns the paths written. For each letter, the PIN's hash, the mark
// "sent" and the audit entry are committed in one transaction only after
// the file is in place (written to a temporary name, synced, renamed): a
// crash can leave a letter whose PIN was never stored, which the next run
// overwrites, but never a request marked sent without its letter.
func (s *Service) RenderLetters(ctx context.Context, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil { // letters hold PINs: for the operator's eyes
		return nil, err
	}
	reqs, err := s.DB.Q().PendingPINRequests(ctx)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, r := range reqs {
		now := s.now()
		b := r.Business
		iss, l, err := s.letter(ctx, s.DB.Q(), r, now)
		if err != nil {
			return written, fmt.Errorf("Brief für Betrieb %s: %w", b.Number, err)
		}
		pdf, err := document.LetterPDF(s.Sender, l)
		if err != nil {
			return written, fmt.Errorf("Brief für Betrieb %s: %w", b.Number, err)
		}
		path := filepath.Join(dir, LetterFile(r))
		placed := false
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := markSent(ctx, tx, r, iss, now, 0, CLI); err != nil {
				return err
			}
			if err := writeFile(path, pdf); err != nil {
				return err
			}
			placed = true
			return nil
		})
		if errors.Is(err, errSent) {
			continue
		}
		if err != nil {
			if placed { // its PIN was never stored
				os.Remove(path)
			}
			return written, fmt.Errorf("Brief für Betrieb %s: %w", b.Number, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// letter makes the letter for request r with a fresh PIN, not yet stored.
func (s *Service) letter(ctx context.Context, tx *store.Tx, r store.PINRequest, now time.Time) (Issued, document.Letter, error) {
	requester, err := tx.AccountByID(ctx, r.AccountID)
	if err != nil {
		return Issued{}, document.Letter{}, err
	}
	iss := s.newPIN(r.Business, now)
	b := r.Business
	return iss, document.Letter{BusinessNumber: b.Number, BusinessName: b.Name, Street: b.Street, Postcode: b.Postcode,
		City: b.City, PIN: iss.PIN, Expires: iss.LastDay, Date: now.In(berlin), BaseURL: s.BaseURL,
		RequestedBy: MaskEmail(requester.Email), RequestedAt: r.RequestedAt.In(berlin)}, nil
}

// markSent marks request r sent in tx, stores the hash of its letter's PIN
// (voiding the business's older ones; the request remembers it, so that
// the letter counts as on its way, see LetterUnderway) and audits it, with the staff
// account that printed it (zero for the command line); errSent if another
// run sent it meanwhile. Claiming the request first makes a second run
// wait here (or find it sent) rather than write a rival letter.
func markSent(ctx context.Context, tx *store.Tx, r store.PINRequest, iss Issued, now time.Time, staffID int64, client string) error {
	if err := tx.MarkPINRequestSent(ctx, r.ID, now); errors.Is(err, store.ErrNotFound) {
		return errSent
	} else if err != nil {
		return err
	}
	if err := iss.store(ctx, tx, now); err != nil {
		return err
	}
	if err := tx.SetRequestPIN(ctx, r.ID, iss.hash()); err != nil {
		return err
	}
	return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventPINLetterRendered, AccountID: r.AccountID,
		ActorID: staffID, Client: client, Detail: fmt.Sprintf("business=%s request=%d", r.Business.Number, r.ID)})
}

// writeFile puts data at path atomically: a reader (or a crash) sees the
// old file or the whole new one, never half a letter.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".pin-*.tmp") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename itself durable
		d.Sync()
		d.Close()
	}
	return nil
}

// MaskEmail shows as much of an address as lets its owner recognise it
// in a letter, and a stranger learn little: "an…@b….de" for
// anna.beispiel@baeckerei-beispiel.de.
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" {
		return "…"
	}
	keep := 1
	if utf8.RuneCountInString(local) >= 6 {
		keep = 2
	}
	out := string([]rune(local)[:keep]) + "…@"
	if dot := strings.LastIndex(domain, "."); dot > 0 {
		return out + string([]rune(domain)[:1]) + "…" + domain[dot:]
	}
	return out + string([]rune(domain)[:1]) + "…"
}

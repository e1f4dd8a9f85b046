package business

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pforte"
	"pforte/document"
	"pforte/store"
)

// What staff do with businesses from the console. Each action is audited
// with the acting staff account (staffID) and its client.

// errNoBusiness answers a staff action on a number not in the register.
var errNoBusiness = pforte.Errorf(pforte.NotFound, "Diese Betriebsnummer ist nicht im Register.")

// known normalises number and checks that it is in the register.
func (s *Service) known(ctx context.Context, number string) (string, error) {
	n, ok := pforte.NormalizeBusinessNumber(number)
	if !ok {
		return "", errNoBusiness
	}
	_, err := s.DB.Q().BusinessByNumber(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return "", errNoBusiness
	}
	return n, err
}

// QueueLetterByStaff queues a PIN letter to the business, as a member's
// request does (one pending letter per business); the staff account
// stands as the requester. It reports whether a letter was pending already.
func (s *Service) QueueLetterByStaff(ctx context.Context, number string, staffID int64, client string) (pending bool, err error) {
	n, err := s.known(ctx, number)
	if err != nil {
		return false, err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		queued, err := tx.RequestPIN(ctx, n, staffID, now)
		if err != nil {
			return err
		}
		pending = !queued
		detail := "business=" + n
		if pending {
			detail += " already-pending"
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventPINRequested, AccountID: staffID, ActorID: staffID,
			Client: client, Detail: detail})
	})
	return pending, err
}

// Lockout is the PIN lockout of a business: wrong PINs counted toward it,
// and until when it is locked (zero: not locked).
type Lockout struct {
	Failures int
	Until    time.Time
}

// LockoutOf reads the PIN lockout of the business number.
func (s *Service) LockoutOf(ctx context.Context, number string) (Lockout, error) {
	now := s.now()
	q := s.DB.Q()
	// A lock lasts PINLockout from the last failure, which may lie up to
	// PINLockout after the window's start: read two windows back.
	fail, err := q.Peek(ctx, failKey(number), now, 2*PINLockout)
	if err != nil {
		return Lockout{}, err
	}
	var l Lockout
	if until := fail.LastAt.Add(PINLockout); fail.Count >= MaxPINFailures && until.After(now) {
		l.Until = until
	}
	if !l.Until.IsZero() || fail.WindowStart.After(now.Add(-PINLockout)) {
		l.Failures = fail.Count
	}
	return l, nil
}

// ClearLockoutByStaff ends a PIN lockout of the business and forgets its
// wrong PINs.
func (s *Service) ClearLockoutByStaff(ctx context.Context, number string, staffID int64, client string) error {
	n, err := s.known(ctx, number)
	if err != nil {
		return err
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.ResetCounter(ctx, failKey(n)); err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventStaffPINUnlocked, ActorID: staffID, Client: client,
			Detail: "business=" + n})
	})
}

// UnlinkByStaff removes the link of the account to the business.
func (s *Service) UnlinkByStaff(ctx context.Context, number string, accountID, staffID int64, client string) error {
	n, ok := pforte.NormalizeBusinessNumber(number)
	if !ok {
		return errNoBusiness
	}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Unlink(ctx, accountID, n); err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventBusinessUnlinked, AccountID: accountID, ActorID: staffID,
			Client: client, Detail: "business=" + n})
	})
	if errors.Is(err, store.ErrNotFound) {
		return pforte.Errorf(pforte.NotFound, "Dieses Konto ist mit dem Betrieb nicht verknüpft.")
	}
	return err
}

// ErrNoLetters answers a print batch when no letter is pending.
var ErrNoLetters = pforte.Errorf(pforte.NotFound, "Es sind keine PIN-Briefe offen.")

// PrintBatch is the most letters one PDF of the console holds unless
// Service.PrintBatch says otherwise: the PDF is
// made inside the transaction that stores the PINs (a few milliseconds a
// letter), and that transaction must end well inside a request's deadline
// and keep SQLite's write lock only briefly. The oldest go first; the
// rest wait for the next PDF.
const PrintBatch = 200

// LettersPerPDF is the most letters one PDF of PrintLetters holds.
func (s *Service) LettersPerPDF() int {
	if s.PrintBatch > 0 {
		return s.PrintBatch
	}
	return PrintBatch
}

// PrintLetters renders the pending PIN letters, the oldest LettersPerPDF of
// them, into one PDF, a sheet each, with a fresh PIN each, and returns it
// with the number of letters.
// The requests are marked sent in the one transaction that stores their
// PINs' hashes, committed only once the PDF is made — as `letters render`
// does per file. Whoever receives the PDF must print it: the PINs exist
// nowhere else.
func (s *Service) PrintLetters(ctx context.Context, staffID int64, client string) ([]byte, int, error) {
	var pdf []byte
	var n int
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		reqs, err := tx.PendingPINRequests(ctx)
		if err != nil {
			return err
		}
		if len(reqs) == 0 {
			return ErrNoLetters
		}
		reqs = reqs[:min(len(reqs), s.LettersPerPDF())]
		now := s.now()
		letters := make([]document.Letter, 0, len(reqs))
		for _, r := range reqs {
			iss, l, err := s.letter(ctx, tx, r, now)
			if err != nil {
				return err
			}
			if err := markSent(ctx, tx, r, iss, now, staffID, client); errors.Is(err, errSent) {
				continue
			} else if err != nil {
				return err
			}
			letters = append(letters, l)
		}
		if len(letters) == 0 {
			return ErrNoLetters
		}
		n = len(letters)
		if pdf, err = document.LettersPDF(s.Sender, letters); err != nil {
			return fmt.Errorf("PIN-Briefe: %w", err)
		}
		return nil
	})
	return pdf, n, err
}

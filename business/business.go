// Package business links accounts to the businesses of the chamber's
// register. A member asks for a PIN; the PIN goes by letter to the
// business's registered address, so only someone who can open the
// business's post can link an account to it. It holds the register import,
// PIN requests, PINs and their lockout, the links and the one access check
// (Access) that every business service goes through.
package business

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pforte"
	"pforte/document"
	"pforte/store"
	"pforte/throttle"
)

// Service runs the business flows. All fields are required but Now.
type Service struct {
	DB     *store.DB
	Limits *throttle.Limiter
	// PINTTL is how long a new PIN works (to the end of that day).
	PINTTL time.Duration
	// Sender is the chamber as printed on letters.
	Sender document.Sender
	// BaseURL is the portal's public URL, printed on letters.
	BaseURL string
	// PrintBatch is the most letters one PDF of the console holds; zero
	// means the constant PrintBatch.
	PrintBatch int
	Now        func() time.Time
}

// Limits of the PIN flows. A PIN letter costs postage and voids the
// business's older PIN, so one account may ask for a few a day; wrong
// PINs lock a business for everyone, so that nobody can guess a PIN by
// spreading attempts over many accounts.
var (
	AccountPINRequests = throttle.Limit{Max: 5, Window: 24 * time.Hour}
	ClientPINRequests  = throttle.Limit{Max: 30, Window: time.Hour}
	ClientPINAttempts  = throttle.Limit{Max: 30, Window: time.Hour}
)

// MaxPINFailures wrong PINs for one business within PINLockout lock it for
// PINLockout, counted from the last of them.
const (
	MaxPINFailures = 5
	PINLockout     = time.Hour
)

// CLI is the client recorded in the audit log for the operator's commands.
const CLI = pforte.ClientCLI

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func audit(ctx context.Context, tx *store.Tx, at time.Time, ev pforte.Event, accountID int64, client, detail string) error {
	return tx.Audit(ctx, pforte.AuditEntry{At: at, Event: ev, AccountID: accountID, Client: client, Detail: detail})
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Unchanged int
}

// Import writes a parsed register (ParseRegister): new numbers are added,
// changed names and addresses updated. Businesses missing from the file
// stay: links and PINs hang on them, and a register export may be partial.
// The whole register is one transaction on both databases: all or nothing
// (CONTRACT §1). On SQLite that holds the write lock for the length of the
// import — about 1.5 s for 30,000 changed businesses here, well inside the
// portal's busy timeout, once a day at most — unlike the account import,
// which may be hundreds of thousands of rows and so commits in batches
// and takes them out again if a later one fails (store.ImportAccounts).
func (s *Service) Import(ctx context.Context, list []pforte.Business) (ImportResult, error) {
	var res ImportResult
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		res = ImportResult{}
		for _, b := range list {
			outcome, err := tx.SaveBusiness(ctx, b, now)
			if err != nil {
				return fmt.Errorf("Betrieb %s: %w", b.Number, err)
			}
			switch outcome {
			case store.Created:
				res.Created++
			case store.Updated:
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		if res.Created+res.Updated == 0 {
			return nil // nothing changed: nothing to audit
		}
		return audit(ctx, tx, now, pforte.EventBusinessesImported, 0, CLI,
			fmt.Sprintf("created=%d updated=%d unchanged=%d", res.Created, res.Updated, res.Unchanged))
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// Requested is what the member learns about a PIN request: where the
// letter goes, no more than postcode and town, since the register's street
// is not the requester's business to know.
type Requested struct {
	Number, Postcode, City string
	// AlreadyLinked is set when the account is linked to the business
	// already: no letter is needed, and none was queued.
	AlreadyLinked bool
	// LetterSent is set when a letter to the business is on its way (see
	// LetterUnderway): when it went out. No new letter was queued.
	LetterSent time.Time
}

// LetterUnderway is how long a sent letter counts as on its way, while
// its PIN is unused and valid: a member's request in that time sends no
// new letter, since the new one would void the PIN in the post — anyone
// signed in could otherwise keep a business from ever linking. Staff
// (pforte pins issue) can still issue a fresh PIN.
const LetterUnderway = 14 * 24 * time.Hour

// unknownBusiness answers a PIN request for a number not in the register.
// Register numbers are not secret, so the message says so plainly; the
// code is the contract's pin-invalid (its §5 names unknown numbers there).
func unknownBusiness(msg string) *pforte.Error {
	return &pforte.Error{Code: pforte.PINInvalid, Message: msg}
}

// RequestPIN queues a PIN letter to the registered address of the business
// with the number the member typed. A request while one is pending for that
// business gets the same answer and queues nothing: the business gets one
// letter. A request while a letter is on its way (LetterUnderway) queues
// nothing either and voids nothing; the answer says when it went out. The PIN is made only when the letter is rendered and is never
// shown to the requester.
func (s *Service) RequestPIN(ctx context.Context, a *pforte.Account, number, client string) (Requested, error) {
	if !a.Confirmed() {
		return Requested{}, pforte.Errorf(pforte.NotConfirmed, "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse.")
	}
	if number == "" {
		return Requested{}, unknownBusiness("Bitte geben Sie die Betriebsnummer ein.")
	}
	n, ok := pforte.NormalizeBusinessNumber(number)
	if !ok {
		return Requested{}, unknownBusiness(fmt.Sprintf("Das ist keine Betriebsnummer: Sie besteht aus höchstens %d Ziffern, Buchstaben und Bindestrichen.", pforte.MaxBusinessNumber))
	}
	if err := s.Limits.Client(ctx, "pin-request", client, ClientPINRequests); err != nil {
		return Requested{}, err
	}
	b, err := s.DB.Q().BusinessByNumber(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return Requested{}, unknownBusiness(fmt.Sprintf("Die Betriebsnummer %s ist nicht im Register. Bitte prüfen Sie die Nummer.", n))
	}
	if err != nil {
		return Requested{}, err
	}
	out := Requested{Number: b.Number, Postcode: b.Postcode, City: b.City}
	if linked, err := s.DB.Q().Linked(ctx, a.ID, n); err != nil || linked {
		out.AlreadyLinked = linked
		return out, err
	}
	now := s.now()
	if out.LetterSent, err = s.DB.Q().LetterOnItsWay(ctx, n, now.Add(-LetterUnderway), now); err != nil || !out.LetterSent.IsZero() {
		if err == nil {
			err = audit(ctx, s.DB.Q(), now, pforte.EventPINRequested, a.ID, client, "business="+n+" letter-underway")
		}
		return out, err
	}
	// Counted only for numbers in the register: those cost a letter.
	if err := s.Limits.Allow(ctx, fmt.Sprintf("pin-request:%d", a.ID), AccountPINRequests); err != nil {
		if pforte.ErrorCode(err) == pforte.Throttled {
			s.DB.Q().Audit(ctx, pforte.AuditEntry{At: s.now(), Event: pforte.EventThrottled, AccountID: a.ID, Client: client, Detail: "pin-request business=" + n})
		}
		return Requested{}, err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		queued, err := tx.RequestPIN(ctx, n, a.ID, now)
		if err != nil {
			return err
		}
		detail := "business=" + n
		if !queued {
			detail += " already-pending"
		}
		return audit(ctx, tx, now, pforte.EventPINRequested, a.ID, client, detail)
	})
	return out, err
}

// Issued is a freshly issued PIN, in clear only until it is printed.
type Issued struct {
	Business pforte.Business
	PIN      string
	// Expires is the first instant the PIN no longer works; LastDay, in
	// Berlin time, is the day printed as "gültig bis".
	Expires, LastDay time.Time
}

// newPIN makes a PIN for b at now, not yet stored.
func (s *Service) newPIN(b pforte.Business, now time.Time) Issued {
	end, last := expiry(now, s.PINTTL)
	return Issued{Business: b, PIN: NewPIN(), Expires: end, LastDay: last}
}

// store keeps the hash of iss and voids the business's older PINs.
func (iss Issued) store(ctx context.Context, tx *store.Tx, now time.Time) error {
	return tx.InsertPIN(ctx, store.PIN{Hash: iss.hash(), BusinessNumber: iss.Business.Number,
		CreatedAt: now, ExpiresAt: iss.Expires})
}

func (iss Issued) hash() string { return hashPIN(iss.Business.Number, iss.PIN) }

// Issue makes a fresh PIN for the business number, for the operator to hand
// over by other means than the letter (`pforte pins issue`). Older unused
// PINs of the business stop working.
func (s *Service) Issue(ctx context.Context, number string) (Issued, error) {
	n, ok := pforte.NormalizeBusinessNumber(number)
	if !ok {
		return Issued{}, fmt.Errorf("%q ist keine gültige Betriebsnummer", number)
	}
	b, err := s.DB.Q().BusinessByNumber(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return Issued{}, fmt.Errorf("Betriebsnummer %s ist nicht im Register", n)
	}
	if err != nil {
		return Issued{}, err
	}
	now := s.now()
	iss := s.newPIN(*b, now)
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := iss.store(ctx, tx, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventPINIssued, 0, CLI, "business="+n)
	})
	return iss, err
}

// pinInvalid is the one answer for an unknown number and a wrong, expired,
// voided or used PIN: nobody learns which it was.
var pinInvalid = &pforte.Error{Code: pforte.PINInvalid,
	Message: "Betriebsnummer oder PIN stimmen nicht, oder die PIN ist abgelaufen oder wurde schon verwendet."}

func pinLocked(d time.Duration) *pforte.Error {
	e := throttle.Throttled(d)
	e.Code = pforte.PINLocked
	e.Message = "Für diesen Betrieb wurde zu oft eine falsche PIN eingegeben. Die PIN-Eingabe ist deshalb vorübergehend gesperrt."
	return e
}

func failKey(number string) string { return "pin-fail:" + number }

// staffNoLink refuses a link for an account with a staff role.
var staffNoLink = &pforte.Error{Code: pforte.Forbidden,
	Message: "Ein Konto der Verwaltung wird nicht mit einem Betrieb verknüpft. Für Ihren eigenen Betrieb nutzen Sie bitte ein Konto ohne Rolle in der Verwaltung."}

// Link links the account to the business with the PIN from its letter and
// uses the PIN up. Linking an account that is linked already uses the PIN
// up all the same and succeeds. Every failure counts against the business
// number (known or not, so the answer tells nothing); MaxPINFailures lock
// it for PINLockout, for everyone and even for the right PIN.
func (s *Service) Link(ctx context.Context, a *pforte.Account, number, pin, client string) (*pforte.Business, error) {
	if !a.Confirmed() {
		return nil, pforte.Errorf(pforte.NotConfirmed, "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse.")
	}
	if a.Role.Staff() {
		// Staff print PIN letters and so see PINs; their accounts never
		// link a business with one (they see every business in the
		// console with a second factor anyway).
		return nil, staffNoLink
	}
	n, ok := pforte.NormalizeBusinessNumber(number)
	if !ok {
		// Not even the form of a number: no business to count against.
		return nil, pinInvalid
	}
	if err := s.Limits.Client(ctx, "pin-link", client, ClientPINAttempts); err != nil {
		return nil, err
	}
	// The attempt takes its place in the business's count before the PIN
	// is checked, so that a burst of wrong PINs gets no more checks than
	// MaxPINFailures; a right PIN clears the count.
	now := s.now()
	c, ok, err := s.DB.Q().Take(ctx, failKey(n), now, pinRule)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, pinLocked(c.LastAt.Add(PINLockout).Sub(now))
	}
	var b *pforte.Business
	p, ok := NormalizePIN(pin)
	if ok {
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if b, err = tx.BusinessByNumber(ctx, n); err != nil {
				return err
			}
			if err := tx.UsePIN(ctx, n, hashPIN(n, p), now); err != nil {
				return err
			}
			if _, err := tx.Link(ctx, a.ID, n, now); err != nil {
				return err
			}
			if err := tx.ResetCounter(ctx, failKey(n)); err != nil {
				return err
			}
			return audit(ctx, tx, now, pforte.EventBusinessLinked, a.ID, client, "business="+n)
		})
	}
	if !ok || errors.Is(err, store.ErrNotFound) {
		return nil, s.failed(ctx, a, n, client, c.Count, now)
	}
	return b, err
}

// pinRule counts the attempts at a business's PIN: MaxPINFailures within
// PINLockout, then none until PINLockout after the last of them.
var pinRule = store.Rule{Window: PINLockout, Free: MaxPINFailures, Waits: []time.Duration{PINLockout}}

// failed records the wrong PIN that was attempt number count for the
// business and answers pin-invalid; the failure that uses up the last try
// locks the business, so the next attempt — even with the right PIN —
// answers pin-locked.
func (s *Service) failed(ctx context.Context, a *pforte.Account, number, client string, count int, now time.Time) error {
	ev := pforte.EventPINFailed
	if count >= MaxPINFailures {
		ev = pforte.EventPINLocked
	}
	detail := fmt.Sprintf("business=%s failures=%d", number, count)
	if err := s.DB.Q().Audit(ctx, pforte.AuditEntry{At: now, Event: ev, AccountID: a.ID, Client: client, Detail: detail}); err != nil {
		return err
	}
	return pinInvalid
}

// Unlink removes the link of the account to the business number.
func (s *Service) Unlink(ctx context.Context, a *pforte.Account, number, client string) error {
	notLinked := pforte.Errorf(pforte.NotFound, "Ihr Konto ist mit diesem Betrieb nicht verknüpft.")
	n, ok := pforte.NormalizeBusinessNumber(number)
	if !ok {
		return notLinked
	}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.Unlink(ctx, a.ID, n); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventBusinessUnlinked, a.ID, client, "business="+n)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notLinked
	}
	return err
}

// Linked lists the businesses the account is linked to.
func (s *Service) Linked(ctx context.Context, a *pforte.Account) ([]pforte.Business, error) {
	return s.DB.Q().LinkedBusinesses(ctx, a.ID)
}

package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pforte"
	"pforte/store"
	"pforte/throttle"
)

// What staff do for a member from the console. Each action is audited
// with the acting staff account (staffID, zero for the command line) and
// its client, in the transaction of the change. Staff never see or set a
// password: they send the member the links.

// ErrNoAccount answers a staff action on an account that does not exist
// (any more).
var ErrNoAccount = pforte.Errorf(pforte.NotFound, "Dieses Konto gibt es nicht (mehr).")

// byStaff runs fn on the account id in one transaction with the audit
// entry ev, and wakes the mail worker after.
func (s *Service) byStaff(ctx context.Context, id, staffID int64, client string, ev pforte.Event,
	fn func(tx *store.Tx, a *pforte.Account, now time.Time) (detail string, err error)) error {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		a, err := tx.AccountByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoAccount
		}
		if err != nil {
			return err
		}
		detail, err := fn(tx, a, now)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: ev, AccountID: id, ActorID: staffID, Client: client, Detail: detail})
	})
	if err == nil {
		s.wake()
	}
	return err
}

// MailConfirmationByStaff mails the member a new confirmation link (older
// ones stop working). An address confirmed already needs none.
func (s *Service) MailConfirmationByStaff(ctx context.Context, id, staffID int64, client string) error {
	return s.byStaff(ctx, id, staffID, client, pforte.EventStaffConfirmSent, func(tx *store.Tx, a *pforte.Account, now time.Time) (string, error) {
		if a.Confirmed() {
			return "", pforte.Errorf(pforte.BadRequest, "Die Adresse ist bereits bestätigt; eine Bestätigungsmail ist nicht nötig.")
		}
		return "", s.queueConfirmation(ctx, tx, a, now)
	})
}

// MailResetByStaff mails the member a link to set a new password, as
// "Passwort vergessen" does; the member sets it, never staff.
func (s *Service) MailResetByStaff(ctx context.Context, id, staffID int64, client string) error {
	return s.byStaff(ctx, id, staffID, client, pforte.EventStaffResetSent, func(tx *store.Tx, a *pforte.Account, now time.Time) (string, error) {
		return "", s.queueReset(ctx, tx, a, now)
	})
}

// EndSessionsByStaff ends every session of the account and voids its
// pending address changes (asked, maybe, in one of those sessions).
func (s *Service) EndSessionsByStaff(ctx context.Context, id, staffID int64, client string) error {
	return s.byStaff(ctx, id, staffID, client, pforte.EventStaffSessionsEnded, func(tx *store.Tx, a *pforte.Account, now time.Time) (string, error) {
		n, err := tx.DeleteSessionsOf(ctx, a.ID, "")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("sessions=%d", n), dropEmailChanges(ctx, tx, a.ID, client, now, fmt.Sprintf("sessions ended by staff %d", staffID))
	})
}

// ClearThrottleByStaff forgets the account's failed logins and wrong
// second-factor codes, so that it may sign in again at once.
func (s *Service) ClearThrottleByStaff(ctx context.Context, id, staffID int64, client string) error {
	return s.byStaff(ctx, id, staffID, client, pforte.EventStaffThrottleCleared, func(tx *store.Tx, a *pforte.Account, now time.Time) (string, error) {
		return "", throttle.ClearLogin(ctx, tx, a.Email, a.ID)
	})
}

// DeleteByStaff deletes the account as a purge does (store.DeleteAccount),
// for the reason given, which the audit entry keeps (the address goes
// with the account). Staff cannot delete their own account here.
func (s *Service) DeleteByStaff(ctx context.Context, id, staffID int64, reason, client string) error {
	reason, err := pforte.StaffReason(reason)
	if err != nil {
		return err
	}
	if id == staffID {
		return pforte.Errorf(pforte.Forbidden, "Ihr eigenes Konto können Sie hier nicht löschen.")
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		return tx.DeleteAccount(ctx, id, pforte.AuditEntry{At: s.now(), Event: pforte.EventStaffDeleted, ActorID: staffID,
			Client: client, Detail: reason})
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoAccount
	}
	return err
}

// GrantRole gives the confirmed account of email a staff role.
func (s *Service) GrantRole(ctx context.Context, email string, role pforte.Role, staffID int64, client string) (*pforte.Account, error) {
	if !role.Staff() {
		return nil, pforte.Errorf(pforte.BadRequest, "Die Rolle ist support oder admin.")
	}
	return s.setRole(ctx, email, role, staffID, client, pforte.EventStaffRoleGranted)
}

// RevokeRole takes the staff role of the account of email away; its
// console access ends with its next request.
func (s *Service) RevokeRole(ctx context.Context, email string, staffID int64, client string) (*pforte.Account, error) {
	return s.setRole(ctx, email, pforte.RoleMember, staffID, client, pforte.EventStaffRoleRevoked)
}

func (s *Service) setRole(ctx context.Context, email string, role pforte.Role, staffID int64, client string, ev pforte.Event) (*pforte.Account, error) {
	email, err := pforte.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	a, err := s.DB.Q().AccountByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, pforte.Errorf(pforte.NotFound, "Zu %s gibt es kein Konto.", email)
	}
	if err != nil {
		return nil, err
	}
	if role.Staff() && !a.Confirmed() {
		return nil, pforte.Errorf(pforte.NotConfirmed, "Das Konto %s ist noch nicht bestätigt.", email)
	}
	err = s.byStaff(ctx, a.ID, staffID, client, ev, func(tx *store.Tx, _ *pforte.Account, _ time.Time) (string, error) {
		return fmt.Sprintf("role=%s previous=%s", role, a.Role), tx.SetRole(ctx, a.ID, role)
	})
	a.Role = role
	return a, err
}

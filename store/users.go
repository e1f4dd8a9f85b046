package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"pforte"
	"pforte/mail"
)

// Batch is how many rows one statement of a bulk operation carries (an
// import) or one transaction covers (a purge, a round of notices): large
// enough to be fast, small enough that no transaction holds the database
// for more than a moment while the portal runs.
const Batch = 500

// ImportAccounts inserts the accounts whose address has none yet, Batch
// rows per statement and per batch (see InBatches), and returns how many
// it inserted. An existing account is left exactly as it is (ON CONFLICT
// DO NOTHING), so importing the same accounts twice changes nothing. An
// import that inserts any account is audited with its counts. The IDs of
// accts are not set.
//
// All or nothing on both databases (CONTRACT §1: nothing half-imported).
// On PostgreSQL that is one transaction. On SQLite each batch commits on
// its own, so that the portal keeps serving while a large file goes in;
// if a batch fails, the accounts the earlier batches inserted are deleted
// again (UndoImport) before the error is returned. Only if that, too,
// fails (the process is killed, the disk stays full) do they stay: the
// error says how many, and a new run of the same file imports the rest.
func (db *DB) ImportAccounts(ctx context.Context, accts []pforte.Account, now time.Time) (int, error) {
	if len(accts) == 0 {
		return 0, nil
	}
	rest, added := accts, 0
	var inserted []int64
	total, err := db.InBatches(ctx, true, func(tx *Tx) (int, bool, error) {
		n := min(len(rest), Batch)
		ids, err := tx.insertAccounts(ctx, rest[:n])
		if err != nil {
			return 0, false, err
		}
		k := len(ids)
		rest, added = rest[n:], added+k
		if db.dialect == SQLite {
			inserted = append(inserted, ids...)
		}
		if len(rest) > 0 || added == 0 {
			return k, len(rest) > 0, nil
		}
		return k, false, tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventImported,
			Detail: fmt.Sprintf("%d importiert, %d bereits vorhanden", added, len(accts)-added)})
	})
	if err == nil || total == 0 {
		return total, err
	}
	// SQLite: the batches before the failure are in. Take them out again,
	// also when ctx was cancelled (Ctrl-C): the undo is part of the import.
	undo := context.WithoutCancel(ctx)
	left, undoErr := db.undoImport(undo, inserted)
	if undoErr == nil {
		return 0, err
	}
	db.Q().Audit(undo, pforte.AuditEntry{At: now, Event: pforte.EventImported,
		Detail: fmt.Sprintf("%d importiert, dann abgebrochen", left)})
	return left, fmt.Errorf("%w (die %d schon importierten Konten ließen sich nicht wieder entfernen: %v)", err, left, undoErr)
}

// undoImport deletes the accounts of ids that an import inserted on
// SQLite, Batch per transaction (anonymous placeholders, see bulk.go),
// and returns how many are left when it fails.
func (db *DB) undoImport(ctx context.Context, ids []int64) (int, error) {
	for len(ids) > 0 {
		n := min(len(ids), Batch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		err := db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.deleteAccounts(ctx, `SELECT id FROM accounts WHERE id IN (`+strings.Repeat("?, ", n-1)+`?)`, args...)
			return err
		})
		if err != nil {
			return len(ids), err
		}
		ids = ids[n:]
	}
	return 0, nil
}

// insertAccounts inserts accts in one statement (anonymous placeholders
// on SQLite, see bulk.go) and returns the ids of those it inserted.
func (tx *Tx) insertAccounts(ctx context.Context, accts []pforte.Account) ([]int64, error) {
	const cols = 9
	var q strings.Builder
	q.WriteString(`INSERT INTO accounts (email, role, password_hash, password_set_at, password_expired_at,
		previous_hash, confirmed_at, created_at, last_login_at) VALUES `)
	args := make([]any, 0, len(accts)*cols)
	if tx.dialect == SQLite {
		q.WriteString(anonymousRows(len(accts), cols))
	}
	for i, a := range accts {
		if tx.dialect == Postgres {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(placeholders(i*cols+1, cols))
		}
		role := a.Role
		if role == "" {
			role = pforte.RoleMember
		}
		args = append(args, a.Email, string(role), a.PasswordHash, ms(a.PasswordSetAt), ms(a.PasswordExpiredAt),
			a.PreviousHash, ms(a.ConfirmedAt), a.CreatedAt.UnixMilli(), ms(a.LastLoginAt))
	}
	q.WriteString(` ON CONFLICT (email) DO NOTHING RETURNING id`)
	rows, err := tx.q.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, len(accts))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// placeholders writes "($first, …, $first+n-1)".
func placeholders(first, n int) string {
	var b strings.Builder
	b.WriteByte('(')
	for j := range n {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+j)
	}
	b.WriteByte(')')
	return b.String()
}

// ExpirePasswords marks the passwords of every account that has one and
// whose password is not yet expired as expired at now; with a non-zero
// setBefore only those set before it (an account that never set one
// counts from its creation). It returns how many it expired: a second run
// expires none.
func (tx *Tx) ExpirePasswords(ctx context.Context, setBefore, now time.Time) (int64, error) {
	before := int64(math.MaxInt64)
	if !setBefore.IsZero() {
		before = setBefore.UnixMilli()
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE accounts SET password_expired_at = $1
		WHERE password_hash <> '' AND password_expired_at IS NULL AND coalesce(password_set_at, created_at) < $2`,
		now.UnixMilli(), before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// InactiveAccount is an account whose last activity lies before a cutoff.
type InactiveAccount struct {
	ID    int64
	Email string
	// Language is the account's language; only unwarned reads it.
	Language string
}

// inactive is the one condition of "inactive since before $1" for the
// purge, its dry run and the notices: the last login or, for an account
// that never logged in, its creation (served by accounts_last_activity).
const inactive = `coalesce(last_login_at, created_at) < $1`

// EachInactive calls fn for every account inactive since before cutoff, in
// the order of their ids (what a purge with cutoff would delete).
func (tx *Tx) EachInactive(ctx context.Context, cutoff time.Time, fn func(InactiveAccount) error) error {
	rows, err := tx.q.QueryContext(ctx, `SELECT id, email FROM accounts WHERE `+inactive+` ORDER BY id`, cutoff.UnixMilli())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a InactiveAccount
		if err := rows.Scan(&a.ID, &a.Email); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PurgeBatch deletes up to limit accounts after the id after inactive
// since before cutoff and returns them, as deleteAccounts does. The audit
// log keeps one "purged" entry per account with its id only; older
// entries of the account kept only its id anyway. A purge goes on after
// the last id of the batch before: from the first id each batch would
// pass every account an earlier one deleted (PostgreSQL keeps their index
// entries until the next vacuum), quadratic in the purge.
func (tx *Tx) PurgeBatch(ctx context.Context, cutoff time.Time, after int64, limit int, now time.Time) ([]InactiveAccount, error) {
	gone, err := tx.deleteAccounts(ctx, `SELECT id FROM accounts WHERE `+inactive+` AND id > $2 ORDER BY id LIMIT $3`,
		cutoff.UnixMilli(), after, limit)
	if err != nil || len(gone) == 0 {
		return nil, err
	}
	ids := make([]int64, len(gone))
	for i, a := range gone {
		ids[i] = a.ID
	}
	detail := "letzte Aktivität vor " + cutoff.In(pforte.DateZone).Format(time.RFC3339)
	if err := tx.auditEach(ctx, now, pforte.EventPurged, ids, detail); err != nil {
		return nil, err
	}
	return gone, nil
}

// DeleteAccount deletes one account as a purge does (deleteAccounts) and
// records e for it (its AccountID is set here); ErrNotFound if there is
// no such account.
func (tx *Tx) DeleteAccount(ctx context.Context, id int64, e pforte.AuditEntry) error {
	gone, err := tx.deleteAccounts(ctx, `SELECT id FROM accounts WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if len(gone) == 0 {
		return ErrNotFound
	}
	e.AccountID = id
	return tx.Audit(ctx, e)
}

// deleteAccounts is the one way accounts are deleted: those whose ids
// selectIDs (with args) selects. With each account go, through ON DELETE
// CASCADE, its sessions (their services are sent a logout first), tokens, mails (sent or not), notices and business
// links; its throttle counters (keyed by address) are deleted here.
func (tx *Tx) deleteAccounts(ctx context.Context, selectIDs string, args ...any) ([]InactiveAccount, error) {
	// The accounts' rows first, in the order of their ids, as a sign-in or
	// a reset takes its account's row before its sessions (no deadlock).
	if tx.dialect == Postgres {
		rows, err := tx.q.QueryContext(ctx, `SELECT id FROM accounts WHERE id IN (`+selectIDs+`) ORDER BY id FOR UPDATE`, args...)
		if err != nil {
			return nil, err
		}
		rows.Close()
	}
	// The services learn of the ended sessions before the cascade takes
	// the tokens: the same accounts as the DELETE below, in this transaction.
	if _, err := tx.endOIDC(ctx, `account_id IN (`+selectIDs+`)`, args...); err != nil {
		return nil, err
	}
	rows, err := tx.q.QueryContext(ctx, `DELETE FROM accounts WHERE id IN (`+selectIDs+`) RETURNING id, email`, args...)
	if err != nil {
		return nil, err
	}
	var gone []InactiveAccount
	for rows.Next() {
		var a InactiveAccount
		if err := rows.Scan(&a.ID, &a.Email); err != nil {
			rows.Close()
			return nil, err
		}
		gone = append(gone, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(gone) == 0 {
		return nil, err
	}
	if err := tx.forgetCounters(ctx, gone); err != nil {
		return nil, err
	}
	return gone, nil
}

// PurgeInactive deletes every account inactive since before cutoff (see
// PurgeBatch), Batch accounts per transaction, and returns how many. An
// account that logs in while the purge runs is no longer inactive and
// stays: each batch checks the condition again as it deletes.
func (db *DB) PurgeInactive(ctx context.Context, cutoff, now time.Time) (int, error) {
	return db.PurgeInBatches(ctx, cutoff, now, nil)
}

// PurgeInBatches is PurgeInactive that reports each batch transaction —
// how many accounts it deleted and how long it took — to onBatch (may be
// nil), so that the length of the longest lock can be measured. Between
// the batches it lets the portal's writers in (see yield).
func (db *DB) PurgeInBatches(ctx context.Context, cutoff, now time.Time, onBatch func(n int, took time.Duration)) (int, error) {
	total := 0
	var after int64
	for {
		var gone []InactiveAccount
		start := time.Now()
		err := db.Tx(ctx, func(tx *Tx) error {
			var err error
			gone, err = tx.PurgeBatch(ctx, cutoff, after, Batch, now)
			return err
		})
		took := time.Since(start)
		if onBatch != nil && err == nil {
			onBatch(len(gone), took)
		}
		total += len(gone)
		if err != nil || len(gone) < Batch {
			return total, err
		}
		for _, a := range gone {
			after = max(after, a.ID)
		}
		if err := db.yield(ctx, took); err != nil {
			return total, err
		}
	}
}

// unwarned lists up to limit accounts after the id after, inactive since
// before cutoff, that have no notice for cutoff yet. The notices' "> after"
// is implied but not seen by PostgreSQL's planner, which otherwise merges
// with every notice of the run from the first: quadratic in the run.
func (tx *Tx) unwarned(ctx context.Context, cutoff time.Time, after int64, limit int) ([]InactiveAccount, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT id, email, language FROM accounts WHERE `+inactive+` AND id > $2
		AND NOT EXISTS (SELECT 1 FROM inactive_notices n WHERE n.account_id = accounts.id AND n.cutoff = $1
			AND n.account_id > $2)
		ORDER BY id LIMIT $3`, cutoff.UnixMilli(), after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InactiveAccount
	for rows.Next() {
		var a InactiveAccount
		if err := rows.Scan(&a.ID, &a.Email, &a.Language); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RecordNotice notes that accountID was warned about the purge with
// cutoff; false if it had been already (then no mail must go out).
func (tx *Tx) RecordNotice(ctx context.Context, accountID int64, cutoff, deleteOn, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO inactive_notices (account_id, cutoff, delete_on, notified_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, cutoff) DO NOTHING`,
		accountID, cutoff.UnixMilli(), deleteOn.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// NotifyInactive queues the mail compose writes for every account that a
// purge with cutoff would delete and that was not yet warned about this
// cutoff, and returns how many it queued. Each mail goes into the outbox
// in one transaction with its notice and an audit entry, Batch accounts
// per transaction: a second run, or one after an interruption, mails
// nobody twice. The mails leave with the outbox worker of `pforte serve`.
func (db *DB) NotifyInactive(ctx context.Context, cutoff, deleteOn, now time.Time, compose func(email, lang string) mail.Message) (int, error) {
	total := 0
	var after int64
	detail := "Löschung geplant am " + deleteOn.In(pforte.DateZone).Format(time.DateOnly)
	for {
		var batch []InactiveAccount
		var ids []int64
		start := time.Now()
		err := db.Tx(ctx, func(tx *Tx) error {
			var err error
			if batch, err = tx.unwarned(ctx, cutoff, after, Batch); err != nil {
				return err
			}
			all := make([]int64, len(batch))
			for i, a := range batch {
				all[i] = a.ID
			}
			fresh, err := tx.recordNotices(ctx, all, cutoff, deleteOn, now)
			if err != nil {
				return err
			}
			ids = ids[:0]
			var mails []queued
			for _, a := range batch {
				if !fresh[a.ID] {
					continue // another run was faster
				}
				mails = append(mails, queued{a.ID, compose(a.Email, a.Language)})
				ids = append(ids, a.ID)
			}
			if err := tx.enqueueAll(ctx, mails, now); err != nil {
				return err
			}
			return tx.auditEach(ctx, now, pforte.EventInactiveNotified, ids, detail)
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
		if len(batch) < Batch {
			return total, err
		}
		after = batch[len(batch)-1].ID
		if err := db.yield(ctx, time.Since(start)); err != nil {
			return total, err
		}
	}
}

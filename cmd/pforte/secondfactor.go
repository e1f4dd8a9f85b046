package main

import (
	"context"

	"pforte"
)

// noSecondFactor stands in for the second-factor service (package mfa)
// until it is wired here: without it no account has a second factor, so
// there is none to count or to reset. The staff console requires a
// console.SecondFactor; the mfa service replaces this at the merge.
type noSecondFactor struct{}

func (noSecondFactor) Enabled(context.Context, int64) (bool, error) { return false, nil }

func (noSecondFactor) CountEnabled(context.Context) (int, error) { return 0, nil }

func (noSecondFactor) ResetByStaff(context.Context, int64, int64, string, string) error {
	return pforte.Errorf(pforte.NotFound, "Dieses Konto hat keinen zweiten Faktor.")
}

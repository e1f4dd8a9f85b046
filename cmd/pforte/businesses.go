package main

import (
	"context"
	"io"
)

// businessesCmd: businesses import (issue: businesses and PINs).
func businessesCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return usageError{"businesses: noch nicht verfügbar"}
}

// pinsCmd: pins issue NUMBER.
func pinsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError{"pins: noch nicht verfügbar"}
}

// lettersCmd: letters render --out DIR.
func lettersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError{"letters: noch nicht verfügbar"}
}

package main

import (
	"context"
	"io"
)

// usersCmd: users import | purge | notify-inactive (issue: migration day).
func usersCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return usageError{"users: noch nicht verfügbar"}
}

// passwordsCmd: passwords expire.
func passwordsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError{"passwords: noch nicht verfügbar"}
}

// auditCmd prints the audit log.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError{"audit: noch nicht verfügbar"}
}

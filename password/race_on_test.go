//go:build race

package password

// raceBuild: the race detector is on; argon2id then takes its memory
// from the Go heap (see argon2id/memory_other.go).
const raceBuild = true

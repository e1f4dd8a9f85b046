//go:build unix && !linux

package argon2id

func adviseHuge([]byte) {}

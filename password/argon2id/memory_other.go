//go:build !unix || race

package argon2id

// alloc takes the blocks from the Go heap where no mapping is at hand,
// and under the race detector, which watches only Go memory (so -race
// sees the hash memory too); they are still reused hash to hash.
func alloc(n int) ([]Block, []byte) { return make([]Block, n), nil }

func free([]byte) {}

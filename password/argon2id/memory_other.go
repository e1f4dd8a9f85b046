//go:build !unix

package argon2id

// alloc takes the blocks from the Go heap where no mapping is at hand;
// they are still reused from one hash to the next.
func alloc(n int) ([]Block, []byte) { return make([]Block, n), nil }

func free([]byte) {}

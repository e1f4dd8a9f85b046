//go:build unix && !race

package argon2id

import (
	"math"
	"syscall"
	"unsafe"
)

// alloc maps n blocks of anonymous memory (zero pages, made resident as
// the hash first writes them). If the system refuses the mapping, the
// blocks come from the Go heap instead.
func alloc(n int) ([]Block, []byte) {
	if n > math.MaxInt/BlockSize { // only on 32 bits: more than the address space
		panic("argon2id: working memory too large for this system")
	}
	b, err := syscall.Mmap(-1, 0, n*BlockSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]Block, n), nil
	}
	// Huge pages where the system offers them on request: a hash jumps
	// around its memory, and with 4 KiB pages nearly every reference
	// block misses the TLB. Refused, it is only slower.
	adviseHuge(b)
	return unsafe.Slice((*Block)(unsafe.Pointer(unsafe.SliceData(b))), n), b
}

func free(b []byte) { syscall.Munmap(b) }

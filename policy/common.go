package policy

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
)

// commonList is the list of common passwords shipped with Pforte, one per
// line, folded (NFC, lower case) and sorted bytewise. It is our own, made by
// internal/gencommon from words and habits people use; see go:generate in
// policy.go.
//
//go:embed common-passwords.txt
var commonList string

// commonIndex holds the start of each line of commonList. Indexing the
// embedded text instead of copying it into a map keeps the load to one pass
// (about a millisecond) and the memory to four bytes per entry; lookups
// are a binary search.
var commonIndex = sync.OnceValue(indexCommon)

func indexCommon() []uint32 {
	idx := make([]uint32, 0, strings.Count(commonList, "\n")+1)
	for off := 0; off < len(commonList); {
		idx = append(idx, uint32(off))
		nl := strings.IndexByte(commonList[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return idx
}

// commonLine returns line i of commonList without its newline.
func commonLine(idx []uint32, i int) string {
	s := commonList[idx[i]:]
	if nl := strings.IndexByte(s, '\n'); nl >= 0 {
		s = s[:nl]
	}
	return s
}

// isCommon reports whether the folded password is on the list, whole.
func isCommon(folded string) bool {
	idx := commonIndex()
	i := sort.Search(len(idx), func(i int) bool { return commonLine(idx, i) >= folded })
	return i < len(idx) && commonLine(idx, i) == folded
}

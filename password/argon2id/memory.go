package argon2id

// Memory is the working memory of hashes, to be used for one hash after
// the other (never by two at once). Where the system allows (unix) it is
// mapped from the operating system outside the Go heap: the garbage
// collector neither scans it nor counts it towards the next collection,
// and Free gives it back to the system at once.
type Memory struct {
	blocks []Block
	mapped []byte // the mapping behind blocks, if mapped
}

// NewMemory returns working memory of n blocks (see Blocks).
func NewMemory(n int) *Memory {
	m := &Memory{}
	if n > 0 {
		m.blocks, m.mapped = alloc(n)
	}
	return m
}

// Blocks is the memory as blocks, for Key.
func (m *Memory) Blocks() []Block { return m.blocks }

// Free gives the memory back; m must not be used after.
func (m *Memory) Free() {
	if m.mapped != nil {
		free(m.mapped)
	}
	m.blocks, m.mapped = nil, nil
}

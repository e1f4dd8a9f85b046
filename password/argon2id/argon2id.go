// Package argon2id computes Argon2id, version 0x13, as RFC 9106 defines
// it, in working memory that the caller owns and may use again for the
// next hash.
//
// golang.org/x/crypto/argon2 computes the same function (the tests
// compare the two), but it allocates the working memory afresh on every
// call and takes none from the caller. On a server that hashes all the
// time that leaves the garbage collector tens of MiB of dead memory per
// login: either the heap grows to twice the hashes in flight, or a
// collection per hash costs about as much CPU as the hash. Here the
// memory is a Memory (see memory.go) that a pool hands from one hash to
// the next, outside the Go heap.
//
// BLAKE2b, the hash inside Argon2, comes from golang.org/x/crypto/blake2b.
package argon2id

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// Version is the Argon2 version computed here (0x13, RFC 9106).
const Version = 0x13

// BlockSize is the size of one block of working memory in bytes.
const BlockSize = 1024

// Block is one 1 KiB block of working memory, as 128 little-endian words.
type Block [BlockSize / 8]uint64

const (
	syncPoints = 4 // slices per pass (RFC 9106 §3.4)
	typeID     = 2 // y for Argon2id
)

// Blocks is the number of blocks a hash with memory KiB and threads lanes
// works in: memory rounded down to a multiple of 4 × threads, and at least
// 8 × threads (RFC 9106 §3.2).
func Blocks(memory uint32, threads uint8) int {
	p := uint32(threads)
	if memory < 8*p {
		memory = 8 * p
	}
	return int(memory / (syncPoints * p) * (syncPoints * p))
}

// Key derives keyLen bytes from password and salt with time passes over
// memory KiB in threads lanes, working in mem, which must hold at least
// Blocks(memory, threads) blocks (what mem held before does not matter:
// every block is written before it is read). Key panics on threads = 0,
// time = 0, keyLen < 4 or too small a mem. No secret key and no
// associated data: K and X of the RFC are empty, as in PHC strings.
func Key(mem []Block, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if threads == 0 || time == 0 || keyLen < 4 {
		panic("argon2id: threads and time must be at least 1, keyLen at least 4")
	}
	n := Blocks(memory, threads)
	if len(mem) < n {
		panic("argon2id: working memory too small")
	}
	return key(mem, password, salt, nil, nil, time, memory, threads, keyLen)
}

// key is Key with the RFC's secret key and associated data (the RFC's
// test vector has both).
func key(mem []Block, password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	n := Blocks(memory, threads)
	h := h0(password, salt, secret, data, time, memory, threads, keyLen)
	a := &run{
		mem:     mem[:n],
		lanes:   int(threads),
		laneLen: n / int(threads),
		passes:  int(time),
		total:   uint64(n),
	}
	a.segLen = a.laneLen / syncPoints
	a.first(&h)
	a.fill()
	return a.tag(keyLen)
}

// h0 is the 64-byte pre-hash of the parameters and inputs (RFC 9106 §3.2,
// step 1).
func h0(password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) [blake2b.Size]byte {
	d, _ := blake2b.New512(nil)
	var w [4]byte
	le32 := func(v uint32) {
		binary.LittleEndian.PutUint32(w[:], v)
		d.Write(w[:])
	}
	le32(uint32(threads))
	le32(keyLen)
	le32(memory)
	le32(time)
	le32(Version)
	le32(typeID)
	le32(uint32(len(password)))
	d.Write(password)
	le32(uint32(len(salt)))
	d.Write(salt)
	le32(uint32(len(secret)))
	d.Write(secret)
	le32(uint32(len(data)))
	d.Write(data)
	var out [blake2b.Size]byte
	d.Sum(out[:0])
	return out
}

// hashLong is H' of RFC 9106 §3.3: a hash of any length out, from
// BLAKE2b-512 chained when more than 64 bytes are wanted.
func hashLong(out []byte, in ...[]byte) {
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		d, _ := blake2b.New(len(out), nil)
		d.Write(t[:])
		for _, b := range in {
			d.Write(b)
		}
		d.Sum(out[:0])
		return
	}
	d, _ := blake2b.New512(nil)
	d.Write(t[:])
	for _, b := range in {
		d.Write(b)
	}
	var v [blake2b.Size]byte
	d.Sum(v[:0])
	// r = ceil(len/32) - 2 hashes give their first 32 bytes each; the last
	// hash gives the rest, len - 32r bytes (between 33 and 64).
	r := (len(out)+31)/32 - 2
	for i := 0; i < r; i++ {
		copy(out[32*i:], v[:32])
		if i < r-1 {
			v = blake2b.Sum512(v[:])
		}
	}
	last := out[32*r:]
	d, _ = blake2b.New(len(last), nil)
	d.Write(v[:])
	d.Sum(last[:0])
}

type run struct {
	mem     []Block
	lanes   int
	laneLen int // blocks per lane (q of the RFC)
	segLen  int // blocks per segment
	passes  int
	total   uint64 // m' of the RFC
}

// first computes the first two blocks of every lane from h (§3.2 steps 3, 4).
func (a *run) first(h *[blake2b.Size]byte) {
	var buf [BlockSize]byte
	var idx [8]byte
	for l := 0; l < a.lanes; l++ {
		for j := 0; j < 2; j++ {
			binary.LittleEndian.PutUint32(idx[0:], uint32(j))
			binary.LittleEndian.PutUint32(idx[4:], uint32(l))
			hashLong(buf[:], h[:], idx[:])
			b := &a.mem[l*a.laneLen+j]
			for k := range b {
				b[k] = binary.LittleEndian.Uint64(buf[8*k:])
			}
		}
	}
}

// fill runs the passes, slice by slice; the lanes of one slice run at once.
func (a *run) fill() {
	var wg sync.WaitGroup
	for pass := 0; pass < a.passes; pass++ {
		for slice := 0; slice < syncPoints; slice++ {
			if a.lanes == 1 {
				a.segment(pass, slice, 0)
				continue
			}
			for l := 0; l < a.lanes; l++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					a.segment(pass, slice, l)
				}()
			}
			wg.Wait()
		}
	}
}

// segment fills one segment of lane l (§3.4).
func (a *run) segment(pass, slice, lane int) {
	independent := pass == 0 && slice < syncPoints/2 // Argon2id: data-independent first half of the first pass
	var addr, input, zero Block
	if independent {
		input[0] = uint64(pass)
		input[1] = uint64(lane)
		input[2] = uint64(slice)
		input[3] = a.total
		input[4] = uint64(a.passes)
		input[5] = typeID
	}
	nextAddresses := func() {
		input[6]++
		compress(&addr, &zero, &input, false)
		compress(&addr, &zero, &addr, false)
	}
	start := 0
	if pass == 0 && slice == 0 {
		start = 2 // the first two blocks are made from H0
		if independent {
			nextAddresses()
		}
	}
	laneBase := lane * a.laneLen
	cur := laneBase + slice*a.segLen + start
	prev := cur - 1
	if cur%a.laneLen == 0 {
		prev = cur + a.laneLen - 1 // the first block of a lane follows its last
	}
	for i := start; i < a.segLen; i, cur, prev = i+1, cur+1, cur {
		var rnd uint64
		if independent {
			if i%len(addr) == 0 {
				nextAddresses()
			}
			rnd = addr[i%len(addr)]
		} else {
			rnd = a.mem[prev][0]
		}
		refLane := int((rnd >> 32) % uint64(a.lanes))
		if pass == 0 && slice == 0 {
			refLane = lane
		}
		ref := refLane*a.laneLen + a.refIndex(pass, slice, i, uint32(rnd), refLane == lane)
		compress(&a.mem[cur], &a.mem[prev], &a.mem[ref], pass > 0)
	}
}

// refIndex maps J1 to the reference block's index in its lane (§3.4.2):
// the blocks it may reference are the finished ones not in the current
// slice of another lane, and never the block just before.
func (a *run) refIndex(pass, slice, i int, j1 uint32, sameLane bool) int {
	var area int
	switch {
	case pass == 0 && sameLane:
		area = slice*a.segLen + i - 1
	case pass == 0:
		area = slice * a.segLen
	case sameLane:
		area = a.laneLen - a.segLen + i - 1
	default:
		area = a.laneLen - a.segLen
	}
	if !sameLane && i == 0 {
		area-- // the last block of the other lane's previous segment is excluded
	}
	x := uint64(j1) * uint64(j1) >> 32
	rel := uint64(area) - 1 - (uint64(area) * x >> 32)
	startPos := 0
	if pass > 0 && slice != syncPoints-1 {
		startPos = (slice + 1) * a.segLen
	}
	return int((uint64(startPos) + rel) % uint64(a.laneLen))
}

// tag is H'^keyLen of the XOR of every lane's last block (§3.2 steps 7, 8).
func (a *run) tag(keyLen uint32) []byte {
	c := a.mem[a.laneLen-1]
	for l := 1; l < a.lanes; l++ {
		last := &a.mem[l*a.laneLen+a.laneLen-1]
		for k := range c {
			c[k] ^= last[k]
		}
	}
	var buf [BlockSize]byte
	for k, w := range c {
		binary.LittleEndian.PutUint64(buf[8*k:], w)
	}
	out := make([]byte, keyLen)
	hashLong(out, buf[:])
	return out
}

// compress is G of §3.5: out = P-columns(P-rows(x ⊕ y)) ⊕ x ⊕ y, or, with
// xor (passes after the first, version 0x13), that XORed into out.
// out may be x or y.
func compress(out, x, y *Block, xor bool) {
	var r, q Block
	for k := range r {
		r[k] = x[k] ^ y[k]
	}
	q = r
	for i := 0; i < 8; i++ {
		permuteRow((*[16]uint64)(q[16*i:]))
	}
	for i := 0; i < 8; i++ {
		permuteColumn((*[114]uint64)(q[2*i:]))
	}
	if xor {
		for k := range out {
			out[k] ^= q[k] ^ r[k]
		}
	} else {
		for k := range out {
			out[k] = q[k] ^ r[k]
		}
	}
}

// permuteRow is P on the 16 words of one row of the block as 8×8 matrix of
// 16-byte registers.
func permuteRow(v *[16]uint64) {
	v0, v1, v2, v3, v4, v5, v6, v7 := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	v8, v9, v10, v11, v12, v13, v14, v15 := v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]
	v0, v4, v8, v12 = gb(v0, v4, v8, v12)
	v1, v5, v9, v13 = gb(v1, v5, v9, v13)
	v2, v6, v10, v14 = gb(v2, v6, v10, v14)
	v3, v7, v11, v15 = gb(v3, v7, v11, v15)
	v0, v5, v10, v15 = gb(v0, v5, v10, v15)
	v1, v6, v11, v12 = gb(v1, v6, v11, v12)
	v2, v7, v8, v13 = gb(v2, v7, v8, v13)
	v3, v4, v9, v14 = gb(v3, v4, v9, v14)
	v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = v0, v1, v2, v3, v4, v5, v6, v7
	v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15] = v8, v9, v10, v11, v12, v13, v14, v15
}

// permuteColumn is P on one column of registers: words 0, 1, 16, 17, …,
// 112, 113 from the column's first word. It repeats permuteRow's eight
// gb calls on purpose: gathering the column into an array for
// permuteRow made a hash 30 % slower (BenchmarkKey).
func permuteColumn(v *[114]uint64) {
	v0, v1, v2, v3, v4, v5, v6, v7 := v[0], v[1], v[16], v[17], v[32], v[33], v[48], v[49]
	v8, v9, v10, v11, v12, v13, v14, v15 := v[64], v[65], v[80], v[81], v[96], v[97], v[112], v[113]
	v0, v4, v8, v12 = gb(v0, v4, v8, v12)
	v1, v5, v9, v13 = gb(v1, v5, v9, v13)
	v2, v6, v10, v14 = gb(v2, v6, v10, v14)
	v3, v7, v11, v15 = gb(v3, v7, v11, v15)
	v0, v5, v10, v15 = gb(v0, v5, v10, v15)
	v1, v6, v11, v12 = gb(v1, v6, v11, v12)
	v2, v7, v8, v13 = gb(v2, v7, v8, v13)
	v3, v4, v9, v14 = gb(v3, v4, v9, v14)
	v[0], v[1], v[16], v[17], v[32], v[33], v[48], v[49] = v0, v1, v2, v3, v4, v5, v6, v7
	v[64], v[65], v[80], v[81], v[96], v[97], v[112], v[113] = v8, v9, v10, v11, v12, v13, v14, v15
}

// gb is GB of §3.6: BLAKE2b's G with the additions made multiplications
// of the low halves.
func gb(a, b, c, d uint64) (uint64, uint64, uint64, uint64) {
	a = a + b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -32)
	c = c + d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -24)
	a = a + b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -16)
	c = c + d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -63)
	return a, b, c, d
}

package engine

import (
	"crypto/rand"
	"strings"
	"time"
	"unsafe"
)

// GrantIDPrefix starts every grant id.
const GrantIDPrefix = "agrant_"

// idAlphabet is Crockford's base32 in lower case: its byte order is its
// numeric order, so ids compare as the numbers they encode.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

const (
	idTimeChars = 10 // 50 bits of milliseconds since the Unix epoch
	idSeqChars  = 4  // 20 bits of counter within one millisecond
	idRandChars = 6  // 30 random bits
	idSeqMax    = 1<<(5*idSeqChars) - 1
	idLen       = len(GrantIDPrefix) + idTimeChars + idSeqChars + idRandChars
)

// idGen makes grant ids that sort by creation: the clock's millisecond, then
// a counter for ids made in the same millisecond (or while the clock stands
// still or goes back), then random bits so that ids are hard to guess. Only
// the write path calls it, under the write lock.
type idGen struct {
	lastMs int64
	seq    int64
	rnd    [256]byte
	rndPos int
}

// seed makes every later id sort after id, an id loaded from disk.
func (g *idGen) seed(id string) {
	ms, seq, ok := parseID(id)
	if ok && (ms > g.lastMs || ms == g.lastMs && seq > g.seq) {
		g.lastMs, g.seq = ms, seq
	}
}

// idMark is the position of an idGen: every id it has issued or been seeded
// with sorts at or before the mark. It is a plain value, so the write path
// can record it in each published view without allocating.
type idMark struct{ ms, seq int64 }

// mark returns g's position.
func (g *idGen) mark() idMark { return idMark{g.lastMs, g.seq} }

// id returns the mark as an id with zero random bits, or "" for the zero
// mark: a high-water to store with a copy of the database, since seeding an
// idGen with it makes every later id sort after every id drawn (or seeded)
// at or before the mark, even ones whose grants are gone.
func (m idMark) id() string {
	if m.ms <= 0 && m.seq <= 0 {
		return ""
	}
	var b [idLen]byte
	copy(b[:], GrantIDPrefix)
	p := b[len(GrantIDPrefix):]
	putBase32(p[:idTimeChars], uint64(m.ms))
	putBase32(p[idTimeChars:idTimeChars+idSeqChars], uint64(m.seq))
	putBase32(p[idTimeChars+idSeqChars:], 0)
	return string(b[:])
}

func (g *idGen) next(now time.Time) string {
	var b [idLen]byte
	return string(g.appendNext(b[:0], now))
}

// appendNext appends the next id to dst.
func (g *idGen) appendNext(dst []byte, now time.Time) []byte {
	ms := now.UnixMilli()
	if ms > g.lastMs {
		g.lastMs, g.seq = ms, 0
	} else if g.seq++; g.seq > idSeqMax {
		g.lastMs, g.seq = g.lastMs+1, 0
	}
	dst = append(dst, GrantIDPrefix...)
	n := len(dst)
	dst = append(dst, make([]byte, idLen-len(GrantIDPrefix))...)
	p := dst[n:]
	putBase32(p[:idTimeChars], uint64(g.lastMs))
	putBase32(p[idTimeChars:idTimeChars+idSeqChars], uint64(g.seq))
	putBase32(p[idTimeChars+idSeqChars:], g.random30())
	return dst
}

// idBlockIDs is how many ids of one batch share an allocation (6.9 KB).
const idBlockIDs = 256

// batchIDs draws the ids of one batch from g, idBlockIDs to an allocation:
// a bulk write's grants are created together, and one allocation per id
// was a tenth of a bulk load's. A block lives while any of its ids does,
// as the batch's rows share blocks (store.PreparedGrants).
type batchIDs struct {
	g     *idGen
	block []byte
}

func (b *batchIDs) next(now time.Time) string {
	if len(b.block)+idLen > cap(b.block) {
		b.block = make([]byte, 0, idLen*idBlockIDs)
	}
	start := len(b.block)
	b.block = b.g.appendNext(b.block, now)
	// The bytes are never written again: later ids go after them.
	return unsafe.String(&b.block[start], idLen)
}

func (g *idGen) random30() uint64 {
	if g.rndPos == 0 || g.rndPos+4 > len(g.rnd) {
		_, _ = rand.Read(g.rnd[:]) // crypto/rand.Read never fails on Go 1.24+
		g.rndPos = 0
	}
	r := g.rnd[g.rndPos : g.rndPos+4]
	g.rndPos += 4
	return uint64(r[0])<<22 | uint64(r[1])<<14 | uint64(r[2])<<6 | uint64(r[3])>>2
}

func putBase32(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = idAlphabet[v&31]
		v >>= 5
	}
}

func parseID(id string) (ms, seq int64, ok bool) {
	if len(id) != idLen || !strings.HasPrefix(id, GrantIDPrefix) {
		return 0, 0, false
	}
	p := id[len(GrantIDPrefix):]
	t, ok1 := getBase32(p[:idTimeChars])
	s, ok2 := getBase32(p[idTimeChars : idTimeChars+idSeqChars])
	return int64(t), int64(s), ok1 && ok2
}

func getBase32(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(idAlphabet, s[i])
		if d < 0 {
			return 0, false
		}
		v = v<<5 | uint64(d)
	}
	return v, true
}

package resolve

import (
	"math/bits"
	"slices"
	"unsafe"
)

// cowMap is an immutable hash map shared between revisions: 2,048 shards,
// each a small open-addressing table, under a two-level array of 32 x 64
// shards. The next revision copies only what its commit touches — the top
// array (256 bytes), one middle array (1 KiB) and the shards written — so a
// one-grant commit costs a few microseconds however big the map, and a
// million-grant commit copies each shard once and then writes in place.
//
// The shards are flat tables rather than Go maps because the hot path is
// bound by cache misses: a lookup reads the middle array and one slot
// (whose key holds a short id's bytes, keyID), where a Go map would chase
// three more pointers (map header, directory, table) first. A middle array
// holds each shard as a pointer to its first slot, a size and a count (16
// bytes, not a 32-byte table header), so that the directory of a map is
// 32 KiB and mostly stays in L2 under a uniform mix: reaching the slot is
// one miss.
//
// A table's size is any number, not a power of two (the home slot is
// found by multiplying, not masking), and a revision's builder leaves each
// table it wrote one slot over full (fitSize): the slots hold what a check
// reads next, so they are big, and a shard holds a few keys; the empty
// slots of power-of-two tables were most of the maps' bytes.
//
// The caller supplies each key's hash, so that the hot path hashes a key once,
// with a function of its choice.
type cowMap[K comparable, V any] struct {
	top *cowTop[K, V] // nil: empty
}

const (
	// The low fanBits of a hash choose the shard in a middle array, the
	// topBits above them the middle array.
	fanBits   = 6
	fan       = 1 << fanBits
	topBits   = 5
	topFan    = 1 << topBits
	numShards = topFan * fan
	// slotShift drops the hash bits that chose the shard.
	slotShift = fanBits + topBits
)

type cowTop[K comparable, V any] [topFan]*cowMid[K, V]

// cowMid holds 64 shards: each a table of size slots from first on (nil
// when empty) holding n keys, in 16 bytes, so that a lookup reads one line
// of the directory.
type cowMid[K comparable, V any] [fan]shardRef[K, V]

type shardRef[K comparable, V any] struct {
	first   *flatSlot[K, V]
	size, n uint32
}

func (m *cowMid[K, V]) table(i uint64) flatTable[K, V] {
	r := &m[i]
	if r.first == nil {
		return flatTable[K, V]{}
	}
	return flatTable[K, V]{slots: unsafe.Slice(r.first, r.size), n: int(r.n)}
}

func (m *cowMid[K, V]) setTable(i uint64, t flatTable[K, V]) {
	m[i] = shardRef[K, V]{}
	if len(t.slots) > 0 {
		m[i] = shardRef[K, V]{&t.slots[0], uint32(len(t.slots)), uint32(t.n)}
	}
}

// flatTable is a linear-probing hash table. A slot's tag is its key's hash
// with the top bit set (0 marks an empty slot); its home position is taken
// from the hash bits above those that chose the shard.
type flatTable[K comparable, V any] struct {
	slots []flatSlot[K, V]
	n     int
}

type flatSlot[K comparable, V any] struct {
	tag uint64
	key K
	val V
}

func tagOf(h uint64) uint64 { return h | 1<<63 }

// homeIn is the home slot of hash h in a table of size slots: the 32 hash
// bits above the shard's, scaled to the size.
func homeIn(h uint64, size int) uint64 { return uint64(uint32(h>>slotShift)) * uint64(size) >> 32 }

func (t *flatTable[K, V]) home(h uint64) uint64 { return homeIn(h, len(t.slots)) }

// next is the slot after i, wrapping around.
func (t *flatTable[K, V]) next(i uint64) uint64 {
	if i++; i == uint64(len(t.slots)) {
		return 0
	}
	return i
}

// find returns the slot index of k, or -1.
func (t *flatTable[K, V]) find(h uint64, k K) int {
	if len(t.slots) == 0 {
		return -1
	}
	tag := tagOf(h)
	for i := t.home(h); ; i = t.next(i) {
		s := &t.slots[i]
		if s.tag == 0 {
			return -1
		}
		if s.tag == tag && s.key == k {
			return int(i)
		}
	}
}

// add puts k, which t does not hold. A table being built doubles when it
// would be fuller than fitSize leaves one (so that a probe run always ends
// at an empty slot, and a table reserved at its final size never grows);
// fit trims it when the revision is done.
func (t *flatTable[K, V]) add(h uint64, k K, v V) {
	if fitSize(t.n+1) > len(t.slots) {
		t.resize(max(4, 2*len(t.slots)))
	}
	t.insert(flatSlot[K, V]{tag: tagOf(h), key: k, val: v})
	t.n++
}

// insert puts a slot whose key is not in the table yet.
func (t *flatTable[K, V]) insert(s flatSlot[K, V]) {
	i := t.home(s.tag)
	for t.slots[i].tag != 0 {
		i = t.next(i)
	}
	t.slots[i] = s
}

func (t *flatTable[K, V]) resize(size int) {
	old := t.slots
	t.slots = nil
	if size > 0 {
		t.slots = make([]flatSlot[K, V], size)
	}
	for _, s := range old {
		if s.tag != 0 {
			t.insert(s)
		}
	}
}

// fitSize is the size a table of n keys is left at: one slot more than
// it has keys (and an eighth more for a big one), so that a probe run
// always ends; a shard holds few keys, so most still sit in their home
// slot.
func fitSize(n int) int {
	if n == 0 {
		return 0
	}
	return n + n/8 + 1
}

// fit trims t to fitSize.
func (t *flatTable[K, V]) fit() {
	if f := fitSize(t.n); len(t.slots) > f {
		t.resize(f)
	}
}

// delete removes k, shifting later slots of its probe run back so that no
// tombstone is needed.
func (t *flatTable[K, V]) delete(h uint64, k K) {
	i := t.find(h, k)
	if i < 0 {
		return
	}
	size := uint64(len(t.slots))
	hole := uint64(i)
	for j := t.next(hole); t.slots[j].tag != 0; j = t.next(j) {
		// The slot at j may fill the hole unless its home lies cyclically
		// in (hole, j].
		if (j+size-t.home(t.slots[j].tag))%size >= (j+size-hole)%size {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = flatSlot[K, V]{}
	t.n--
}

// probe is a lookup split in two, so that a caller making several can
// issue the first reads of all (start) before it waits on any (find): their
// cache misses then overlap.
type probe[K comparable, V any] struct {
	slots []flatSlot[K, V] // nil: the key is not in the map
	i     uint64           // the home slot
	touch uint64           // a byte of each cache line of it, read by start
}

// start begins the lookup of hash h: it reads the shard and a byte of
// every cache line of the home slot, so that the misses of all its lines
// are issued together, without waiting for any (a copy of the slot would
// fill the core's reorder buffer with loads and stores that wait, and
// hold back the next lookup's reads).
func (m cowMap[K, V]) start(h uint64) probe[K, V] {
	if m.top == nil {
		return probe[K, V]{}
	}
	mid := m.top[(h>>fanBits)&(topFan-1)]
	if mid == nil {
		return probe[K, V]{}
	}
	si := h & (fan - 1)
	first, size := mid[si].first, mid[si].size
	if first == nil {
		return probe[K, V]{}
	}
	slots := unsafe.Slice(first, size)
	i := homeIn(h, int(size))
	s := &slots[i]
	return probe[K, V]{slots: slots, i: i, touch: touchLines(unsafe.Pointer(s), unsafe.Sizeof(*s))}
}

// touchLines reads a byte of every 64-byte cache line of the n bytes at p.
func touchLines(p unsafe.Pointer, n uintptr) uint64 {
	x := uint64(*(*byte)(unsafe.Add(p, n-1)))
	for off := uintptr(0); off < n; off += 64 {
		x += uint64(*(*byte)(unsafe.Add(p, off)))
	}
	return x
}

// find ends the lookup begun by start: it returns the value of k, whose
// hash is h, or nil. The value lives in the immutable table; the caller
// must not change it.
func (p *probe[K, V]) find(h uint64, k K) *V {
	// touch is a sum of a few bytes, never all ones: the test only keeps
	// the compiler from dropping start's reads.
	if p.slots == nil || p.touch == ^uint64(0) {
		return nil
	}
	tag := tagOf(h)
	t := flatTable[K, V]{slots: p.slots}
	for i := p.i; p.slots[i].tag != 0; i = t.next(i) {
		if s := &p.slots[i]; s.tag == tag && s.key == k {
			return &s.val
		}
	}
	return nil
}

// get returns the value of k, whose hash is h.
func (m cowMap[K, V]) get(h uint64, k K) (V, bool) {
	if m.top != nil {
		if mid := m.top[(h>>fanBits)&(topFan-1)]; mid != nil {
			t := mid.table(h & (fan - 1))
			if i := t.find(h, k); i >= 0 {
				return t.slots[i].val, true
			}
		}
	}
	var zero V
	return zero, false
}

// cowMapBuilder derives the next revision of a cowMap. It owns (may write in
// place) exactly the arrays and shards it has copied; everything else is
// shared with the revision it started from, which it never changes.
type cowMapBuilder[K comparable, V any] struct {
	top      *cowTop[K, V]
	ownTop   bool
	ownMid   [topFan]bool
	ownShard [numShards / 64]uint64
}

func newCowMapBuilder[K comparable, V any](m cowMap[K, V]) *cowMapBuilder[K, V] {
	return &cowMapBuilder[K, V]{top: m.top}
}

func (b *cowMapBuilder[K, V]) get(h uint64, k K) (V, bool) {
	return cowMap[K, V]{top: b.top}.get(h, k)
}

// shard returns the writable shard of hash h, copying what it must: its
// middle array and the index of the shard in it.
func (b *cowMapBuilder[K, V]) shard(h uint64) (*cowMid[K, V], uint64) {
	mid, si := b.mid(h)
	if n := shardOf(h); !b.ownsShard(n) {
		t := mid.table(si)
		t.slots = slices.Clone(t.slots)
		mid.setTable(si, t)
		b.ownShard[n/64] |= 1 << (n % 64)
	}
	return mid, si
}

// shardOf is the number of the shard of hash h, 0 to numShards-1.
func shardOf(h uint64) uint64 { return (h>>fanBits)&(topFan-1)<<fanBits | h&(fan-1) }

// ownsShard reports whether this revision owns shard n (shardOf).
func (b *cowMapBuilder[K, V]) ownsShard(n uint64) bool { return b.ownShard[n/64]&(1<<(n%64)) != 0 }

// mid returns the writable middle array of hash h, copied first unless this
// revision owns it, and the index of h's shard in it.
func (b *cowMapBuilder[K, V]) mid(h uint64) (*cowMid[K, V], uint64) {
	b.ownTopArray()
	mi, si := (h>>fanBits)&(topFan-1), h&(fan-1)
	if !b.ownMid[mi] {
		mid := new(cowMid[K, V])
		if old := b.top[mi]; old != nil {
			*mid = *old
		}
		b.top[mi], b.ownMid[mi] = mid, true
	}
	return b.top[mi], si
}

// shardWithRoom makes the shard of hash h writable, as shard does, with
// room in its table for extra more keys: a shard it copies is copied at
// that size, in one pass.
func (b *cowMapBuilder[K, V]) shardWithRoom(h uint64, extra int) {
	mid, si := b.mid(h)
	n := shardOf(h)
	t := mid.table(si)
	want := fitSize(t.n + extra)
	switch {
	case !b.ownsShard(n):
		if len(t.slots) < want {
			t.resize(want) // into new slots: the old ones stay the old revision's
		} else {
			t.slots = slices.Clone(t.slots)
		}
		mid.setTable(si, t)
		b.ownShard[n/64] |= 1 << (n % 64)
	case len(t.slots) < want:
		t.resize(want)
		mid.setTable(si, t)
	}
}

// ownTopArray makes the top array this revision's own. Two goroutines may
// then write the shards of different middle arrays at once: each writes
// only its middle arrays' entries of top and ownMid, and its shards'
// ownership bits, which are one word per middle array (fan is 64).
func (b *cowMapBuilder[K, V]) ownTopArray() {
	if !b.ownTop {
		t := new(cowTop[K, V])
		if b.top != nil {
			*t = *b.top
		}
		b.top, b.ownTop = t, true
	}
}

// partOf is which half of the middle arrays hash h falls in, 0 or 1: the
// part of the map one of two goroutines may write.
func partOf(h uint64) int { return int(h>>fanBits&(topFan-1)) / (topFan / 2) }

// reserve makes room in each shard for the keys of hashes (some of which
// the map may hold already), so that a large commit's tables grow once,
// to about their final size, rather than doubling on the way. With part 0
// or 1 it reserves only in that part's shards (partOf), and may run on two
// goroutines at once, one per part, once the top array is owned
// (ownTopArray); with -1, in every shard.
func (b *cowMapBuilder[K, V]) reserve(hashes func(yield func(uint64) bool), part int) {
	counts := make([]uint32, numShards)
	for h := range hashes {
		if part < 0 || partOf(h) == part {
			counts[shardOf(h)]++
		}
	}
	for n, c := range counts {
		if c == 0 {
			continue
		}
		// A hash whose low bits choose shard n.
		h := uint64(n>>fanBits)<<fanBits | uint64(n&(fan-1))
		b.shardWithRoom(h, int(c))
	}
}

// write runs f on the writable table of hash h.
func (b *cowMapBuilder[K, V]) write(h uint64, f func(t *flatTable[K, V])) {
	mid, si := b.shard(h)
	t := mid.table(si)
	f(&t)
	mid.setTable(si, t)
}

func (b *cowMapBuilder[K, V]) set(h uint64, k K, v V) {
	mid, si := b.shard(h)
	t := mid.table(si)
	if i := t.find(h, k); i >= 0 {
		t.slots[i].val = v // in place: the table's header is unchanged
		return
	}
	t.add(h, k, v)
	mid.setTable(si, t)
}

// add puts k, which the map does not hold, without looking for it first.
func (b *cowMapBuilder[K, V]) add(h uint64, k K, v V) {
	mid, si := b.shard(h)
	t := mid.table(si)
	t.add(h, k, v)
	mid.setTable(si, t)
}

func (b *cowMapBuilder[K, V]) delete(h uint64, k K) {
	if _, ok := b.get(h, k); ok {
		b.write(h, func(t *flatTable[K, V]) { t.delete(h, k) })
	}
}

// done returns the new revision, with every table it wrote trimmed to its
// keys (fit). The builder must not be used afterwards.
func (b *cowMapBuilder[K, V]) done() cowMap[K, V] {
	for w, word := range b.ownShard {
		for word != 0 {
			n := uint64(w*64 + bits.TrailingZeros64(word))
			word &= word - 1
			mid, si := b.top[n>>fanBits], n&(fan-1)
			t := mid.table(si)
			t.fit()
			mid.setTable(si, t)
		}
	}
	return cowMap[K, V]{top: b.top}
}

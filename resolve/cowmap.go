package resolve

import "slices"

// cowMap is an immutable hash map shared between revisions: 4,096 shards,
// each a small open-addressing table, under a two-level array of 64 x 64
// shards. The next revision copies only what its commit touches — the top
// array (512 bytes), one middle array (2 KiB) and the shards written — so a
// one-grant commit costs a few microseconds however big the map, and a
// million-grant commit copies each shard once and then writes in place.
//
// The shards are flat tables rather than Go maps because the hot path is
// bound by cache misses: a lookup reads the middle array (small and usually
// cached) and one slot (whose key holds a short id's bytes, keyID), where a
// Go map would chase three more pointers (map header, directory, table)
// first. A shard starts at 4 slots: most of a mid-sized organisation's
// shards hold a few keys, and the empty slots were most of the maps' bytes.
//
// The caller supplies each key's hash, so that the hot path hashes a key once,
// with a function of its choice.
type cowMap[K comparable, V any] struct {
	top *cowTop[K, V] // nil: empty
}

const (
	fanBits   = 6
	fan       = 1 << fanBits
	numShards = fan * fan
	// slotShift drops the hash bits that chose the shard.
	slotShift = 2 * fanBits
)

type (
	cowTop[K comparable, V any] [fan]*cowMid[K, V]
	cowMid[K comparable, V any] [fan]flatTable[K, V]
)

// flatTable is a linear-probing hash table. A slot's tag is its key's hash
// with the top bit set (0 marks an empty slot); its home position is taken
// from the hash bits above those that chose the shard.
type flatTable[K comparable, V any] struct {
	slots []flatSlot[K, V] // len 0 or a power of two
	n     int
}

type flatSlot[K comparable, V any] struct {
	tag uint64
	key K
	val V
}

func tagOf(h uint64) uint64 { return h | 1<<63 }

func (t *flatTable[K, V]) home(h uint64) uint64 { return (h >> slotShift) & uint64(len(t.slots)-1) }

// find returns the slot index of k, or -1.
func (t *flatTable[K, V]) find(h uint64, k K) int {
	if len(t.slots) == 0 {
		return -1
	}
	mask, tag := uint64(len(t.slots)-1), tagOf(h)
	for i := t.home(h); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.tag == 0 {
			return -1
		}
		if s.tag == tag && s.key == k {
			return int(i)
		}
	}
}

func (t *flatTable[K, V]) set(h uint64, k K, v V) {
	if i := t.find(h, k); i >= 0 {
		t.slots[i].val = v
		return
	}
	t.add(h, k, v)
}

// add puts k, which t does not hold.
func (t *flatTable[K, V]) add(h uint64, k K, v V) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.insert(flatSlot[K, V]{tag: tagOf(h), key: k, val: v})
	t.n++
}

// insert puts a slot whose key is not in the table yet.
func (t *flatTable[K, V]) insert(s flatSlot[K, V]) {
	mask := uint64(len(t.slots) - 1)
	i := t.home(s.tag)
	for t.slots[i].tag != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *flatTable[K, V]) grow() {
	old := t.slots
	t.slots = make([]flatSlot[K, V], max(4, 2*len(old)))
	for _, s := range old {
		if s.tag != 0 {
			t.insert(s)
		}
	}
}

// delete removes k, shifting later slots of its probe run back so that no
// tombstone is needed.
func (t *flatTable[K, V]) delete(h uint64, k K) {
	i := t.find(h, k)
	if i < 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	hole := uint64(i)
	for j := (hole + 1) & mask; t.slots[j].tag != 0; j = (j + 1) & mask {
		// The slot at j may fill the hole unless its home lies cyclically
		// in (hole, j].
		if (j-t.home(t.slots[j].tag))&mask >= (j-hole)&mask {
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
	t    *flatTable[K, V] // nil: the key is not in the map
	i    uint64           // the home slot
	home flatSlot[K, V]   // a copy of it, read by start
}

// start begins the lookup of hash h: it reads the shard and the whole home
// slot (which may span two cache lines: the reads of both are issued
// together).
func (m cowMap[K, V]) start(h uint64) probe[K, V] {
	if m.top == nil {
		return probe[K, V]{}
	}
	mid := m.top[h&(fan-1)]
	if mid == nil {
		return probe[K, V]{}
	}
	t := &mid[(h>>fanBits)&(fan-1)]
	if len(t.slots) == 0 {
		return probe[K, V]{}
	}
	i := t.home(h)
	return probe[K, V]{t: t, i: i, home: t.slots[i]}
}

// find ends the lookup begun by start: it returns the value of k, whose
// hash is h, or nil. The value lives in the immutable table; the caller
// must not change it.
func (p *probe[K, V]) find(h uint64, k K) *V {
	if p.t == nil || p.home.tag == 0 {
		return nil
	}
	tag := tagOf(h)
	if p.home.tag == tag && p.home.key == k {
		return &p.t.slots[p.i].val
	}
	mask := uint64(len(p.t.slots) - 1)
	for i := (p.i + 1) & mask; p.t.slots[i].tag != 0; i = (i + 1) & mask {
		if s := &p.t.slots[i]; s.tag == tag && s.key == k {
			return &s.val
		}
	}
	return nil
}

// get returns the value of k, whose hash is h.
func (m cowMap[K, V]) get(h uint64, k K) (V, bool) {
	if m.top != nil {
		if mid := m.top[h&(fan-1)]; mid != nil {
			t := &mid[(h>>fanBits)&(fan-1)]
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
	ownMid   [fan]bool
	ownShard [numShards / 64]uint64
}

func newCowMapBuilder[K comparable, V any](m cowMap[K, V]) *cowMapBuilder[K, V] {
	return &cowMapBuilder[K, V]{top: m.top}
}

func (b *cowMapBuilder[K, V]) get(h uint64, k K) (V, bool) {
	return cowMap[K, V]{top: b.top}.get(h, k)
}

// shard returns the writable shard of hash h, copying what it must.
func (b *cowMapBuilder[K, V]) shard(h uint64) *flatTable[K, V] {
	if !b.ownTop {
		t := new(cowTop[K, V])
		if b.top != nil {
			*t = *b.top
		}
		b.top, b.ownTop = t, true
	}
	mi, si := h&(fan-1), (h>>fanBits)&(fan-1)
	if !b.ownMid[mi] {
		mid := new(cowMid[K, V])
		if old := b.top[mi]; old != nil {
			*mid = *old
		}
		b.top[mi], b.ownMid[mi] = mid, true
	}
	t := &b.top[mi][si]
	n := mi<<fanBits | si
	if b.ownShard[n/64]&(1<<(n%64)) == 0 {
		t.slots = slices.Clone(t.slots)
		b.ownShard[n/64] |= 1 << (n % 64)
	}
	return t
}

func (b *cowMapBuilder[K, V]) set(h uint64, k K, v V) { b.shard(h).set(h, k, v) }

// add puts k, which the map does not hold, without looking for it first.
func (b *cowMapBuilder[K, V]) add(h uint64, k K, v V) { b.shard(h).add(h, k, v) }

func (b *cowMapBuilder[K, V]) delete(h uint64, k K) {
	if _, ok := b.get(h, k); ok {
		b.shard(h).delete(h, k)
	}
}

// done returns the new revision. The builder must not be used afterwards.
func (b *cowMapBuilder[K, V]) done() cowMap[K, V] { return cowMap[K, V]{top: b.top} }

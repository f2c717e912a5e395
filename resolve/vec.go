package resolve

import (
	"slices"
	"sync/atomic"
)

// ptrVec is an immutable vector of pointers indexed by an interned id (a sid
// or an eid), shared between revisions in chunks: the next revision copies
// the chunk list and the chunks it writes, nothing else. Reading an id costs
// two dependent loads (its chunk, then its slot), where a hash probe would
// also hash and compare a key.
type ptrVec[T any] struct {
	chunks []*[chunkLen]*T
	n      uint32 // ids in use are 1..n
	// claimed is the highest id any revision sharing these chunks has
	// stored, shared by all of them (nil until the first add). A revision
	// reads no slot above its n, so the builder of the next one may store
	// new ids into a shared chunk in place, once it has moved claimed up
	// from its own n: a commit that adds one subject then copies no chunk
	// (8 KB of pointers). A second builder from the same revision finds
	// claimed moved and copies, as before.
	claimed *atomic.Uint32
}

const (
	chunkBits = 10
	chunkLen  = 1 << chunkBits
)

// get returns the element of id i, or nil.
func (v *ptrVec[T]) get(i uint32) *T {
	c := i >> chunkBits
	if int(c) >= len(v.chunks) {
		return nil
	}
	return v.chunks[c][i&(chunkLen-1)]
}

// ptrVecBuilder derives the next revision of a ptrVec.
type ptrVecBuilder[T any] struct {
	v         ptrVec[T]
	ownChunks bool
	// ownTail is whether this builder holds the claim on the ids after the
	// previous revision's n (see ptrVec.claimed); tailTried whether it has
	// tried to take it.
	ownTail, tailTried bool
	// ownChunk are the chunks of the previous revision copied; those from
	// newChunks on were made by this one.
	ownChunk  map[uint32]bool
	newChunks uint32
}

func newPtrVecBuilder[T any](v ptrVec[T]) *ptrVecBuilder[T] {
	return &ptrVecBuilder[T]{v: v, newChunks: uint32(len(v.chunks))}
}

func (b *ptrVecBuilder[T]) get(i uint32) *T { return b.v.get(i) }

// add appends x under the next id and returns that id.
func (b *ptrVecBuilder[T]) add(x *T) uint32 {
	if !b.tailTried {
		b.tailTried = true
		if b.v.claimed == nil {
			b.v.claimed = new(atomic.Uint32)
			b.v.claimed.Store(b.v.n)
		}
		b.ownTail = b.v.claimed.CompareAndSwap(b.v.n, b.v.n+1)
	} else if b.ownTail {
		b.v.claimed.Store(b.v.n + 1) // only this builder moves it now
	}
	b.v.n++
	if b.ownTail {
		b.store(b.v.n, x)
	} else {
		b.set(b.v.n, x)
	}
	return b.v.n
}

// set stores x as the element of id i.
func (b *ptrVecBuilder[T]) set(i uint32, x *T) {
	c := b.reach(i)
	if c < b.newChunks && !b.ownChunk[c] {
		cp := *b.v.chunks[c]
		b.v.chunks[c] = &cp
		if b.ownChunk == nil {
			b.ownChunk = make(map[uint32]bool)
		}
		b.ownChunk[c] = true
	}
	b.v.chunks[c][i&(chunkLen-1)] = x
}

// store stores x as the element of id i, a new id this builder has claimed
// (see add): in place when its chunk is shared, since no other revision
// reads that slot.
func (b *ptrVecBuilder[T]) store(i uint32, x *T) {
	b.v.chunks[b.reach(i)][i&(chunkLen-1)] = x
}

// reach makes the chunk list b's own and long enough to hold id i, and
// returns i's chunk.
func (b *ptrVecBuilder[T]) reach(i uint32) uint32 {
	if !b.ownChunks {
		b.v.chunks = slices.Clone(b.v.chunks)
		b.ownChunks = true
	}
	c := i >> chunkBits
	for int(c) >= len(b.v.chunks) {
		b.v.chunks = append(b.v.chunks, new([chunkLen]*T))
	}
	return c
}

func (b *ptrVecBuilder[T]) done() ptrVec[T] { return b.v }

package resolve

import "slices"

// ptrVec is an immutable vector of pointers indexed by an interned id (a sid
// or an eid), shared between revisions in chunks: the next revision copies
// the chunk list and the chunks it writes, nothing else. Reading an id costs
// two dependent loads (its chunk, then its slot), where a hash probe would
// also hash and compare a key.
type ptrVec[T any] struct {
	chunks []*[chunkLen]*T
	n      uint32 // ids in use are 1..n
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
	// ownChunk are the chunks of the previous revision copied; those from
	// newChunks on were made by this one.
	ownChunk  map[uint32]bool
	newChunks uint32
}

func newPtrVecBuilder[T any](v ptrVec[T]) *ptrVecBuilder[T] {
	return &ptrVecBuilder[T]{v: v, ownChunk: make(map[uint32]bool), newChunks: uint32(len(v.chunks))}
}

func (b *ptrVecBuilder[T]) get(i uint32) *T { return b.v.get(i) }

// add appends x under the next id and returns that id.
func (b *ptrVecBuilder[T]) add(x *T) uint32 {
	b.v.n++
	b.set(b.v.n, x)
	return b.v.n
}

// set stores x as the element of id i.
func (b *ptrVecBuilder[T]) set(i uint32, x *T) {
	if !b.ownChunks {
		b.v.chunks = slices.Clone(b.v.chunks)
		b.ownChunks = true
	}
	c := i >> chunkBits
	for int(c) >= len(b.v.chunks) {
		b.v.chunks = append(b.v.chunks, new([chunkLen]*T))
	}
	if c < b.newChunks && !b.ownChunk[c] {
		cp := *b.v.chunks[c]
		b.v.chunks[c] = &cp
		b.ownChunk[c] = true
	}
	b.v.chunks[c][i&(chunkLen-1)] = x
}

func (b *ptrVecBuilder[T]) done() ptrVec[T] { return b.v }

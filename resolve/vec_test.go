package resolve

// White-box: the vector is internal, and whether a revision's slots survive
// a sibling revision built from the same base is not observable through the
// public API.

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPtrVecRevisionsKeepTheirSlots builds revisions in a chain, where each
// new id is stored in place in a shared chunk, and siblings from one base,
// where only the first may do so: every revision keeps reading what it
// stored, whatever was built after it.
func TestPtrVecRevisionsKeepTheirSlots(t *testing.T) {
	type rev struct {
		v    ptrVec[int]
		want []int // want[i-1] is the value of id i
	}
	build := func(base rev, adds int, setID uint32, tag int) rev {
		b := newPtrVecBuilder(base.v)
		want := append([]int(nil), base.want...)
		if setID != 0 {
			x := tag
			b.set(setID, &x)
			want[setID-1] = x
		}
		for k := range adds {
			x := tag*1000 + k
			assert.Equal(t, uint32(len(want)+1), b.add(&x))
			want = append(want, x)
		}
		return rev{b.done(), want}
	}
	check := func(name string, r rev) {
		assert.Equal(t, uint32(len(r.want)), r.v.n, name)
		for i, w := range r.want {
			if got := r.v.get(uint32(i + 1)); assert.NotNil(t, got, "%s id %d", name, i+1) {
				assert.Equal(t, w, *got, "%s id %d", name, i+1)
			}
		}
	}
	var revs []rev
	r := build(rev{}, 3, 0, 1)
	revs = append(revs, r)
	for tag := 2; tag < 8; tag++ {
		r = build(r, 1+tag%3, 0, tag) // a chain: in place
		revs = append(revs, r)
	}
	base := r
	first := build(base, 2, 0, 20)        // claims the ids after base
	second := build(base, 3, 0, 21)       // same base: must copy
	third := build(base, 1, 2, 22)        // and a set of an old id
	long := build(first, chunkLen, 0, 23) // crosses into a new chunk
	after := build(second, 2, 0, 24)
	revs = append(revs, first, second, third, long, after)
	for i, r := range revs {
		check(string(rune('a'+i)), r)
	}
}

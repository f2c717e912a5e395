package store

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
)

// SortKeys sorts the positions pos of keys by (keys[pos], pos): ascending
// key, ties by position. It compares whole keys only where they agree on
// their first 16 bytes after the prefix they all share (the organisation,
// often the entity type and the start of the id), comparing those bytes as
// two integers instead: a batch of keys of one organisation differs only
// past a long common prefix, which string comparisons would read again at
// every step of the sort.
func SortKeys(keys []GrantKey, pos []int32) {
	if len(pos) < 2 {
		return
	}
	shared := len(keys[pos[0]].s)
	first := keys[pos[0]].s
	for _, p := range pos[1:] {
		k := keys[p].s
		n := min(shared, len(k))
		i := 0
		for i < n && k[i] == first[i] {
			i++
		}
		shared = i
	}
	type sortable struct {
		hi, lo uint64
		pos    int32
	}
	s := make([]sortable, len(pos))
	for i, p := range pos {
		k := keys[p].s
		s[i] = sortable{hi: word(k, shared), lo: word(k, shared+8), pos: p}
	}
	less := func(a, b sortable) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		if c := keys[a.pos].Compare(keys[b.pos]); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	}
	if len(s) < parallelSortAt || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(s, less)
		for i := range s {
			pos[i] = s[i].pos
		}
		return
	}
	// Two halves sorted on two cores, then merged.
	lo, hi := s[:len(s)/2], s[len(s)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(hi, less) })
	slices.SortFunc(lo, less)
	wg.Wait()
	for i := range pos {
		if len(hi) == 0 || len(lo) > 0 && less(lo[0], hi[0]) < 0 {
			pos[i], lo = lo[0].pos, lo[1:]
		} else {
			pos[i], hi = hi[0].pos, hi[1:]
		}
	}
}

// parallelSortAt is how many keys a sort has before it sorts on two
// goroutines: below it, starting one costs more than it saves.
const parallelSortAt = 1 << 14

// word is the 8 bytes of s from i as a big-endian integer, zeros past the
// end of s: integers of two strings compare as their bytes do, a string
// that ends first sorting first, or equal when the bytes are equal.
func word(s string, i int) uint64 {
	var w uint64
	for j := range 8 {
		w <<= 8
		if i+j < len(s) {
			w |= uint64(s[i+j])
		}
	}
	return w
}

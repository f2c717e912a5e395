package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// sortByGroup reorders rows stably by their group (groupOf), the groups
// ordered by cmpGroups of their first rows. Rows already in order within
// each group end up in the full order of (group, that order) without a
// comparison sort of the rows: a hash per row and a sort of the distinct
// groups, which are far fewer than the rows (a batch's grants come in entity
// order and the grantee btree wants grantee order; each grantee's grants
// are in entity order already).
//
// The order of groups starts with the organisation (orgOf); lead gives the
// next 16 bytes of a row's place in it as two big-endian words (zeros past
// the end, as word does), which decide most comparisons of groups of one
// organisation without cmpGroups.
func sortByGroup[R any, K comparable](rows []R, groupOf func(R) K, orgOf func(R) string, lead func(R) (uint64, uint64), cmpGroups func(a, b R) int) {
	if len(rows) < 2 {
		return
	}
	ids := make(map[K]int32)
	var firsts []R
	var counts []int32
	group := make([]int32, len(rows))
	for i, r := range rows {
		k := groupOf(r)
		g, ok := ids[k]
		if !ok {
			g = int32(len(firsts))
			ids[k] = g
			firsts = append(firsts, r)
			counts = append(counts, 0)
		}
		group[i] = g
		counts[g]++
	}
	type sortable struct {
		hi, lo uint64
		g      int32
	}
	order := make([]sortable, len(firsts))
	for i, r := range firsts {
		hi, lo := lead(r)
		order[i] = sortable{hi, lo, int32(i)}
	}
	slices.SortFunc(order, func(a, b sortable) int {
		if c := strings.Compare(orgOf(firsts[a.g]), orgOf(firsts[b.g])); c != 0 {
			return c
		}
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		return cmpGroups(firsts[a.g], firsts[b.g])
	})
	next := make([]int32, len(firsts))
	pos := int32(0)
	for _, o := range order {
		next[o.g] = pos
		pos += counts[o.g]
	}
	out := make([]R, len(rows))
	for i, r := range rows {
		out[next[group[i]]] = r
		next[group[i]]++
	}
	copy(rows, out)
}

// subjectWords are the first 16 bytes of s's type, sep and id, as word
// gives them: the lead of an order that starts with a subject.
func subjectWords(s model.Subject) (uint64, uint64) {
	return words2(string(s.Type), s.ID, 0), words2(string(s.Type), s.ID, 8)
}

// words2 is word of a+sep+b from i, without building that string.
func words2(a, b string, i int) uint64 {
	var w uint64
	for j := i; j < i+8; j++ {
		w <<= 8
		switch {
		case j < len(a):
			w |= uint64(a[j])
		case j == len(a):
			// sep is 0
		case j-len(a)-1 < len(b):
			w |= uint64(b[j-len(a)-1])
		}
	}
	return w
}

package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// sortByGroup reorders rows, which come ordered by organisation, by (the
// organisation, the group of the row, the row's place in rows): a stable
// sort by group within each organisation. Rows in order within each group
// (a batch's grants come in entity order, and the grantee btree wants
// grantee order: each grantee's grants are in entity order already) end up
// in the full order of (group, that order).
//
// lead gives the first 16 bytes of a row's group in that order as two
// big-endian words (zeros past the end, as word does) and whether they are
// all of it, and cmpGroups compares the groups of two rows of one
// organisation in full: most comparisons are decided by integers, and two
// groups that fit in their words and have the same words are the same
// group, without reading a string.
func sortByGroup[R any](rows []R, orgOf func(R) string, lead func(R) (hi, lo uint64, whole bool), cmpGroups func(a, b R) int) {
	if len(rows) < 2 {
		return
	}
	type sortable struct {
		hi, lo uint64
		org    int32 // the organisation's rank among those of rows
		pos    int32
		whole  bool // hi and lo are the whole group
	}
	s := make([]sortable, len(rows))
	org, rank := orgOf(rows[0]), int32(0)
	for i, r := range rows {
		if o := orgOf(r); o != org {
			org, rank = o, rank+1
		}
		hi, lo, whole := lead(r)
		s[i] = sortable{hi: hi, lo: lo, org: rank, pos: int32(i), whole: whole}
	}
	slices.SortFunc(s, func(a, b sortable) int {
		if c := cmp.Compare(a.org, b.org); c != 0 {
			return c
		}
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		if !a.whole || !b.whole {
			if c := cmpGroups(rows[a.pos], rows[b.pos]); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.pos, b.pos)
	})
	out := make([]R, len(rows))
	for i := range s {
		out[i] = rows[s[i].pos]
	}
	copy(rows, out)
}

// sortByString sorts rows by the string str gives each (ties keep their
// order), comparing the 16 bytes after the prefix all share as two integers
// before the strings, as SortKeys does.
func sortByString[R any](rows []R, str func(R) string) {
	if len(rows) < 2 {
		return
	}
	first := str(rows[0])
	shared := len(first)
	for _, r := range rows[1:] {
		s := str(r)
		n := min(shared, len(s))
		i := 0
		for i < n && s[i] == first[i] {
			i++
		}
		shared = i
	}
	sortByGroup(rows, func(R) string { return "" }, func(r R) (uint64, uint64, bool) {
		s := str(r)
		return word(s, shared), word(s, shared+8), len(s) <= shared+16
	}, func(a, b R) int { return strings.Compare(str(a), str(b)) })
}

// subjectWords are the first 16 bytes of s's type, sep and id, as word
// gives them, and whether that is all of them: the lead of an order that
// starts with a subject.
func subjectWords(s model.Subject) (uint64, uint64, bool) {
	return words2(string(s.Type), s.ID, 0), words2(string(s.Type), s.ID, 8), len(s.Type)+1+len(s.ID) <= 16
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

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
// lead gives a row's group as two big-endian words that compare as the
// groups do (a prefix of its place in the order, zeros past the end, as
// word gives them), whether they are all of it, and whether it has such
// words at all; cmpGroups compares the groups of two rows of one
// organisation in full. Most comparisons are decided by integers, and two
// groups whose words are whole and equal are the same group, without
// reading a string.
func sortByGroup[R any](rows []R, orgOf func(R) string, lead func(R) (hi, lo uint64, whole, ok bool), cmpGroups func(a, b R) int) {
	if len(rows) < 2 {
		return
	}
	type sortable struct {
		hi, lo uint64
		org    int32 // the organisation's rank among those of rows
		pos    int32
		whole  bool // hi and lo are the whole group
		ok     bool // hi and lo lead the group's place
	}
	s := make([]sortable, len(rows))
	org, rank := orgOf(rows[0]), int32(0)
	for i, r := range rows {
		if o := orgOf(r); o != org {
			org, rank = o, rank+1
		}
		hi, lo, whole, ok := lead(r)
		s[i] = sortable{hi: hi, lo: lo, org: rank, pos: int32(i), whole: whole, ok: ok}
	}
	slices.SortFunc(s, func(a, b sortable) int {
		if c := cmp.Compare(a.org, b.org); c != 0 {
			return c
		}
		if a.ok && b.ok {
			if c := cmp.Compare(a.hi, b.hi); c != 0 {
				return c
			}
			if c := cmp.Compare(a.lo, b.lo); c != 0 {
				return c
			}
		}
		if !a.ok || !b.ok || !a.whole || !b.whole {
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
	sortByGroup(rows, func(R) string { return "" }, func(r R) (uint64, uint64, bool, bool) {
		s := str(r)
		return word(s, shared), word(s, shared+8), len(s) <= shared+16, true
	}, func(a, b R) int { return strings.Compare(str(a), str(b)) })
}

// subjectWords lead an order that starts with a subject (type, then id):
// a byte for the type, in the order of the types' names, then the id's
// first 15 bytes. A type other than the model's three has no such byte, and
// no words (ok false).
func subjectWords(s model.Subject) (hi, lo uint64, whole, ok bool) {
	var code byte
	switch s.Type {
	case model.SubjectDepartment:
		code = 1
	case model.SubjectRole:
		code = 2
	case model.SubjectUser:
		code = 3
	default:
		return 0, 0, false, false
	}
	hi = uint64(code)<<56 | word(s.ID, 0)>>8
	lo = word(s.ID, 7)
	return hi, lo, len(s.ID) <= 15, true
}

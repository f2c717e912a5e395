package resolve

import (
	"cmp"
	"slices"
	"strings"

	"github.com/grantdb/grantdb/model"
)

// placeByLevel puts items into out (as long as items) highest level first,
// keeping the order of items of one level: the order an entity's entries
// are scanned in. Levels are few (read, write, admin), so one counting pass
// places what a sort would compare, at every entity of a large load. It
// returns false, with out unspecified, when an item's level is not one of
// them (the caller then sorts).
func placeByLevel[T any](items, out []T, level func(*T) model.Level) bool {
	var start [model.LevelAdmin + 2]int
	for i := range items {
		l := level(&items[i])
		if l > model.LevelAdmin {
			return false
		}
		// Bucket n (admin's is 0) is counted in start[n+1]; summed,
		// start[n] is where bucket n begins.
		start[model.LevelAdmin-l+1]++
	}
	for n := 1; n < len(start); n++ {
		start[n] += start[n-1]
	}
	for i := range items {
		n := model.LevelAdmin - level(&items[i])
		out[start[n]] = items[i]
		start[n]++
	}
	return true
}

// sortRows orders an entity's grants for the hot path: highest level
// first, then by grant id. scratch is room for the rows, returned grown for
// the next entity. The rows of a load come in id order or its reverse (a
// batch draws ids in key order, and an entity's changes are walked latest
// first), so a level's rows are most often only checked, or reversed.
func sortRows(rows, scratch []grantRow) []grantRow {
	scratch = slices.Grow(scratch[:0], len(rows))[:len(rows)]
	if !placeByLevel(rows, scratch, func(r *grantRow) model.Level { return r.e.level }) {
		slices.SortFunc(rows, func(a, b grantRow) int {
			return cmp.Or(cmp.Compare(b.e.level, a.e.level), strings.Compare(a.g.ID, b.g.ID))
		})
		return scratch
	}
	copy(rows, scratch)
	for lo := 0; lo < len(rows); {
		hi := lo + 1
		for hi < len(rows) && rows[hi].e.level == rows[lo].e.level {
			hi++
		}
		orderByID(rows[lo:hi])
		lo = hi
	}
	return scratch
}

// orderByID sorts rows of one level by grant id.
func orderByID(rows []grantRow) {
	if len(rows) < 2 {
		return
	}
	up, down := true, true
	for i := 1; i < len(rows) && (up || down); i++ {
		c := strings.Compare(rows[i-1].g.ID, rows[i].g.ID)
		up = up && c < 0
		down = down && c > 0
	}
	switch {
	case up:
	case down:
		slices.Reverse(rows)
	default:
		slices.SortFunc(rows, func(a, b grantRow) int { return strings.Compare(a.g.ID, b.g.ID) })
	}
}

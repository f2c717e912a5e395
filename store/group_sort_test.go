package store

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSortByGroup checks that sortByGroup orders by group and keeps each
// group's rows in their order, as a stable sort by group would.
func TestSortByGroup(t *testing.T) {
	type row struct{ group, seq int }
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 100, 5000} {
		rows := make([]row, n)
		for i := range rows {
			rows[i] = row{group: r.IntN(40), seq: i}
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b row) int { return cmp.Compare(a.group, b.group) })
		sortByGroup(rows, func(x row) int { return x.group }, func(a, b row) int { return cmp.Compare(a.group, b.group) })
		assert.Equal(t, want, rows, "%d rows", n)
	}
}

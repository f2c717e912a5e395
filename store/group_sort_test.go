package store

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/grantdb/grantdb/model"

	"github.com/stretchr/testify/assert"
)

// TestSortByGroup checks that sortByGroup orders by organisation, then
// group, keeping each group's rows in their order, as a stable sort would.
func TestSortByGroup(t *testing.T) {
	type row struct {
		org        string
		group, seq int
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 100, 5000} {
		rows := make([]row, n)
		for i := range rows {
			rows[i] = row{org: string(rune('a' + r.IntN(3))), group: r.IntN(40), seq: i}
		}
		slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.org, b.org) })
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b row) int {
			if c := cmp.Compare(a.org, b.org); c != 0 {
				return c
			}
			return cmp.Compare(a.group, b.group)
		})
		// The lead words order groups by group/8 only, as a prefix would:
		// ties go to the full comparison.
		sortByGroup(rows, func(x row) string { return x.org }, func(x row) (uint64, uint64, bool) { return uint64(x.group / 8), 0, false },
			func(a, b row) int { return cmp.Compare(a.group, b.group) })
		assert.Equal(t, want, rows, "%d rows", n)
	}
}

// TestSortByGroupWholeWords checks groups that fit in their lead words:
// equal words are the same group, which keeps its rows in order.
func TestSortByGroupWholeWords(t *testing.T) {
	subjects := []model.Subject{model.User("a"), model.User("b"), model.Role("a"), model.User("abcdefghijk"), model.User("abcdefghijkl")}
	r := rand.New(rand.NewPCG(5, 6))
	rows := make([]*membershipRow, 300)
	for i := range rows {
		rows[i] = &membershipRow{key: fmt.Sprint(i), org: "o", m: model.Membership{Group: subjects[r.IntN(len(subjects))]}}
	}
	want := slices.Clone(rows)
	slices.SortStableFunc(want, cmpGroups)
	sortByGroup(rows, membershipOrg, groupWords, cmpGroups)
	assert.Equal(t, want, rows)
}

// TestWords2 checks that words2 reads a+sep+b.
func TestWords2(t *testing.T) {
	for _, c := range []struct{ a, b string }{{"", ""}, {"user", "u1"}, {"department", "dep_001"}, {"a", "bcdefghijklmnopqrstu"}, {"abcdefgh", "x"}} {
		s := c.a + sep + c.b
		for _, i := range []int{0, 8} {
			assert.Equal(t, word(s, i), words2(c.a, c.b, i), "%q %d", s, i)
		}
	}
}

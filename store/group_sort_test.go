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
		sortByGroup(rows, func(x row) string { return x.org }, func(x row) (uint64, uint64, bool, bool) { return uint64(x.group / 8), 0, false, x.group%5 != 0 },
			func(a, b row) int { return cmp.Compare(a.group, b.group) })
		assert.Equal(t, want, rows, "%d rows", n)
	}
}

// TestSortByGroupWholeWords checks groups that fit in their lead words:
// equal words are the same group, which keeps its rows in order.
func TestSortByGroupWholeWords(t *testing.T) {
	subjects := []model.Subject{model.User("a"), model.User("b"), model.Role("a"), model.Department("z"), model.User("abcdefghijklmno"), model.User("abcdefghijklmnop"),
		model.User("abcdefghijklmnopq"), model.User("abcdefghijklmno\x7f"), {Type: "bot", ID: "a"}, {Type: "team", ID: "a"}}
	r := rand.New(rand.NewPCG(5, 6))
	rows := make([]*membershipRow, 300)
	for i := range rows {
		m := model.Membership{Member: model.User(fmt.Sprint(i)), Group: subjects[r.IntN(len(subjects))]}
		rows[i] = &membershipRow{key: membershipKey("o", m), m: m}
	}
	cmpGroups := func(a, b *membershipRow) int { return cmpSubject(a.m.Group, b.m.Group) }
	want := slices.Clone(rows)
	slices.SortStableFunc(want, cmpGroups)
	sortByGroup(rows, (*membershipRow).org,
		func(r *membershipRow) (uint64, uint64, bool, bool) { return subjectWords(r.m.Group) }, cmpGroups)
	assert.Equal(t, want, rows)
}

// TestSortByGrantee checks that sortByGrantee orders rows in key order
// (organisation, entity, grantee) by organisation, then grantee, each
// grantee's rows keeping their order: the grantee index's order.
func TestSortByGrantee(t *testing.T) {
	subjects := []model.Subject{model.User("a"), model.User("b"), model.Role("a"), model.Department("z"),
		model.User("abcdefghijklmno"), model.User("abcdefghijklmnop"), model.User("abcdefghijklmnopq"), {Type: "bot", ID: "a"}}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 100, 3000} {
		var rows []*grantRow
		for i := range n {
			g := model.Grant{Org: []string{"o1", "o2"}[r.IntN(2)], Entity: model.EntityRef{Type: "doc", ID: fmt.Sprintf("d%04d", i)},
				Grantee: subjects[r.IntN(len(subjects))], Effect: model.EffectAllow}
			rows = append(rows, newGrantRow(g))
		}
		slices.SortFunc(rows, cmpRowKeys)
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b *grantRow) int {
			return cmp.Or(cmp.Compare(a.g.Org, b.g.Org), cmpSubject(a.g.Grantee, b.g.Grantee))
		})
		assert.Equal(t, want, sortByGrantee(rows), "%d rows", n)
	}
}

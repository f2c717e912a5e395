package resolve

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// placeByLevel is the stable sort by level, highest first, that the check
// arrays were built with; past model.LevelAdmin it refuses.
func TestPlaceByLevelIsAStableSort(t *testing.T) {
	type item struct {
		level model.Level
		seq   int
	}
	level := func(it *item) model.Level { return it.level }
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			items := make([]item, n)
			for i := range items {
				items[i] = item{level: model.Level(rng.IntN(int(model.LevelAdmin)) + 1), seq: i}
			}
			want := slices.Clone(items)
			slices.SortStableFunc(want, func(a, b item) int { return cmp.Compare(b.level, a.level) })
			got := make([]item, n)
			require.True(t, placeByLevel(items, got, level))
			assert.Equal(t, want, got)
		})
	}
	bad := []item{{level: model.LevelRead}, {level: model.LevelAdmin + 1}}
	assert.False(t, placeByLevel(bad, make([]item, len(bad)), level))
}

// sortRows orders by level, highest first, then by grant id, whatever order
// the rows come in: ascending ids, descending ids (a load's entity walked
// latest first), or mixed (old entries and new ones).
func TestSortRowsOrdersByLevelThenID(t *testing.T) {
	grants := make([]model.Grant, 12)
	for i := range grants {
		grants[i] = model.Grant{ID: fmt.Sprintf("agrant_%02d", i), Level: model.Level(i%3 + 1)}
	}
	row := func(i int) grantRow { return grantRow{e: entry{level: grants[i].Level}, g: &grants[i]} }
	orders := map[string][]int{
		"ascending":  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		"descending": {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		"mixed":      {5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6},
		"one":        {4},
	}
	var scratch []grantRow
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			var rows []grantRow
			for _, i := range order {
				rows = append(rows, row(i))
			}
			want := slices.Clone(rows)
			slices.SortFunc(want, func(a, b grantRow) int {
				return cmp.Or(cmp.Compare(b.e.level, a.e.level), cmp.Compare(a.g.ID, b.g.ID))
			})
			scratch = sortRows(rows, scratch)
			assert.Equal(t, want, rows)
		})
	}
	// A level out of range falls back to the sort instead of failing.
	odd := []grantRow{row(0), {e: entry{level: model.LevelAdmin + 1}, g: &grants[1]}, row(2)}
	sortRows(odd, nil)
	assert.Equal(t, model.LevelAdmin+1, odd[0].e.level)
	assert.Equal(t, []string{"agrant_01", "agrant_02", "agrant_00"}, []string{odd[0].g.ID, odd[1].g.ID, odd[2].g.ID})
}

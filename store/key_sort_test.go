package store_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
)

// TestSortKeys checks SortKeys against a plain sort by (key, position) on
// keys that share long prefixes, differ only past 16 bytes, end early and
// repeat.
func TestSortKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []string{"d", "doc_0000001", "doc_0000001x", "doc_00000010", "doc_0000002", "doc_000000100000000001", "doc_000000100000000002", "e"}
	for _, n := range []int{0, 1, 2, 3, 50, 2000, 40_000} { // the last sorts on two goroutines
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			keys := make([]store.GrantKey, n)
			pos := make([]int32, n)
			for i := range keys {
				e := model.EntityRef{Type: "document", ID: ids[r.IntN(len(ids))]}
				s := model.User(ids[r.IntN(len(ids))])
				keys[i] = store.KeyOfEffect("org", e, s, model.Effect(r.IntN(2)))
				pos[i] = int32(n - 1 - i)
			}
			want := slices.Clone(pos)
			slices.SortFunc(want, func(a, b int32) int {
				if c := keys[a].Compare(keys[b]); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			store.SortKeys(keys, pos)
			assert.Equal(t, want, pos)
		})
	}
}

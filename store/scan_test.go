package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

func TestEachGrantToYieldsWhatScanGrantsByGranteeDoes(t *testing.T) {
	s := newTestStore(t)
	alice, eng := model.User("alice"), model.Department("eng")
	deny := testGrant("g5", "acme", "doc", "d1", alice, model.LevelWrite)
	deny.Effect = model.EffectDeny
	commitGrants(t, s,
		testGrant("g1", "acme", "doc", "d2", alice, model.LevelRead),
		testGrant("g2", "acme", "doc", "d1", alice, model.LevelAdmin),
		testGrant("g3", "acme", "folder", "a", alice, model.LevelRead),
		testGrant("g4", "acme", "doc", "d1", eng, model.LevelRead),
		testGrant("g6", "other", "doc", "d1", alice, model.LevelRead),
		testGrant("g7", "acme", "doc", "d3", model.User("alice2"), model.LevelRead),
		deny,
	)
	r := s.Snapshot().Read()
	for _, grantee := range []model.Subject{alice, eng, model.Role("nobody")} {
		var want []string
		require.NoError(t, r.ScanGrants(store.GrantScan{Org: "acme", Grantee: grantee}, func(_ string, g model.Grant) bool {
			want = append(want, g.ID)
			return true
		}))
		var got []string
		r.EachGrantTo("acme", grantee, func(g *model.Grant) bool {
			assert.Equal(t, grantee, g.Grantee)
			got = append(got, g.ID)
			return true
		})
		assert.Equal(t, want, got, "grants to %s", grantee)
	}

	var first []string
	r.EachGrantTo("acme", alice, func(g *model.Grant) bool {
		first = append(first, g.ID)
		return len(first) < 2
	})
	assert.Len(t, first, 2, "stops when fn returns false")
}

package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
)

func batchGrant(org, entity, user, id string) model.Grant {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return model.Grant{ID: id, Org: org, Entity: model.EntityRef{Type: "document", ID: entity},
		Grantee: model.User(user), Level: model.LevelRead, CreatedAt: t, UpdatedAt: t}
}

func keyOf(g model.Grant) store.GrantKey { return store.KeyOf(g.Org, g.Entity, g.Grantee) }

// putSorted stores gs with PutGrants in key order and commits.
func putSorted(t *testing.T, st *store.Store, gs ...model.Grant) store.ChangeSet {
	t.Helper()
	gs = slices.Clone(gs)
	slices.SortFunc(gs, func(a, b model.Grant) int { return keyOf(a).Compare(keyOf(b)) })
	tx := st.Write()
	defer tx.Abort()
	require.NoError(t, tx.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) {
		for i := range gs {
			if !yield(keyOf(gs[i]), &gs[i]) {
				return
			}
		}
	}))
	cs, _ := tx.Commit()
	return cs
}

func TestKeyOrderIsFieldOrder(t *testing.T) {
	k := func(org, entity, user string) store.GrantKey {
		return store.KeyOf(org, model.EntityRef{Type: "document", ID: entity}, model.User(user))
	}
	ordered := []store.GrantKey{
		{}, k("a", "d", "u"), k("a", "d", "u2"), k("a", "d0", "a"), k("a", "e", "a"), k("ab", "a", "a"),
	}
	for i := 1; i < len(ordered); i++ {
		assert.Equal(t, -1, ordered[i-1].Compare(ordered[i]), "key %d before key %d", i-1, i)
		assert.Equal(t, 1, ordered[i].Compare(ordered[i-1]))
	}
	assert.Zero(t, k("a", "d", "u").Compare(k("a", "d", "u")))
}

func TestPutGrantsStoresReplacesAndRecords(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	replaced := batchGrant("o1", "d1", "alice", "agrant_01")
	kept := batchGrant("o1", "d2", "bob", "agrant_02")
	putSorted(t, st, replaced, kept, batchGrant("o2", "d1", "alice", "agrant_03"))

	// A new grant under replaced's key, an update of kept with the same id and
	// a grant under a new key.
	replacement := batchGrant("o1", "d1", "alice", "agrant_10")
	update := kept
	update.Level = model.LevelAdmin
	fresh := batchGrant("o1", "d3", "carol", "agrant_11")
	cs := putSorted(t, st, fresh, update, replacement)

	require.Len(t, cs.Grants, 3)
	for i, want := range []model.Grant{replacement, update, fresh} {
		assert.False(t, cs.Grants[i].Deleted)
		assert.Equal(t, want, *cs.Grants[i].Grant, "change %d, in key order", i)
	}
	r := st.Snapshot().Read()
	_, ok := r.GrantByID("o1", replaced.ID)
	assert.False(t, ok, "the replaced grant's id is gone")
	for _, g := range []model.Grant{replacement, update, fresh} {
		got, ok := r.GrantByID("o1", g.ID)
		require.True(t, ok, g.ID)
		assert.Equal(t, g, got)
	}
	got, ok := r.GrantByKey("o2", model.EntityRef{Type: "document", ID: "d1"}, model.User("alice"))
	require.True(t, ok)
	assert.Equal(t, "agrant_03", got.ID, "another organisation is untouched")
}

func TestPutGrantsAfterOtherWritesInTheSameTransaction(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	putSorted(t, st, batchGrant("o1", "d1", "alice", "agrant_01"))

	tx := st.Write()
	defer tx.Abort()
	// The transaction first replaces d1/alice by itself; PutGrants must see
	// that write, not the state the transaction started from.
	require.NoError(t, tx.PutGrant(batchGrant("o1", "d1", "alice", "agrant_02")))
	g := batchGrant("o1", "d1", "alice", "agrant_03")
	require.NoError(t, tx.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) { yield(keyOf(g), &g) }))
	tx.Commit()

	r := st.Snapshot().Read()
	for _, id := range []string{"agrant_01", "agrant_02"} {
		_, ok := r.GrantByID("o1", id)
		assert.False(t, ok, id)
	}
	_, ok := r.GrantByID("o1", "agrant_03")
	assert.True(t, ok)
}

func TestPutGrantsRefusesBadSequences(t *testing.T) {
	a := batchGrant("o1", "d1", "alice", "agrant_01")
	b := batchGrant("o1", "d2", "alice", "agrant_02")
	noID := batchGrant("o1", "d3", "alice", "")
	tests := []struct {
		name string
		keys []store.GrantKey
		gs   []model.Grant
	}{
		{"descending keys", []store.GrantKey{keyOf(b), keyOf(a)}, []model.Grant{b, a}},
		{"repeated key", []store.GrantKey{keyOf(a), keyOf(a)}, []model.Grant{a, a}},
		{"key of another grant", []store.GrantKey{keyOf(b)}, []model.Grant{a}},
		{"no id", []store.GrantKey{keyOf(noID)}, []model.Grant{noID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.New()
			require.NoError(t, err)
			tx := st.Write()
			defer tx.Abort()
			err = tx.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) {
				for i := range tc.gs {
					if !yield(tc.keys[i], &tc.gs[i]) {
						return
					}
				}
			})
			assert.Error(t, err)
		})
	}
}

func TestGrantSeekerFindsStoredGrants(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	var stored []model.Grant
	for _, e := range []string{"d01", "d03", "d05", "d07", "d09", "d11", "d13", "d15", "d17", "d19", "d21", "d23"} {
		stored = append(stored, batchGrant("o1", e, "alice", "agrant_"+e))
	}
	stored = append(stored, batchGrant("o0", "d02", "alice", "agrant_x"), batchGrant("o2", "d02", "alice", "agrant_y"))
	putSorted(t, st, stored...)
	want := map[string]string{}
	for _, g := range stored {
		if g.Org == "o1" {
			want[g.Entity.ID] = g.ID
		}
	}
	var asks []string
	for i := range 26 {
		asks = append(asks, "d"+string(rune('0'+i/10))+string(rune('0'+i%10)))
	}
	tests := []struct {
		name string
		keys []string
	}{
		{"ascending, every key", asks},
		{"ascending, sparse (seeks)", []string{"d00", "d01", "d23", "d25"}},
		{"out of order", []string{"d13", "d01", "d02", "d23", "d03"}},
		{"repeated", []string{"d05", "d05", "d06", "d06"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := st.Snapshot().Read().SeekGrants()
			for _, e := range tc.keys {
				g, ok, err := s.Get(store.KeyOf("o1", model.EntityRef{Type: "document", ID: e}, model.User("alice")))
				require.NoError(t, err)
				assert.Equal(t, want[e] != "", ok, e)
				assert.Equal(t, want[e], g.ID, e)
			}
		})
	}
}

// A batch's index entries are made at commit, or earlier when the
// transaction uses the indexes: it reads its own batch by id, by grantee and
// by end, and writes over it, before it commits.
func TestPutGrantsIsReadAndOverwrittenBeforeCommit(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	putSorted(t, st, batchGrant("o1", "d1", "alice", "agrant_01"))
	put := func(tx *store.WriteTxn, gs ...model.Grant) {
		t.Helper()
		require.NoError(t, tx.PutGrants(func(yield func(store.GrantKey, *model.Grant) bool) {
			for i := range gs {
				if !yield(keyOf(gs[i]), &gs[i]) {
					return
				}
			}
		}))
	}
	ending := batchGrant("o1", "d2", "alice", "agrant_03")
	ending.EffectiveTo = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

	tx := st.Write()
	defer tx.Abort()
	put(tx, batchGrant("o1", "d1", "alice", "agrant_02"), ending)
	_, ok := tx.GrantByID("o1", "agrant_01")
	assert.False(t, ok, "the replaced grant")
	_, ok = tx.GrantByID("o1", "agrant_02")
	assert.True(t, ok)
	var ids []string
	require.NoError(t, tx.ScanGrants(store.GrantScan{Org: "o1", Grantee: model.User("alice")}, func(_ string, g model.Grant) bool {
		ids = append(ids, g.ID)
		return true
	}))
	assert.Equal(t, []string{"agrant_02", "agrant_03"}, ids)
	assert.Equal(t, 1, tx.GrantsWithEnd())

	// A second batch replaces the first one's grant of d2.
	put(tx, batchGrant("o1", "d2", "alice", "agrant_04"))
	tx.Commit()

	r := st.Snapshot().Read()
	for id, want := range map[string]bool{"agrant_01": false, "agrant_02": true, "agrant_03": false, "agrant_04": true} {
		_, ok := r.GrantByID("o1", id)
		assert.Equal(t, want, ok, id)
	}
	g, ok := r.GrantByKey("o1", model.EntityRef{Type: "document", ID: "d2"}, model.User("alice"))
	require.True(t, ok)
	assert.Equal(t, "agrant_04", g.ID)
	assert.Zero(t, r.GrantsWithEnd())
	assert.Equal(t, "agrant_04", r.MaxGrantID())
}

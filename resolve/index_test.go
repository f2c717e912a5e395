package resolve_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

const org = "org_1"

var now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func docRef(id string) model.EntityRef { return model.EntityRef{Type: "document", ID: id} }

// commit writes one transaction to st and returns its change set and snapshot.
func commit(t *testing.T, st *store.Store, fill func(w *store.WriteTxn)) (store.ChangeSet, *store.Snapshot) {
	t.Helper()
	w := st.Write()
	defer w.Abort()
	fill(w)
	return w.Commit()
}

func putGrant(t *testing.T, w *store.WriteTxn, id string, entity model.EntityRef, grantee model.Subject, level model.Level) model.Grant {
	t.Helper()
	g := model.Grant{ID: id, Org: org, Entity: entity, Grantee: grantee, Level: level, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, w.PutGrant(g))
	return g
}

func addMember(t *testing.T, w *store.WriteTxn, m, g model.Subject) {
	t.Helper()
	_, err := w.AddMembership(org, model.Membership{Member: m, Group: g})
	require.NoError(t, err)
}

func TestApplyLeavesOlderRevisionsUnchanged(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	var g model.Grant
	cs1, _ := commit(t, st, func(w *store.WriteTxn) {
		addMember(t, w, model.User("alice"), model.Department("eng"))
		g = putGrant(t, w, "g1", docRef("d1"), model.Department("eng"), model.LevelWrite)
	})
	ix1 := (*resolve.Index)(nil).Apply(cs1)
	cs2, _ := commit(t, st, func(w *store.WriteTxn) {
		_, err := w.DeleteGrant(g)
		require.NoError(t, err)
		_, err = w.RemoveMembership(org, model.Membership{Member: model.User("alice"), Group: model.Department("eng")})
		require.NoError(t, err)
		putGrant(t, w, "g2", docRef("d2"), model.User("alice"), model.LevelRead)
	})
	ix2 := ix1.Apply(cs2)

	at := now.UnixNano()
	assert.True(t, ix1.Check(org, "alice", docRef("d1"), model.LevelWrite, at))
	assert.False(t, ix1.Check(org, "alice", docRef("d2"), model.LevelRead, at))
	assert.Equal(t, uint64(1), ix1.Revision())
	assert.Equal(t, 1, ix1.Grants())

	assert.False(t, ix2.Check(org, "alice", docRef("d1"), model.LevelRead, at))
	assert.True(t, ix2.Check(org, "alice", docRef("d2"), model.LevelRead, at))
	assert.Equal(t, uint64(2), ix2.Revision())
	assert.Equal(t, 1, ix2.Grants())
}

func TestBuildMatchesAppliedIndex(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	applied := (*resolve.Index)(nil)
	var snap *store.Snapshot
	for round := range 5 {
		var cs store.ChangeSet
		cs, snap = commit(t, st, func(w *store.WriteTxn) {
			for i := range 50 {
				n := round*50 + i
				dept := model.Department(fmt.Sprintf("dept%d", n%7))
				addMember(t, w, model.User(fmt.Sprintf("u%d", n%13)), dept)
				if n%7 > 0 {
					addMember(t, w, dept, model.Department(fmt.Sprintf("dept%d", n%7-1)))
				}
				putGrant(t, w, fmt.Sprintf("g%04d", n), docRef(fmt.Sprintf("d%d", n%11)), model.Department(fmt.Sprintf("dept%d", n%5)), model.Level(1+n%3))
			}
		})
		applied = applied.Apply(cs)
	}
	built, err := resolve.Build(snap)
	require.NoError(t, err)
	assert.Equal(t, applied.Revision(), built.Revision())
	assert.Equal(t, applied.Grants(), built.Grants())
	at := now.UnixNano()
	for u := range 14 { // u13 is unknown
		for d := range 12 { // d11 has no grant
			user, entity := fmt.Sprintf("u%d", u), docRef(fmt.Sprintf("d%d", d))
			assert.Equal(t, applied.Resolve(org, user, entity, at), built.Resolve(org, user, entity, at), "%s on %s", user, entity)
		}
	}
}

func TestApplyOfOtherRowsKeepsAnswers(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	cs, _ := commit(t, st, func(w *store.WriteTxn) {
		putGrant(t, w, "g1", docRef("d1"), model.User("alice"), model.LevelAdmin)
	})
	ix := (*resolve.Index)(nil).Apply(cs)
	next := ix.Apply(store.ChangeSet{Revision: 7})
	assert.Equal(t, uint64(7), next.Revision())
	assert.True(t, next.Check(org, "alice", docRef("d1"), model.LevelAdmin, now.UnixNano()))
}

func TestNilIndexIsEmpty(t *testing.T) {
	var ix *resolve.Index
	assert.False(t, ix.Check(org, "alice", docRef("d1"), model.LevelRead, 0))
	assert.Equal(t, model.LevelNone, ix.Resolve(org, "alice", docRef("d1"), 0).Level)
	assert.Zero(t, ix.Revision())
}

func TestNanos(t *testing.T) {
	at := time.Date(2030, 5, 6, 7, 8, 9, 10, time.UTC)
	cases := []struct {
		name string
		in   time.Time
		open int64
		want int64
	}{
		{"zero is open (start)", time.Time{}, math.MinInt64, math.MinInt64},
		{"zero is open (end)", time.Time{}, math.MaxInt64, math.MaxInt64},
		{"in range", at, 0, at.UnixNano()},
		{"before 1678 clamps", time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), 0, math.MinInt64},
		{"after 2262 clamps", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0, math.MaxInt64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, resolve.Nanos(tc.in, tc.open)) })
	}
}

package store_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutGrantThenGet(t *testing.T) {
	s := newTestStore(t)
	g := testGrant("agrant_1", "org_a", "doc", "d1", model.User("ann"), model.LevelRead)

	w := s.Write()
	require.NoError(t, w.PutGrant(g))
	// A write transaction reads its own writes ...
	got, ok := w.GrantByID("org_a", "agrant_1")
	require.True(t, ok)
	assert.Equal(t, g, got)
	// ... and nothing of it shows before Commit.
	_, ok = s.Snapshot().Read().GrantByID("org_a", "agrant_1")
	assert.False(t, ok)
	_, snap := w.Commit()

	r := snap.Read()
	got, ok = r.GrantByID("org_a", "agrant_1")
	require.True(t, ok)
	assert.Equal(t, g, got)
	got, ok = r.GrantByKey("org_a", g.Entity, g.Grantee)
	require.True(t, ok)
	assert.Equal(t, g, got)
	assert.Equal(t, "agrant_1", r.MaxGrantID())

	// Copies out: changing what was returned changes nothing stored.
	got.Level = model.LevelAdmin
	got.Entity.ID = "other"
	again, _ := r.GrantByID("org_a", "agrant_1")
	assert.Equal(t, g, again)

	for name, miss := range map[string]func() bool{
		"unknown id":        func() bool { _, ok := r.GrantByID("org_a", "agrant_2"); return ok },
		"other org's id":    func() bool { _, ok := r.GrantByID("org_b", "agrant_1"); return ok },
		"empty id":          func() bool { _, ok := r.GrantByID("org_a", ""); return ok },
		"other org's key":   func() bool { _, ok := r.GrantByKey("org_b", g.Entity, g.Grantee); return ok },
		"other grantee":     func() bool { _, ok := r.GrantByKey("org_a", g.Entity, model.Role("ann")); return ok },
		"grantee id prefix": func() bool { _, ok := r.GrantByKey("org_a", g.Entity, model.User("an")); return ok },
	} {
		assert.False(t, miss(), name)
	}
}

func TestPutGrantReplacesByKey(t *testing.T) {
	s := newTestStore(t)
	old := testGrant("agrant_1", "org_a", "doc", "d1", model.User("ann"), model.LevelRead)
	commitGrants(t, s, old)

	// A new id under the same key replaces the grant, and the old id is gone.
	repl := testGrant("agrant_2", "org_a", "doc", "d1", model.User("ann"), model.LevelWrite)
	cs := commitGrants(t, s, repl)
	require.Len(t, cs.Grants, 1)
	assert.False(t, cs.Grants[0].Deleted)

	r := s.Snapshot().Read()
	_, ok := r.GrantByID("org_a", "agrant_1")
	assert.False(t, ok, "the replaced id must be gone from the id lookup")
	got, ok := r.GrantByID("org_a", "agrant_2")
	require.True(t, ok)
	assert.Equal(t, model.LevelWrite, got.Level)
	got, ok = r.GrantByKey("org_a", old.Entity, old.Grantee)
	require.True(t, ok)
	assert.Equal(t, "agrant_2", got.ID)
	assert.Equal(t, 1, countGrants(t, r, store.GrantScan{Org: "org_a"}))

	// The same id under the same key is an update in place.
	upd := repl
	upd.Level = model.LevelAdmin
	commitGrants(t, s, upd)
	got, ok = s.Snapshot().Read().GrantByID("org_a", "agrant_2")
	require.True(t, ok)
	assert.Equal(t, model.LevelAdmin, got.Level)
}

func TestDeleteGrant(t *testing.T) {
	s := newTestStore(t)
	g := testGrant("agrant_1", "org_a", "doc", "d1", model.User("ann"), model.LevelRead)
	keep := testGrant("agrant_2", "org_a", "doc", "d1", model.User("annabel"), model.LevelRead)
	commitGrants(t, s, g, keep)

	w := s.Write()
	// Deleting goes by key: the id and level passed do not matter.
	byKey := g
	byKey.ID, byKey.Level = "", model.LevelAdmin
	deleted, err := w.DeleteGrant(byKey)
	require.NoError(t, err)
	assert.True(t, deleted)
	deleted, err = w.DeleteGrant(g)
	require.NoError(t, err)
	assert.False(t, deleted, "a second delete finds nothing")
	deleted, err = w.DeleteGrant(testGrant("", "org_b", "doc", "d1", model.User("ann"), model.LevelRead))
	require.NoError(t, err)
	assert.False(t, deleted, "another organisation's key is not there")
	cs, snap := w.Commit()

	require.Len(t, cs.Grants, 1)
	assert.True(t, cs.Grants[0].Deleted)
	assert.Equal(t, g, *cs.Grants[0].Grant, "a deletion carries the grant that was stored")

	r := snap.Read()
	_, ok := r.GrantByID("org_a", "agrant_1")
	assert.False(t, ok)
	_, ok = r.GrantByKey("org_a", g.Entity, g.Grantee)
	assert.False(t, ok)
	_, ok = r.GrantByID("org_a", "agrant_2")
	assert.True(t, ok)
	// Ids are not reused by the store: the max id stays the greatest stored.
	assert.Equal(t, "agrant_2", r.MaxGrantID())
}

// scanFixture is a small organisation with grantee ids that are prefixes of
// each other, entity ids likewise, a user named like a role, and a second
// organisation whose id extends the first's.
func scanFixture() []model.Grant {
	var gs []model.Grant
	n := 0
	add := func(org, typ, entity string, grantee model.Subject) {
		n++
		gs = append(gs, testGrant(fmt.Sprintf("agrant_%03d", n), org, typ, entity, grantee, model.Level(1+n%3)))
	}
	for _, org := range []string{"a", "ab"} {
		for _, typ := range []string{"doc", "docs", "folder"} {
			for _, entity := range []string{"e", "e1", "e10", "f"} {
				for _, grantee := range []model.Subject{
					model.User("ab"), model.User("abc"), model.User("b"),
					model.Role("ab"), model.Department("ab"),
				} {
					add(org, typ, entity, grantee)
				}
			}
		}
	}
	return gs
}

// expectScan is the oracle of ScanGrants: filter, then sort by key fields.
func expectScan(all []model.Grant, q store.GrantScan) []model.Grant {
	var out []model.Grant
	for _, g := range all {
		if g.Org != q.Org ||
			q.Entity.Type != "" && g.Entity.Type != q.Entity.Type ||
			q.Entity.ID != "" && g.Entity.ID != q.Entity.ID ||
			q.Grantee.ID != "" && g.Grantee != q.Grantee {
			continue
		}
		out = append(out, g)
	}
	byGrantee := q.Grantee.ID != "" && q.Entity.ID == ""
	slices.SortFunc(out, func(a, b model.Grant) int {
		ea := []string{a.Entity.Type, a.Entity.ID}
		ga := []string{string(a.Grantee.Type), a.Grantee.ID}
		eb := []string{b.Entity.Type, b.Entity.ID}
		gb := []string{string(b.Grantee.Type), b.Grantee.ID}
		ka, kb := append(ea, ga...), append(eb, gb...)
		if byGrantee {
			ka, kb = append(ga, ea...), append(gb, eb...)
		}
		return slices.Compare(ka, kb)
	})
	return out
}

func scanSelections() map[string]store.GrantScan {
	return map[string]store.GrantScan{
		"all of org a":                 {Org: "a"},
		"all of org ab":                {Org: "ab"},
		"entity type":                  {Org: "a", Entity: model.EntityRef{Type: "doc"}},
		"entity":                       {Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e1"}},
		"grantee ab":                   {Org: "a", Grantee: model.User("ab")},
		"grantee abc":                  {Org: "a", Grantee: model.User("abc")},
		"role ab":                      {Org: "a", Grantee: model.Role("ab")},
		"grantee and entity type":      {Org: "a", Grantee: model.User("ab"), Entity: model.EntityRef{Type: "doc"}},
		"entity and grantee ab, exact": {Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e"}, Grantee: model.User("ab")},
		"entity and grantee b, exact":  {Org: "ab", Entity: model.EntityRef{Type: "folder", ID: "f"}, Grantee: model.User("b")},
		"nothing there":                {Org: "a", Entity: model.EntityRef{Type: "doc", ID: "zzz"}},
		"unknown org":                  {Org: "abc"},
	}
}

type scanned struct {
	pos string
	g   model.Grant
}

func scanAll(t testing.TB, r *store.ReadTxn, q store.GrantScan, limit int) []scanned {
	t.Helper()
	var out []scanned
	require.NoError(t, r.ScanGrants(q, func(pos string, g model.Grant) bool {
		out = append(out, scanned{pos, g})
		return limit <= 0 || len(out) < limit
	}))
	return out
}

func countGrants(t testing.TB, r *store.ReadTxn, q store.GrantScan) int {
	return len(scanAll(t, r, q, 0))
}

func grantsOf(ss []scanned) []model.Grant {
	var out []model.Grant
	for _, s := range ss {
		out = append(out, s.g)
	}
	return out
}

func TestScanGrantsSelections(t *testing.T) {
	s := newTestStore(t)
	all := scanFixture()
	// Insert in reverse, so that key order is the store's doing.
	rev := slices.Clone(all)
	slices.Reverse(rev)
	commitGrants(t, s, rev...)
	r := s.Snapshot().Read()

	for name, q := range scanSelections() {
		t.Run(name, func(t *testing.T) {
			want := expectScan(all, q)
			got := scanAll(t, r, q, 0)
			assert.Equal(t, want, grantsOf(got))

			// Positions strictly increase: they are the order of the scan.
			for i := 1; i < len(got); i++ {
				assert.Less(t, got[i-1].pos, got[i].pos)
			}
			// Stopping early stops.
			if len(want) > 1 {
				assert.Len(t, scanAll(t, r, q, 1), 1)
			}
		})
	}
	t.Run("exact selection is exact", func(t *testing.T) {
		q := store.GrantScan{Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e"}, Grantee: model.User("ab")}
		got := scanAll(t, r, q, 0)
		require.Len(t, got, 1)
		assert.Equal(t, model.User("ab"), got[0].g.Grantee)
	})
}

func TestScanGrantsResumesAfterPosition(t *testing.T) {
	s := newTestStore(t)
	all := scanFixture()
	commitGrants(t, s, all...)
	r := s.Snapshot().Read()

	for name, q := range scanSelections() {
		for _, page := range []int{1, 2, 7} {
			t.Run(fmt.Sprintf("%s/page %d", name, page), func(t *testing.T) {
				var got []model.Grant
				q := q
				for range len(all) + 1 {
					batch := scanAll(t, r, q, page)
					got = append(got, grantsOf(batch)...)
					if len(batch) < page {
						break
					}
					q.After = batch[len(batch)-1].pos
				}
				assert.Equal(t, expectScan(all, q), got, "no grant lost or repeated")
			})
		}
	}
}

func TestScanGrantsResumesAcrossWrites(t *testing.T) {
	s := newTestStore(t)
	all := scanFixture()
	commitGrants(t, s, all...)
	q := store.GrantScan{Org: "a", Grantee: model.User("ab")}
	first := scanAll(t, s.Snapshot().Read(), q, 3)
	require.Len(t, first, 3)
	last := first[2]

	// Delete the grant at the position, add one behind it and one ahead.
	w := s.Write()
	_, err := w.DeleteGrant(last.g)
	require.NoError(t, err)
	behind := testGrant("agrant_900", "a", "doc", "a", model.User("ab"), model.LevelRead)
	ahead := testGrant("agrant_901", "a", "zeta", "z", model.User("ab"), model.LevelRead)
	require.NoError(t, w.PutGrant(behind))
	require.NoError(t, w.PutGrant(ahead))
	w.Commit()

	q.After = last.pos
	rest := grantsOf(scanAll(t, s.Snapshot().Read(), q, 0))
	now := append(slices.DeleteFunc(slices.Clone(all), func(g model.Grant) bool { return g.ID == last.g.ID }), behind, ahead)
	want := expectScan(now, store.GrantScan{Org: "a", Grantee: model.User("ab")})
	// Everything after the position, in order: not the deleted one, not the
	// one created behind, and the one created ahead.
	var after []model.Grant
	for _, g := range want {
		if g.ID == behind.ID || slices.ContainsFunc(first, func(f scanned) bool { return f.g.ID == g.ID }) {
			continue
		}
		after = append(after, g)
	}
	assert.Equal(t, after, rest)
	assert.Contains(t, rest, ahead)
}

func TestScanGrantsRefusesForeignPosition(t *testing.T) {
	s := newTestStore(t)
	commitGrants(t, s, scanFixture()...)
	r := s.Snapshot().Read()

	posOf := func(q store.GrantScan) string {
		got := scanAll(t, r, q, 1)
		require.Len(t, got, 1)
		return got[0].pos
	}
	entityPos := posOf(store.GrantScan{Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e1"}})
	granteePos := posOf(store.GrantScan{Org: "a", Grantee: model.User("abc")})
	otherOrgPos := posOf(store.GrantScan{Org: "ab"})

	cases := map[string]store.GrantScan{
		"entity position, grantee scan":       {Org: "a", Grantee: model.User("abc"), After: entityPos},
		"grantee position, entity scan":       {Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e1"}, After: granteePos},
		"other entity's position":             {Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e10"}, After: entityPos},
		"other grantee's position":            {Org: "a", Grantee: model.User("ab"), After: granteePos},
		"org ab's position in org a":          {Org: "a", After: otherOrgPos},
		"org a's position in org ab":          {Org: "ab", After: entityPos},
		"position of another type":            {Org: "a", Entity: model.EntityRef{Type: "docs"}, After: entityPos},
		"garbage":                             {Org: "a", After: "not a position"},
		"exact selection, neighbour position": {Org: "a", Entity: model.EntityRef{Type: "doc", ID: "e1"}, Grantee: model.User("abc"), After: entityPos},
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			called := false
			err := r.ScanGrants(q, func(string, model.Grant) bool { called = true; return true })
			var me *model.Error
			require.ErrorAs(t, err, &me)
			assert.Equal(t, model.CodeValidation, me.Code)
			assert.Equal(t, model.FieldCursor, me.Field)
			assert.ErrorIs(t, err, model.ErrValidation)
			assert.False(t, called)
		})
	}
}

func TestGrantsAreIsolatedByOrg(t *testing.T) {
	s := newTestStore(t)
	ga := testGrant("agrant_1", "a", "doc", "d", model.User("u"), model.LevelRead)
	gab := testGrant("agrant_2", "ab", "doc", "d", model.User("u"), model.LevelAdmin)
	// "a" + sep + ... must not collide with "ab": same entity and grantee.
	commitGrants(t, s, ga, gab)
	r := s.Snapshot().Read()

	assert.Equal(t, []model.Grant{ga}, grantsOf(scanAll(t, r, store.GrantScan{Org: "a"}, 0)))
	assert.Equal(t, []model.Grant{gab}, grantsOf(scanAll(t, r, store.GrantScan{Org: "ab"}, 0)))
	assert.Empty(t, scanAll(t, r, store.GrantScan{Org: "abc"}, 0))
	assert.Equal(t, []model.Grant{ga}, grantsOf(scanAll(t, r, store.GrantScan{Org: "a", Grantee: model.User("u")}, 0)))

	_, ok := r.GrantByID("a", "agrant_2")
	assert.False(t, ok)
	_, ok = r.GrantByID("ab", "agrant_1")
	assert.False(t, ok)
	got, ok := r.GrantByKey("ab", ga.Entity, ga.Grantee)
	require.True(t, ok)
	assert.Equal(t, gab, got)

	// Deleting in one organisation leaves the other's grant.
	w := s.Write()
	deleted, err := w.DeleteGrant(ga)
	require.NoError(t, err)
	require.True(t, deleted)
	_, snap := w.Commit()
	_, ok = snap.Read().GrantByID("ab", "agrant_2")
	assert.True(t, ok)
}

package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dump is everything a snapshot holds, through its scans.
type dump struct {
	Revision    uint64
	Grants      []model.Grant
	Memberships []store.MembershipChange
	Links       []store.LinkChange
	Jobs        []store.Job
	Specs       []store.JobSpec
	Steps       []store.JobStep
}

// restoreAccessRows loads d's grants, memberships and links into r.
func restoreAccessRows(t *testing.T, r *store.Restore, d dump) {
	t.Helper()
	for _, g := range d.Grants {
		require.NoError(t, r.Grant(g))
	}
	for _, m := range d.Memberships {
		require.NoError(t, r.Membership(m.Org, m.Membership))
	}
	for _, l := range d.Links {
		require.NoError(t, r.Link(l.Org, l.Link))
	}
}

func dumpOf(t *testing.T, snap *store.Snapshot) dump {
	t.Helper()
	r := snap.Read()
	d := dump{Revision: snap.Revision()}
	require.NoError(t, r.EachGrant(func(g *model.Grant) bool { d.Grants = append(d.Grants, *g); return true }))
	require.NoError(t, r.EachMembership(func(org string, m model.Membership) bool {
		d.Memberships = append(d.Memberships, store.MembershipChange{Org: org, Membership: m})
		return true
	}))
	require.NoError(t, r.EachLink(func(org string, l model.EntityLink) bool {
		d.Links = append(d.Links, store.LinkChange{Org: org, Link: l})
		return true
	}))
	require.NoError(t, r.EachJob(func(j store.Job) bool { d.Jobs = append(d.Jobs, j); return true }))
	require.NoError(t, r.EachJobSpec(func(s store.JobSpec) bool { d.Specs = append(d.Specs, s); return true }))
	require.NoError(t, r.EachJobStep(func(s store.JobStep) bool { d.Steps = append(d.Steps, s); return true }))
	return d
}

// restoreSource is a store holding rows of every kind.
func restoreSource(t *testing.T) *store.Store {
	s := newTestStore(t)
	w := s.Write()
	for i, e := range []string{"d3", "d1", "d2"} {
		g := testGrant("g"+e, "org_a", "doc", e, model.User("u"+e), model.LevelRead)
		if i == 0 {
			g.EffectiveTo = testTime.Add(time.Hour)
		}
		require.NoError(t, w.PutGrant(g))
	}
	require.NoError(t, w.PutGrant(testGrant("g9", "org_b", "doc", "d1", model.Role("r"), model.LevelAdmin)))
	for _, m := range []model.Membership{
		{Member: model.User("u1"), Group: model.Department("eng")},
		{Member: model.Department("eng"), Group: model.Role("ops")},
	} {
		_, err := w.AddMembership("org_a", m)
		require.NoError(t, err)
	}
	for _, l := range []model.EntityLink{
		{Child: model.EntityRef{Type: "doc", ID: "d1"}, Parent: model.EntityRef{Type: "folder", ID: "f1"}},
		{Child: model.EntityRef{Type: "doc", ID: "d2"}, Parent: model.EntityRef{Type: "folder", ID: "f1"}},
	} {
		_, err := w.AddLink("org_a", l)
		require.NoError(t, err)
	}
	require.NoError(t, w.PutJob(store.Job{Org: "org_a", ID: "j1", Operation: model.JobOpRevoke, Status: model.JobInProgress, TotalSteps: 2}))
	require.NoError(t, w.PutJobSpec(store.JobSpec{Org: "org_a", JobID: "j1", Operation: model.JobOpRevoke,
		ACL: []model.ACE{{Grantee: model.User("u1"), Level: model.LevelRead}}}))
	for i := range 2 {
		require.NoError(t, w.PutJobStep(store.JobStep{Org: "org_a", JobID: "j1", Index: i, Status: model.JobNotStarted,
			Resource: model.EntityRef{Type: "doc", ID: "d1"}}))
	}
	w.Commit()
	return s
}

func TestRestoreRebuildsTheState(t *testing.T) {
	src := dumpOf(t, restoreSource(t).Snapshot())
	for _, order := range []string{"scan order", "reversed"} {
		t.Run(order, func(t *testing.T) {
			rows := src
			if order == "reversed" {
				rows.Grants, rows.Memberships = slices.Clone(rows.Grants), slices.Clone(rows.Memberships)
				rows.Steps, rows.Links = slices.Clone(rows.Steps), slices.Clone(rows.Links)
				slices.Reverse(rows.Links)
				slices.Reverse(rows.Grants)
				slices.Reverse(rows.Memberships)
				slices.Reverse(rows.Steps)
			}
			s := newTestStore(t)
			r, err := s.Restore()
			require.NoError(t, err)
			defer r.Abort()
			restoreAccessRows(t, r, rows)
			for _, j := range rows.Jobs {
				require.NoError(t, r.Job(j))
			}
			for _, sp := range rows.Specs {
				require.NoError(t, r.JobSpec(sp))
			}
			for _, st := range rows.Steps {
				require.NoError(t, r.JobStep(st))
			}
			snap, err := r.Commit(7)
			require.NoError(t, err)
			assert.Equal(t, uint64(7), snap.Revision())
			assert.Same(t, snap, s.Snapshot(), "published")
			want := src
			want.Revision = 7
			assert.Equal(t, want, dumpOf(t, snap))

			rd := snap.Read()
			g, ok := rd.GrantByID("org_a", "gd1")
			assert.True(t, ok, "the id index is rebuilt")
			assert.Equal(t, "d1", g.Entity.ID)
			assert.Equal(t, 1, rd.GrantsWithEnd(), "the end index is rebuilt")
			n := 0
			require.NoError(t, rd.ScanGrants(store.GrantScan{Org: "org_a", Grantee: model.User("ud2")}, func(string, model.Grant) bool {
				n++
				return true
			}))
			assert.Equal(t, 1, n, "the grantee index is rebuilt")
			_, err = r.Commit(8)
			assert.Error(t, err, "a restore commits once")
		})
	}
}

func TestRestoreRefusesRepeatedRows(t *testing.T) {
	g := testGrant("g1", "org_a", "doc", "d1", model.User("u1"), model.LevelRead)
	sameKey := g
	sameKey.ID = "g2"
	sameID := testGrant("g1", "org_a", "doc", "d2", model.User("u1"), model.LevelRead)
	m1 := model.Membership{Member: model.User("u1"), Group: model.Department("a")}
	m2 := model.Membership{Member: model.User("u2"), Group: model.Department("a")}
	step := store.JobStep{Org: "o", JobID: "j", Index: 1, Status: model.JobNotStarted}
	link := model.EntityLink{Child: model.EntityRef{Type: "doc", ID: "d1"}, Parent: model.EntityRef{Type: "folder", ID: "f1"}}
	cases := map[string]func(r *store.Restore) error{
		"grant key": func(r *store.Restore) error {
			require.NoError(t, r.Grant(g))
			return r.Grant(sameKey)
		},
		"grant id": func(r *store.Restore) error {
			require.NoError(t, r.Grant(g))
			return r.Grant(sameID)
		},
		"grant without id": func(r *store.Restore) error { return r.Grant(model.Grant{Org: "o"}) },
		"membership, out of order": func(r *store.Restore) error {
			require.NoError(t, r.Membership("o", m1))
			require.NoError(t, r.Membership("o", m2))
			return r.Membership("o", m1)
		},
		"link": func(r *store.Restore) error {
			require.NoError(t, r.Link("o", link))
			return r.Link("o", link)
		},
		"job": func(r *store.Restore) error {
			require.NoError(t, r.Job(store.Job{Org: "o", ID: "j"}))
			return r.Job(store.Job{Org: "o", ID: "j"})
		},
		"job step": func(r *store.Restore) error {
			require.NoError(t, r.JobStep(step))
			return r.JobStep(step)
		},
		"job step index": func(r *store.Restore) error { return r.JobStep(store.JobStep{Org: "o", JobID: "j", Index: -1}) },
	}
	for name, fill := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := newTestStore(t).Restore()
			require.NoError(t, err)
			defer r.Abort()
			err = fill(r)
			if err == nil {
				// A repeated grant id is found when the id btree is built.
				_, err = r.Commit(1)
			}
			assert.Error(t, err)
		})
	}
}

func TestRestoreNeedsANewStore(t *testing.T) {
	s := newTestStore(t)
	commitGrants(t, s, testGrant("g1", "o", "doc", "d1", model.User("u"), model.LevelRead))
	_, err := s.Restore()
	assert.Error(t, err)
}

func TestRestoreAbortLeavesTheStoreEmpty(t *testing.T) {
	s := newTestStore(t)
	r, err := s.Restore()
	require.NoError(t, err)
	require.NoError(t, r.Grant(testGrant("g1", "o", "doc", "d1", model.User("u"), model.LevelRead)))
	r.Abort()
	assert.Equal(t, uint64(0), s.Snapshot().Revision())
	assert.Empty(t, s.Snapshot().Read().MaxGrantID())
}

func TestReplayRedoesACommit(t *testing.T) {
	src := restoreSource(t)
	g := testGrant("gd1", "org_a", "doc", "d1", model.User("ud1"), model.LevelRead)
	w := src.Write()
	found, err := w.DeleteGrant(g)
	require.NoError(t, err)
	require.True(t, found)
	_, err = w.RemoveMembership("org_a", model.Membership{Member: model.User("u1"), Group: model.Department("eng")})
	require.NoError(t, err)
	removed, err := w.RemoveLink("org_a", model.EntityLink{Child: model.EntityRef{Type: "doc", ID: "d1"}, Parent: model.EntityRef{Type: "folder", ID: "f1"}})
	require.NoError(t, err)
	require.True(t, removed)
	cs2, _ := w.Commit()

	dst := newTestStore(t)
	cs1 := store.ChangeSet{Revision: 1}
	// Revision 1 of dst is src's first commit, rebuilt from its rows.
	first := dumpOf(t, restoreSource(t).Snapshot())
	for i := range first.Grants {
		cs1.Grants = append(cs1.Grants, store.GrantChange{Grant: &first.Grants[i]})
	}
	cs1.Memberships, cs1.Links = first.Memberships, first.Links
	cs1.Jobs = []store.JobChange{{Job: &first.Jobs[0]}, {Spec: &first.Specs[0]}, {Step: &first.Steps[0]}, {Step: &first.Steps[1]}}
	require.NoError(t, dst.Replay(cs1))
	require.NoError(t, dst.Replay(cs2))
	assert.Equal(t, dumpOf(t, src.Snapshot()), dumpOf(t, dst.Snapshot()))
}

func TestReplayRefusesWhatDoesNotFollow(t *testing.T) {
	g := testGrant("g1", "o", "doc", "d1", model.User("u"), model.LevelRead)
	m := model.Membership{Member: model.User("u"), Group: model.Department("a")}
	l := model.EntityLink{Child: model.EntityRef{Type: "doc", ID: "d1"}, Parent: model.EntityRef{Type: "folder", ID: "f1"}}
	cases := map[string]store.ChangeSet{
		"a gap":                 {Revision: 3, Grants: []store.GrantChange{{Grant: &g}}},
		"a missing grant":       {Revision: 2, Grants: []store.GrantChange{{Deleted: true, Grant: &model.Grant{ID: "x", Org: "o", Entity: g.Entity, Grantee: model.User("v")}}}},
		"a grant change of nil": {Revision: 2, Grants: []store.GrantChange{{}}},
		"a membership again":    {Revision: 2, Memberships: []store.MembershipChange{{Org: "o", Membership: m}}},
		"a missing membership":  {Revision: 2, Memberships: []store.MembershipChange{{Deleted: true, Org: "o", Membership: model.Membership{Member: model.User("v"), Group: model.Department("a")}}}},
		"an empty job change":   {Revision: 2, Jobs: []store.JobChange{{}}},
		"a missing link":        {Revision: 2, Links: []store.LinkChange{{Deleted: true, Org: "o", Link: l}}},
	}
	for name, cs := range cases {
		t.Run(name, func(t *testing.T) {
			s := newTestStore(t)
			require.NoError(t, s.Replay(store.ChangeSet{Revision: 1, Grants: []store.GrantChange{{Grant: &g}},
				Memberships: []store.MembershipChange{{Org: "o", Membership: m}}}))
			before := dumpOf(t, s.Snapshot())
			assert.Error(t, s.Replay(cs))
			assert.Equal(t, before, dumpOf(t, s.Snapshot()), "nothing of a refused commit is kept")
		})
	}
}

func TestEndedGrantsFollowsEveryWrite(t *testing.T) {
	s := newTestStore(t)
	at := func(h int) time.Time { return testTime.Add(time.Duration(h) * time.Hour) }
	ending := func(id, entity string, h int) model.Grant {
		g := testGrant(id, "o", "doc", entity, model.User("u"), model.LevelRead)
		g.EffectiveTo = at(h)
		return g
	}
	ended := func(snap *store.Snapshot, h int) []string {
		var ids []string
		snap.Read().EndedGrants(at(h), func(g model.Grant) bool {
			ids = append(ids, g.ID)
			return true
		})
		return ids
	}
	commitGrants(t, s, ending("g1", "d1", 2), ending("g2", "d2", 1), ending("g3", "d3", 1),
		testGrant("g4", "o", "doc", "d4", model.User("u"), model.LevelRead))
	first := s.Snapshot()
	assert.Equal(t, 3, first.Read().GrantsWithEnd())
	assert.Empty(t, ended(first, 0))
	assert.Equal(t, []string{"g2", "g3"}, ended(first, 1), "at the end instant, by end then id")
	assert.Equal(t, []string{"g2", "g3", "g1"}, ended(first, 5))

	// Replace g1 with a later end, g2 without one, delete g3.
	w := s.Write()
	require.NoError(t, w.PutGrant(ending("g1", "d1", 9)))
	noEnd := ending("g2", "d2", 0)
	noEnd.EffectiveTo = time.Time{}
	require.NoError(t, w.PutGrant(noEnd))
	_, err := w.DeleteGrant(ending("g3", "d3", 1))
	require.NoError(t, err)
	var inTxn []string
	w.EndedGrants(at(10), func(g model.Grant) bool { inTxn = append(inTxn, g.ID); return true })
	assert.Equal(t, []string{"g1"}, inTxn, "a write transaction reads its own writes")
	w.Commit()

	assert.Equal(t, []string{"g1"}, ended(s.Snapshot(), 10))
	assert.Empty(t, ended(s.Snapshot(), 5))
	assert.Equal(t, 1, s.Snapshot().Read().GrantsWithEnd())
	assert.Equal(t, []string{"g2", "g3", "g1"}, ended(first, 5), "an older snapshot keeps its own answer")
}

func TestRestoreRowsAreTheStoredRowsInOrder(t *testing.T) {
	src := dumpOf(t, restoreSource(t).Snapshot())
	s := newTestStore(t)
	r, err := s.Restore()
	require.NoError(t, err)
	defer r.Abort()
	restoreAccessRows(t, r, src)
	rows := r.Rows(7)
	snap, err := r.Commit(7)
	require.NoError(t, err)

	assert.Equal(t, uint64(7), rows.Revision)
	assert.Equal(t, src.Memberships, rows.Memberships)
	assert.Equal(t, src.Links, rows.Links)
	var stored []*model.Grant
	require.NoError(t, snap.Read().EachGrant(func(g *model.Grant) bool { stored = append(stored, g); return true }))
	require.Len(t, rows.Grants, len(stored))
	for i, gc := range rows.Grants {
		assert.False(t, gc.Deleted)
		assert.Same(t, stored[i], gc.Grant, "grant %d is the stored row, in scan order", i)
	}
}

func TestRestoreRowStoresPreparedGrants(t *testing.T) {
	s := newTestStore(t)
	r, err := s.Restore()
	require.NoError(t, err)
	defer r.Abort()
	g := testGrant("g1", "org_a", "doc", "d1", model.User("u1"), model.LevelRead)
	p, err := store.PrepareGrant(g)
	require.NoError(t, err)
	require.NoError(t, r.Row(p))
	_, err = store.PrepareGrant(testGrant("", "org_a", "doc", "d2", model.User("u1"), model.LevelRead))
	assert.Error(t, err, "a grant without an id")
	assert.Error(t, r.Row(store.RestoreRow{}), "a row not made by PrepareGrant")
	again, err := store.PrepareGrant(g)
	require.NoError(t, err)
	assert.Error(t, r.Row(again), "a second grant under the key")
	snap, err := r.Commit(1)
	require.NoError(t, err)
	got, ok := snap.Read().GrantByID("org_a", "g1")
	require.True(t, ok)
	assert.Equal(t, g, got)
}

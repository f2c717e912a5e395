package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRevisions(t *testing.T) {
	s := newTestStore(t)
	first := s.Snapshot()
	assert.Equal(t, uint64(0), first.Revision())
	assert.Equal(t, uint64(0), first.Read().Revision())

	for want := uint64(1); want <= 3; want++ {
		g := testGrant(fmt.Sprintf("agrant_%d", want), "org", "doc", "d", model.User(fmt.Sprint(want)), model.LevelRead)
		w := s.Write()
		assert.Equal(t, want-1, w.Revision(), "a write reads the last revision")
		require.NoError(t, w.PutGrant(g))
		cs, snap := w.Commit()
		assert.Equal(t, want, cs.Revision)
		assert.Equal(t, want, snap.Revision())
		assert.Same(t, snap, s.Snapshot())
	}

	// An empty commit keeps the revision and the snapshot.
	before := s.Snapshot()
	cs, snap := s.Write().Commit()
	assert.Equal(t, before.Revision(), cs.Revision)
	assert.Empty(t, cs.Grants)
	assert.Empty(t, cs.Memberships)
	assert.Same(t, before, snap)

	// So does one whose writes were all no-ops.
	w := s.Write()
	deleted, err := w.DeleteGrant(testGrant("", "org", "doc", "nothing", model.User("x"), model.LevelRead))
	require.NoError(t, err)
	require.False(t, deleted)
	cs, snap = w.Commit()
	assert.Equal(t, before.Revision(), cs.Revision)
	assert.Same(t, before, snap)

	// The next real commit takes the very next number.
	cs = commitGrants(t, s, testGrant("agrant_9", "org", "doc", "d9", model.User("x"), model.LevelRead))
	assert.Equal(t, before.Revision()+1, cs.Revision)
}

func TestAbortDiscards(t *testing.T) {
	s := newTestStore(t)
	kept := testGrant("agrant_1", "org", "doc", "d", model.User("ann"), model.LevelRead)
	commitGrants(t, s, kept)
	before := s.Snapshot()

	w := s.Write()
	require.NoError(t, w.PutGrant(testGrant("agrant_2", "org", "doc", "d", model.User("bob"), model.LevelRead)))
	// A replacement under kept's key with a new id, and a membership.
	require.NoError(t, w.PutGrant(testGrant("agrant_3", "org", "doc", "d", model.User("ann"), model.LevelAdmin)))
	_, err := w.AddMembership("org", member(model.User("ann"), model.Role("r")))
	require.NoError(t, err)
	w.Abort()
	w.Abort() // twice is harmless

	assert.Same(t, before, s.Snapshot())
	r := s.Snapshot().Read()
	got, ok := r.GrantByID("org", "agrant_1")
	require.True(t, ok, "the aborted replacement must not have dropped the old id")
	assert.Equal(t, kept, got)
	for _, id := range []string{"agrant_2", "agrant_3"} {
		_, ok := r.GrantByID("org", id)
		assert.False(t, ok, id)
	}
	assert.False(t, r.HasMembership("org", member(model.User("ann"), model.Role("r"))))
	assert.Equal(t, "agrant_1", r.MaxGrantID())

	// The next write starts from the committed state, not the aborted one.
	w = s.Write()
	_, ok = w.GrantByID("org", "agrant_3")
	assert.False(t, ok)
	cs, _ := w.Commit()
	assert.Equal(t, before.Revision(), cs.Revision)
}

func TestAbortAfterCommitIsNoOp(t *testing.T) {
	s := newTestStore(t)
	g := testGrant("agrant_1", "org", "doc", "d", model.User("ann"), model.LevelRead)
	commit := func() (store.ChangeSet, *store.Snapshot) {
		w := s.Write()
		defer w.Abort()
		require.NoError(t, w.PutGrant(g))
		return w.Commit()
	}
	cs, snap := commit()
	assert.Equal(t, uint64(1), cs.Revision)
	assert.Same(t, snap, s.Snapshot())
	_, ok := s.Snapshot().Read().GrantByID("org", "agrant_1")
	assert.True(t, ok)
}

func TestCommitTwicePanics(t *testing.T) {
	s := newTestStore(t)
	w := s.Write()
	w.Commit()
	assert.Panics(t, func() { w.Commit() })
	w2 := s.Write()
	w2.Abort()
	assert.Panics(t, func() { w2.Commit() })
}

func TestSnapshotIsolation(t *testing.T) {
	s := newTestStore(t)
	g1 := testGrant("agrant_1", "org", "doc", "d", model.User("ann"), model.LevelRead)
	commitGrants(t, s, g1)
	old := s.Snapshot()
	oldTxn := old.Read() // a transaction opened before the commit, too

	w := s.Write()
	g2 := testGrant("agrant_2", "org", "doc", "d", model.User("bob"), model.LevelRead)
	require.NoError(t, w.PutGrant(g2))
	g1b := g1
	g1b.Level = model.LevelAdmin
	require.NoError(t, w.PutGrant(g1b))
	_, err := w.AddMembership("org", member(model.User("ann"), model.Role("r")))
	require.NoError(t, err)
	_, newSnap := w.Commit()

	for name, r := range map[string]*store.ReadTxn{"new txn on old snapshot": old.Read(), "old txn": oldTxn} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, uint64(1), r.Revision())
			_, ok := r.GrantByID("org", "agrant_2")
			assert.False(t, ok)
			got, ok := r.GrantByID("org", "agrant_1")
			require.True(t, ok)
			assert.Equal(t, model.LevelRead, got.Level)
			assert.Equal(t, 1, countGrants(t, r, store.GrantScan{Org: "org"}))
			assert.False(t, r.HasMembership("org", member(model.User("ann"), model.Role("r"))))
			assert.Equal(t, "agrant_1", r.MaxGrantID())
		})
	}
	r := newSnap.Read()
	got, ok := r.GrantByID("org", "agrant_1")
	require.True(t, ok)
	assert.Equal(t, model.LevelAdmin, got.Level)
	assert.Equal(t, 2, countGrants(t, r, store.GrantScan{Org: "org"}))
}

func TestChangeSetContents(t *testing.T) {
	s := newTestStore(t)
	a := testGrant("agrant_1", "org", "doc", "d", model.User("ann"), model.LevelRead)
	b := testGrant("agrant_2", "org", "doc", "d", model.User("bob"), model.LevelRead)
	commitGrants(t, s, a)

	w := s.Write()
	require.NoError(t, w.PutGrant(b))
	a2 := a
	a2.Level = model.LevelWrite
	require.NoError(t, w.PutGrant(a2))
	_, err := w.DeleteGrant(b)
	require.NoError(t, err)
	_, err = w.AddMembership("org", member(model.User("ann"), model.Role("r")))
	require.NoError(t, err)
	_, err = w.RemoveMembership("org", member(model.User("ann"), model.Role("r")))
	require.NoError(t, err)
	cs, snap := w.Commit()

	// In the order the transaction made them, later changes superseding.
	require.Len(t, cs.Grants, 3)
	assert.Equal(t, uint64(2), cs.Revision)
	for i, want := range []struct {
		deleted bool
		g       model.Grant
	}{{false, b}, {false, a2}, {true, b}} {
		assert.Equal(t, want.deleted, cs.Grants[i].Deleted, "change %d", i)
		require.NotNil(t, cs.Grants[i].Grant)
		assert.Equal(t, want.g, *cs.Grants[i].Grant, "change %d", i)
	}
	assert.Equal(t, []store.MembershipChange{
		{Org: "org", Membership: member(model.User("ann"), model.Role("r"))},
		{Deleted: true, Org: "org", Membership: member(model.User("ann"), model.Role("r"))},
	}, cs.Memberships)

	// A written grant points at the stored row itself: the very pointer a
	// whole-store scan yields.
	var stored *model.Grant
	require.NoError(t, snap.Read().EachGrant(func(g *model.Grant) bool {
		if g.ID == a2.ID {
			stored = g
		}
		return true
	}))
	assert.Same(t, stored, cs.Grants[1].Grant)
	// A deletion's pointer is the row that was stored (inserted in this
	// same transaction, here).
	assert.Same(t, cs.Grants[0].Grant, cs.Grants[2].Grant)
}

// One writer commits while readers take snapshots and read them; run with
// -race. Every snapshot must show exactly its revision's grants.
func TestConcurrentReadersAndWriter(t *testing.T) {
	const commits, readers = 200, 4
	s := newTestStore(t)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				snap := s.Snapshot()
				r := snap.Read()
				// Revision n holds grants 1..n, one per commit.
				n := 0
				err := r.ScanGrants(store.GrantScan{Org: "org"}, func(string, model.Grant) bool { n++; return true })
				if err == nil && uint64(n) != snap.Revision() {
					err = fmt.Errorf("revision %d shows %d grants", snap.Revision(), n)
				}
				if err == nil && snap.Revision() > 0 {
					id := fmt.Sprintf("agrant_%05d", snap.Revision())
					if _, ok := r.GrantByID("org", id); !ok {
						err = fmt.Errorf("revision %d misses %s", snap.Revision(), id)
					}
					if r.MaxGrantID() != id {
						err = fmt.Errorf("revision %d: max id %s", snap.Revision(), r.MaxGrantID())
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := 1; i <= commits; i++ {
		id := fmt.Sprintf("agrant_%05d", i)
		commitGrants(t, s, testGrant(id, "org", "doc", fmt.Sprintf("d%05d", i), model.User("u"), model.LevelRead))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, uint64(commits), s.Snapshot().Revision())
}

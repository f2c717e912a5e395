package store_test

import (
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func member(m, g model.Subject) model.Membership { return model.Membership{Member: m, Group: g} }

func groupsOf(t *testing.T, r *store.ReadTxn, org string, s model.Subject) []model.Subject {
	t.Helper()
	var out []model.Subject
	require.NoError(t, r.GroupsOf(org, s, func(g model.Subject) bool { out = append(out, g); return true }))
	return out
}

func membersOf(t *testing.T, r *store.ReadTxn, org string, g model.Subject) []model.Subject {
	t.Helper()
	var out []model.Subject
	require.NoError(t, r.MembersOf(org, g, func(m model.Subject) bool { out = append(out, m); return true }))
	return out
}

func membershipsOf(t *testing.T, r *store.ReadTxn, org string) []model.Membership {
	t.Helper()
	var out []model.Membership
	require.NoError(t, r.Memberships(org, func(m model.Membership) bool { out = append(out, m); return true }))
	return out
}

func TestMembershipsAddRemove(t *testing.T) {
	s := newTestStore(t)
	annEng := member(model.User("ann"), model.Department("eng"))

	w := s.Write()
	added, err := w.AddMembership("org", annEng)
	require.NoError(t, err)
	assert.True(t, added)
	assert.True(t, w.HasMembership("org", annEng), "a write reads its own writes")
	added, err = w.AddMembership("org", annEng)
	require.NoError(t, err)
	assert.False(t, added, "adding an existing membership is a no-op")
	cs, snap := w.Commit()
	require.Len(t, cs.Memberships, 1, "the no-op is not in the change set")
	assert.Equal(t, store.MembershipChange{Org: "org", Membership: annEng}, cs.Memberships[0])
	assert.True(t, snap.Read().HasMembership("org", annEng))
	assert.False(t, snap.Read().HasMembership("org2", annEng))

	// Adding it again in a later transaction changes nothing, not even the
	// revision.
	w = s.Write()
	added, err = w.AddMembership("org", annEng)
	require.NoError(t, err)
	assert.False(t, added)
	cs, again := w.Commit()
	assert.Empty(t, cs.Memberships)
	assert.Equal(t, snap.Revision(), cs.Revision)
	assert.Same(t, snap, again)

	w = s.Write()
	removed, err := w.RemoveMembership("org", annEng)
	require.NoError(t, err)
	assert.True(t, removed)
	removed, err = w.RemoveMembership("org", annEng)
	require.NoError(t, err)
	assert.False(t, removed, "removing a membership that is not there is a no-op")
	removed, err = w.RemoveMembership("org", member(model.User("bob"), model.Role("x")))
	require.NoError(t, err)
	assert.False(t, removed)
	cs, snap = w.Commit()
	require.Len(t, cs.Memberships, 1)
	assert.Equal(t, store.MembershipChange{Deleted: true, Org: "org", Membership: annEng}, cs.Memberships[0])
	assert.False(t, snap.Read().HasMembership("org", annEng))
	assert.Empty(t, membershipsOf(t, snap.Read(), "org"))
}

func TestMembershipQueries(t *testing.T) {
	s := newTestStore(t)
	ms := []model.Membership{
		member(model.User("ab"), model.Department("eng")),
		member(model.User("abc"), model.Department("eng")),
		member(model.User("ab"), model.Role("editor")),
		member(model.User("ab"), model.Department("rnd")),
		member(model.Department("eng"), model.Department("rnd")),
		member(model.Role("senior_editor"), model.Role("editor")),
		member(model.User("ab"), model.Role("ab")),
	}
	w := s.Write()
	for _, m := range ms {
		_, err := w.AddMembership("a", m)
		require.NoError(t, err)
	}
	// Same shapes in org "ab", which must not leak into org "a".
	_, err := w.AddMembership("ab", member(model.User("ab"), model.Department("ops")))
	require.NoError(t, err)
	_, err = w.AddMembership("ab", member(model.User("zed"), model.Department("eng")))
	require.NoError(t, err)
	cs, snap := w.Commit()
	require.Len(t, cs.Memberships, len(ms)+2)
	r := snap.Read()

	// Direct groups, in key order (type, then id); "abc"'s are not "ab"'s.
	assert.Equal(t, []model.Subject{model.Department("eng"), model.Department("rnd"), model.Role("ab"), model.Role("editor")},
		groupsOf(t, r, "a", model.User("ab")))
	assert.Equal(t, []model.Subject{model.Department("eng")}, groupsOf(t, r, "a", model.User("abc")))
	assert.Equal(t, []model.Subject{model.Department("rnd")}, groupsOf(t, r, "a", model.Department("eng")))
	assert.Empty(t, groupsOf(t, r, "a", model.User("a")))
	assert.Empty(t, groupsOf(t, r, "a", model.Department("ab")), "a user ab is not a department ab")
	assert.Equal(t, []model.Subject{model.Department("ops")}, groupsOf(t, r, "ab", model.User("ab")))

	// Direct members, in key order.
	assert.Equal(t, []model.Subject{model.User("ab"), model.User("abc")}, membersOf(t, r, "a", model.Department("eng")))
	assert.Equal(t, []model.Subject{model.Department("eng"), model.User("ab")}, membersOf(t, r, "a", model.Department("rnd")))
	assert.Equal(t, []model.Subject{model.Role("senior_editor"), model.User("ab")}, membersOf(t, r, "a", model.Role("editor")))
	assert.Equal(t, []model.Subject{model.User("ab")}, membersOf(t, r, "a", model.Role("ab")))
	assert.Equal(t, []model.Subject{model.User("zed")}, membersOf(t, r, "ab", model.Department("eng")))
	assert.Empty(t, membersOf(t, r, "a", model.Department("e")))

	// Every membership of the organisation, by member.
	got := membershipsOf(t, r, "a")
	assert.ElementsMatch(t, ms, got)
	assert.Len(t, membershipsOf(t, r, "ab"), 2)
	assert.Empty(t, membershipsOf(t, r, "abc"))

	// Stopping early stops.
	n := 0
	require.NoError(t, r.Memberships("a", func(model.Membership) bool { n++; return false }))
	assert.Equal(t, 1, n)
	n = 0
	require.NoError(t, r.MembersOf("a", model.Department("eng"), func(model.Subject) bool { n++; return false }))
	assert.Equal(t, 1, n)
	n = 0
	require.NoError(t, r.GroupsOf("a", model.User("ab"), func(model.Subject) bool { n++; return false }))
	assert.Equal(t, 1, n)
}

// AddMembership and RemoveMembership know what is stored from the state the
// transaction started from and from what it wrote itself, in any order.
func TestMembershipsAddRemoveWithinOneTransaction(t *testing.T) {
	s := newTestStore(t)
	annEng := member(model.User("ann"), model.Department("eng"))
	bobEng := member(model.User("bob"), model.Department("eng"))
	w := s.Write()
	_, err := w.AddMembership("org", bobEng)
	require.NoError(t, err)
	w.Commit()

	w = s.Write()
	steps := []struct {
		name   string
		remove bool
		m      model.Membership
		want   bool // AddMembership: new; RemoveMembership: was there
	}{
		{"add a new one", false, annEng, true},
		{"add it again", false, annEng, false},
		{"add a committed one", false, bobEng, false},
		{"remove the new one", true, annEng, true},
		{"remove it again", true, annEng, false},
		{"add it back", false, annEng, true},
		{"remove a committed one", true, bobEng, true},
		{"remove it again", true, bobEng, false},
		{"add it back", false, bobEng, true},
		{"remove one never stored", true, member(model.User("cy"), model.Department("eng")), false},
	}
	for _, st := range steps {
		var got bool
		if st.remove {
			got, err = w.RemoveMembership("org", st.m)
		} else {
			got, err = w.AddMembership("org", st.m)
		}
		require.NoError(t, err, st.name)
		assert.Equal(t, st.want, got, st.name)
	}
	cs, snap := w.Commit()
	assert.Len(t, cs.Memberships, 5) // the steps that changed something
	assert.ElementsMatch(t, []model.Subject{model.User("ann"), model.User("bob")}, membersOf(t, snap.Read(), "org", model.Department("eng")))
	assert.Equal(t, []model.Subject{model.Department("eng")}, groupsOf(t, snap.Read(), "org", model.User("bob")))
}

// TestAddMemberships adds a batch with a repeat and one already stored: it
// stores each new membership once, lists the new ones in the change set in
// the batch's order, answers by member and by group, and leaves a snapshot
// taken before it as it was.
func TestAddMemberships(t *testing.T) {
	s := newTestStore(t)
	eng, ops := model.Department("eng"), model.Department("ops")
	ann, bob, cy := model.User("ann"), model.User("bob"), model.User("cy")
	w := s.Write()
	_, err := w.AddMembership("org", member(bob, eng))
	require.NoError(t, err)
	_, before := w.Commit()

	w = s.Write()
	batch := []model.Membership{member(cy, ops), member(ann, eng), member(bob, eng), member(cy, ops), member(ann, ops), member(ops, eng)}
	n, err := w.AddMemberships("org", batch)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.True(t, w.HasMembership("org", member(ann, ops)), "a write reads its own writes")
	added, err := w.AddMembership("org", member(ann, eng))
	require.NoError(t, err)
	assert.False(t, added, "a membership the batch stored is there")
	cs, snap := w.Commit()

	var got []model.Membership
	for _, c := range cs.Memberships {
		assert.False(t, c.Deleted)
		assert.Equal(t, "org", c.Org)
		got = append(got, c.Membership)
	}
	assert.Equal(t, []model.Membership{member(cy, ops), member(ann, eng), member(ann, ops), member(ops, eng)}, got)
	r := snap.Read()
	assert.Equal(t, []model.Subject{ops, ann, bob}, membersOf(t, r, "org", eng))
	assert.Equal(t, []model.Subject{ann, cy}, membersOf(t, r, "org", ops))
	assert.Equal(t, []model.Subject{eng, ops}, groupsOf(t, r, "org", ann))
	assert.Equal(t, []model.Subject{bob}, membersOf(t, before.Read(), "org", eng), "an older snapshot keeps its members")
	assert.Empty(t, membersOf(t, before.Read(), "org", ops))
}

// TestMembersByGroupVersions: a group's members are versioned with the
// rest of the store: a transaction that adds to a group, or empties it,
// leaves older snapshots their members, and an aborted one leaves nothing;
// a group of another organisation is its own.
func TestMembersByGroupVersions(t *testing.T) {
	s := newTestStore(t)
	eng := model.Department("eng")
	ann, bob, cy := model.User("ann"), model.User("bob"), model.User("cy")
	w := s.Write()
	_, err := w.AddMemberships("org", []model.Membership{member(bob, eng), member(ann, eng)})
	require.NoError(t, err)
	_, err = w.AddMemberships("org2", []model.Membership{member(cy, eng)})
	require.NoError(t, err)
	_, first := w.Commit()

	w = s.Write()
	_, err = w.AddMembership("org", member(cy, eng))
	require.NoError(t, err)
	assert.Equal(t, []model.Subject{ann, bob, cy}, membersOf(t, &w.ReadTxn, "org", eng), "a write reads its own writes")
	w.Abort()
	assert.Equal(t, []model.Subject{ann, bob}, membersOf(t, first.Read(), "org", eng))

	w = s.Write()
	for _, m := range []model.Membership{member(ann, eng), member(bob, eng)} {
		removed, err := w.RemoveMembership("org", m)
		require.NoError(t, err)
		assert.True(t, removed)
	}
	_, err = w.AddMemberships("org", []model.Membership{member(cy, eng), member(ann, eng)})
	require.NoError(t, err)
	_, second := w.Commit()
	assert.Equal(t, []model.Subject{ann, cy}, membersOf(t, second.Read(), "org", eng))

	w = s.Write()
	for _, m := range []model.Membership{member(ann, eng), member(cy, eng)} {
		_, err := w.RemoveMembership("org", m)
		require.NoError(t, err)
	}
	_, third := w.Commit()
	assert.Empty(t, membersOf(t, third.Read(), "org", eng), "the group emptied")
	assert.Equal(t, []model.Subject{ann, cy}, membersOf(t, second.Read(), "org", eng), "an older snapshot keeps its members")
	assert.Equal(t, []model.Subject{ann, bob}, membersOf(t, first.Read(), "org", eng))
	assert.Equal(t, []model.Subject{cy}, membersOf(t, third.Read(), "org2", eng), "organisations do not share groups")
}

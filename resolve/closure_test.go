package resolve_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

// A user's closure is held with the user (docs/design.md §4.1), so every
// membership change above a user must reach it: these steps move groups
// above alice and check, after each commit, what she reaches; every
// revision keeps its own answers.
func TestUserClosureFollowsGroupMoves(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	alice, team, dept, div := model.User("alice"), model.Department("team"), model.Department("dept"), model.Department("div")
	role := model.Role("auditor")
	member := func(m, g model.Subject) func(w *store.WriteTxn) {
		return func(w *store.WriteTxn) { addMember(t, w, m, g) }
	}
	leave := func(m, g model.Subject) func(w *store.WriteTxn) {
		return func(w *store.WriteTxn) {
			_, err := w.RemoveMembership(org, model.Membership{Member: m, Group: g})
			require.NoError(t, err)
		}
	}
	steps := []struct {
		name string
		fill func(w *store.WriteTxn)
		// reach is what alice may do on d-div, d-dept, d-role.
		reach [3]bool
	}{
		{"grants and alice in team", func(w *store.WriteTxn) {
			putGrant(t, w, "g1", docRef("d-div"), div, model.LevelRead)
			putGrant(t, w, "g2", docRef("d-dept"), dept, model.LevelRead)
			putGrant(t, w, "g3", docRef("d-role"), role, model.LevelRead)
			addMember(t, w, alice, team)
		}, [3]bool{false, false, false}},
		{"team joins dept", member(team, dept), [3]bool{false, true, false}},
		{"dept joins div", member(dept, div), [3]bool{true, true, false}},
		{"div joins the role", member(div, role), [3]bool{true, true, true}},
		{"team leaves dept", leave(team, dept), [3]bool{false, false, false}},
		{"team joins div", member(team, div), [3]bool{true, false, true}},
		{"alice leaves team", leave(alice, team), [3]bool{false, false, false}},
		{"alice joins dept", member(alice, dept), [3]bool{true, true, true}},
	}
	ix := (*resolve.Index)(nil)
	var revisions []*resolve.Index
	at := now.UnixNano()
	for _, step := range steps {
		cs, _ := commit(t, st, step.fill)
		ix = ix.Apply(cs)
		revisions = append(revisions, ix)
	}
	for i, step := range steps {
		for j, doc := range []string{"d-div", "d-dept", "d-role"} {
			assert.Equal(t, step.reach[j], revisions[i].Check(org, "alice", docRef(doc), model.LevelRead, at), "after %q, %s", step.name, doc)
		}
	}
}

// A user in many groups (more than fit a closure filter's bits without
// collisions) reaches exactly those groups.
func TestUserClosureOfManyGroups(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	cs, _ := commit(t, st, func(w *store.WriteTxn) {
		for i := range 300 {
			g := model.Role("r" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)))
			if i%3 == 0 {
				addMember(t, w, model.User("many"), g)
			}
			putGrant(t, w, "g"+g.ID, docRef("d"+g.ID), g, model.LevelRead)
		}
	})
	ix := (*resolve.Index)(nil).Apply(cs)
	at := now.UnixNano()
	for i := range 300 {
		id := "r" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		assert.Equal(t, i%3 == 0, ix.Check(org, "many", docRef("d"+id), model.LevelRead, at), id)
	}
}

// The maps hold short ids' bytes in their keys and long ids as strings:
// ids on either side of the boundary, and long ids that share a long
// prefix, stay apart.
func TestKeysOfShortAndLongIDs(t *testing.T) {
	ids := []string{
		strings.Repeat("a", 23), strings.Repeat("a", 24), strings.Repeat("a", 25),
		strings.Repeat("a", 24) + "b", strings.Repeat("a", 40) + "1", strings.Repeat("a", 40) + "2",
		"b", "a",
	}
	st, err := store.New()
	require.NoError(t, err)
	cs, _ := commit(t, st, func(w *store.WriteTxn) {
		for i, id := range ids {
			putGrant(t, w, "g"+id, docRef(id), model.User(id), model.LevelRead)
			if i%2 == 0 {
				addMember(t, w, model.User(id), model.Department(id))
				putGrant(t, w, "gd"+id, docRef("dept-"+id), model.Department(id), model.LevelWrite)
			}
		}
	})
	ix := (*resolve.Index)(nil).Apply(cs)
	at := now.UnixNano()
	for i, user := range ids {
		for j, doc := range ids {
			assert.Equal(t, i == j, ix.Check(org, user, docRef(doc), model.LevelRead, at), "%s on %s", user, doc)
			assert.Equal(t, i == j && j%2 == 0, ix.Check(org, user, docRef("dept-"+doc), model.LevelWrite, at), "%s on dept-%s", user, doc)
		}
		assert.True(t, ix.CheckSubject(org, model.User(user), docRef(user), model.LevelRead, at))
	}
	assert.False(t, ix.Check(org, strings.Repeat("a", 41), docRef(strings.Repeat("a", 40)+"1"), model.LevelRead, at))
	// A zero byte (which no valid id holds) is not padding: such an id is
	// unknown, whatever its prefix.
	allowed, known := ix.CheckKnown(org, "b\x00", docRef("b\x00"), model.LevelRead, at)
	assert.False(t, allowed)
	assert.Zero(t, known)
}

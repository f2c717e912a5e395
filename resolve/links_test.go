package resolve_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
	"github.com/grantdb/grantdb/store"
)

func folderRef(id string) model.EntityRef { return model.EntityRef{Type: "folder", ID: id} }

func addLink(t *testing.T, w *store.WriteTxn, child, parent model.EntityRef) {
	t.Helper()
	_, err := w.AddLink(org, model.EntityLink{Child: child, Parent: parent})
	require.NoError(t, err)
}

// A link change rebuilds the ancestor sets below it in the new revision
// only: readers of the older one keep their view.
func TestApplyLinksLeavesOlderRevisionsUnchanged(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	cs1, _ := commit(t, st, func(w *store.WriteTxn) {
		addLink(t, w, docRef("d1"), folderRef("sub"))
		addLink(t, w, folderRef("sub"), folderRef("root"))
		putGrant(t, w, "g1", folderRef("root"), model.User("alice"), model.LevelWrite)
	})
	ix1 := (*resolve.Index)(nil).Apply(cs1)
	cs2, _ := commit(t, st, func(w *store.WriteTxn) {
		_, err := w.RemoveLink(org, model.EntityLink{Child: folderRef("sub"), Parent: folderRef("root")})
		require.NoError(t, err)
		addLink(t, w, folderRef("other"), folderRef("root"))
	})
	ix2 := ix1.Apply(cs2)

	at := now.UnixNano()
	assert.True(t, ix1.Check(org, "alice", docRef("d1"), model.LevelWrite, at))
	assert.False(t, ix1.Check(org, "alice", folderRef("other"), model.LevelRead, at))
	assert.Equal(t, 2, ix1.Links())

	assert.False(t, ix2.Check(org, "alice", docRef("d1"), model.LevelRead, at), "the grandchild lost root's grant")
	assert.True(t, ix2.Check(org, "alice", folderRef("other"), model.LevelWrite, at))
	assert.Equal(t, 2, ix2.Links())
}

// Denies and links are counted, and an index left with neither answers as
// before; Build from a snapshot gives the same index.
func TestDenyAndLinkCounts(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	deny := model.Grant{ID: "g2", Org: org, Entity: docRef("d1"), Grantee: model.User("alice"),
		Level: model.LevelWrite, Effect: model.EffectDeny, CreatedAt: now, UpdatedAt: now}
	cs1, snap := commit(t, st, func(w *store.WriteTxn) {
		putGrant(t, w, "g1", docRef("d1"), model.User("alice"), model.LevelAdmin)
		require.NoError(t, w.PutGrant(deny))
		addLink(t, w, docRef("d1"), folderRef("f1"))
	})
	ix1 := (*resolve.Index)(nil).Apply(cs1)
	assert.Equal(t, 1, ix1.Denies())
	assert.Equal(t, 1, ix1.Links())
	assert.Equal(t, 2, ix1.Grants(), "an allow and a deny of one pair are two grants")
	at := now.UnixNano()
	assert.True(t, ix1.Check(org, "alice", docRef("d1"), model.LevelRead, at))
	assert.False(t, ix1.Check(org, "alice", docRef("d1"), model.LevelWrite, at))

	built, err := resolve.Build(snap)
	require.NoError(t, err)
	assert.Equal(t, ix1.Denies(), built.Denies())
	assert.Equal(t, ix1.Links(), built.Links())
	assert.Equal(t, ix1.Resolve(org, "alice", docRef("d1"), at), built.Resolve(org, "alice", docRef("d1"), at))

	cs2, _ := commit(t, st, func(w *store.WriteTxn) {
		_, err := w.DeleteGrant(deny)
		require.NoError(t, err)
		_, err = w.RemoveLink(org, model.EntityLink{Child: docRef("d1"), Parent: folderRef("f1")})
		require.NoError(t, err)
	})
	ix2 := ix1.Apply(cs2)
	assert.Zero(t, ix2.Denies())
	assert.Zero(t, ix2.Links())
	assert.True(t, ix2.Check(org, "alice", docRef("d1"), model.LevelAdmin, at))
	assert.Equal(t, 1, ix1.Denies(), "the older revision still counts its deny")
}

// A change set listing a link that is there, or the removal of one that is
// not (a journal replayed over the state it made), changes nothing: the
// counts and answers stay.
func TestApplyLinkNoOps(t *testing.T) {
	st, err := store.New()
	require.NoError(t, err)
	cs1, _ := commit(t, st, func(w *store.WriteTxn) {
		addLink(t, w, docRef("d1"), folderRef("f1"))
		putGrant(t, w, "g1", folderRef("f1"), model.User("alice"), model.LevelRead)
	})
	ix1 := (*resolve.Index)(nil).Apply(cs1)
	again := store.ChangeSet{Revision: cs1.Revision + 1, Links: []store.LinkChange{
		{Org: org, Link: model.EntityLink{Child: docRef("d1"), Parent: folderRef("f1")}},
		{Deleted: true, Org: org, Link: model.EntityLink{Child: docRef("d2"), Parent: folderRef("f1")}},
	}}
	ix2 := ix1.Apply(again)
	at := now.UnixNano()
	assert.Equal(t, 1, ix2.Links())
	assert.True(t, ix2.Check(org, "alice", docRef("d1"), model.LevelRead, at))
	assert.False(t, ix2.Check(org, "alice", docRef("d2"), model.LevelRead, at))
	assert.Equal(t, ix1.Resolve(org, "alice", docRef("d2"), at), ix2.Resolve(org, "alice", docRef("d2"), at))
}

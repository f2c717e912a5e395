package store_test

import (
	"testing"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ent(typ, id string) model.EntityRef { return model.EntityRef{Type: typ, ID: id} }

func link(child, parent model.EntityRef) model.EntityLink {
	return model.EntityLink{Child: child, Parent: parent}
}

func TestLinksAddRemove(t *testing.T) {
	s := newTestStore(t)
	d1, d2, f1, f2 := ent("document", "d1"), ent("document", "d2"), ent("folder", "f1"), ent("folder", "f2")

	w := s.Write()
	for _, l := range []model.EntityLink{link(d1, f1), link(d1, f2), link(d2, f1)} {
		added, err := w.AddLink("org", l)
		require.NoError(t, err)
		assert.True(t, added)
	}
	added, err := w.AddLink("org", link(d1, f1))
	require.NoError(t, err)
	assert.False(t, added, "adding an existing link is a no-op")
	assert.True(t, w.HasLink("org", link(d1, f1)), "a write reads its own writes")
	cs, snap := w.Commit()
	assert.Len(t, cs.Links, 3, "the no-op is not in the change set")
	assert.Equal(t, store.LinkChange{Org: "org", Link: link(d1, f1)}, cs.Links[0])

	r := snap.Read()
	assert.False(t, r.HasLink("org2", link(d1, f1)), "links are scoped to their organisation")
	var parents, children []model.EntityRef
	require.NoError(t, r.ParentsOf("org", d1, func(p model.EntityRef) bool { parents = append(parents, p); return true }))
	assert.Equal(t, []model.EntityRef{f1, f2}, parents)
	require.NoError(t, r.ChildrenOf("org", f1, func(c model.EntityRef) bool { children = append(children, c); return true }))
	assert.Equal(t, []model.EntityRef{d1, d2}, children)
	var all []model.EntityLink
	require.NoError(t, r.Links("org", func(l model.EntityLink) bool { all = append(all, l); return true }))
	assert.Len(t, all, 3)
	n := 0
	require.NoError(t, r.EachLink(func(org string, _ model.EntityLink) bool { n++; return org == "org" }))
	assert.Equal(t, 3, n)

	w = s.Write()
	removed, err := w.RemoveLink("org", link(d1, f1))
	require.NoError(t, err)
	assert.True(t, removed)
	removed, err = w.RemoveLink("org", link(d1, f1))
	require.NoError(t, err)
	assert.False(t, removed, "removing a missing link is a no-op")
	cs, snap = w.Commit()
	assert.Equal(t, []store.LinkChange{{Deleted: true, Org: "org", Link: link(d1, f1)}}, cs.Links)
	assert.False(t, snap.Read().HasLink("org", link(d1, f1)))

	// A commit of only no-ops commits no revision.
	w = s.Write()
	_, err = w.RemoveLink("org", link(d1, f1))
	require.NoError(t, err)
	cs, again := w.Commit()
	assert.Empty(t, cs.Links)
	assert.Same(t, snap, again)
}

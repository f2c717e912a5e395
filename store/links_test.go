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

func TestAddLinks(t *testing.T) {
	s := newTestStore(t)
	d1, d2, d3, f1, f2 := ent("document", "d1"), ent("document", "d2"), ent("document", "d3"), ent("folder", "f1"), ent("folder", "f2")

	w := s.Write()
	_, err := w.AddLink("org", link(d1, f1))
	require.NoError(t, err)
	_, snap := w.Commit()

	w = s.Write()
	added, err := w.AddLinks("org", nil)
	require.NoError(t, err)
	assert.Zero(t, added, "no links, nothing added")
	_, err = w.AddLink("org", link(d3, f2))
	require.NoError(t, err)
	// Out of key order, with a stored link, one this transaction wrote, a
	// second copy within the call, and another organisation's namesake.
	added, err = w.AddLinks("org", []model.EntityLink{link(d2, f2), link(d1, f1), link(d3, f2), link(d2, f1), link(d2, f2), link(d1, f2)})
	require.NoError(t, err)
	assert.Equal(t, 3, added)
	added, err = w.AddLinks("org2", []model.EntityLink{link(d1, f1)})
	require.NoError(t, err)
	assert.Equal(t, 1, added, "organisations do not share links")
	cs, snap2 := w.Commit()
	assert.Equal(t, []store.LinkChange{
		{Org: "org", Link: link(d3, f2)},
		{Org: "org", Link: link(d2, f2)}, {Org: "org", Link: link(d2, f1)}, {Org: "org", Link: link(d1, f2)},
		{Org: "org2", Link: link(d1, f1)},
	}, cs.Links, "the new links, in the order of the calls")

	r := snap2.Read()
	var children []model.EntityRef
	require.NoError(t, r.ChildrenOf("org", f2, func(c model.EntityRef) bool { children = append(children, c); return true }))
	assert.Equal(t, []model.EntityRef{d1, d2, d3}, children, "children by parent, in key order")
	var parents []model.EntityRef
	require.NoError(t, r.ParentsOf("org", d2, func(p model.EntityRef) bool { parents = append(parents, p); return true }))
	assert.Equal(t, []model.EntityRef{f1, f2}, parents)
	children = nil
	require.NoError(t, snap.Read().ChildrenOf("org", f2, func(c model.EntityRef) bool { children = append(children, c); return true }))
	assert.Empty(t, children, "an older snapshot keeps its own view")

	// An aborted transaction leaves nothing, in memdb or beside it.
	w = s.Write()
	_, err = w.AddLinks("org", []model.EntityLink{link(d3, f1)})
	require.NoError(t, err)
	w.Abort()
	_, now := s.Write().Commit()
	r = now.Read()
	assert.False(t, r.HasLink("org", link(d3, f1)))
	children = nil
	require.NoError(t, r.ChildrenOf("org", f1, func(c model.EntityRef) bool { children = append(children, c); return true }))
	assert.Equal(t, []model.EntityRef{d1, d2}, children)

	// A removed link leaves its parent's children too.
	w = s.Write()
	removed, err := w.RemoveLink("org", link(d2, f1))
	require.NoError(t, err)
	assert.True(t, removed)
	_, snap3 := w.Commit()
	children = nil
	require.NoError(t, snap3.Read().ChildrenOf("org", f1, func(c model.EntityRef) bool { children = append(children, c); return true }))
	assert.Equal(t, []model.EntityRef{d1}, children)
}

// Links live in btrees beside memdb, cloned per transaction: a snapshot
// keeps the links it was taken with, by child and by parent, whatever later
// commits add or remove, and an aborted write leaves no trace.
func TestLinksAreVersionedWithTheSnapshot(t *testing.T) {
	s := newTestStore(t)
	d1, d2, f1 := ent("document", "d1"), ent("document", "d2"), ent("folder", "f1")
	w := s.Write()
	_, err := w.AddLinks("org", []model.EntityLink{link(d1, f1)})
	require.NoError(t, err)
	_, before := w.Commit()

	w = s.Write()
	_, err = w.AddLinks("org", []model.EntityLink{link(d2, f1)})
	require.NoError(t, err)
	removed, err := w.RemoveLink("org", link(d1, f1))
	require.NoError(t, err)
	require.True(t, removed)
	_, after := w.Commit()

	aborted := s.Write()
	_, err = aborted.AddLinks("org", []model.EntityLink{link(d1, ent("folder", "f9"))})
	require.NoError(t, err)
	aborted.Abort()

	linksOf := func(snap *store.Snapshot) (all []model.EntityLink, children []model.EntityRef) {
		r := snap.Read()
		require.NoError(t, r.EachLink(func(_ string, l model.EntityLink) bool { all = append(all, l); return true }))
		require.NoError(t, r.ChildrenOf("org", f1, func(c model.EntityRef) bool { children = append(children, c); return true }))
		return all, children
	}
	all, children := linksOf(before)
	assert.Equal(t, []model.EntityLink{link(d1, f1)}, all)
	assert.Equal(t, []model.EntityRef{d1}, children)
	assert.True(t, before.Read().HasLink("org", link(d1, f1)))

	all, children = linksOf(after)
	assert.Equal(t, []model.EntityLink{link(d2, f1)}, all)
	assert.Equal(t, []model.EntityRef{d2}, children)
	assert.False(t, after.Read().HasLink("org", link(d1, f1)))

	all, _ = linksOf(s.Snapshot())
	assert.Equal(t, []model.EntityLink{link(d2, f1)}, all, "the aborted write left nothing")
}

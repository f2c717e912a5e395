package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

func linkOf(child, parent model.EntityRef) model.EntityLink {
	return model.EntityLink{Child: child, Parent: parent}
}

func TestHierarchyRules(t *testing.T) {
	ann, eng := model.User("ann"), model.Department("eng")
	cases := []struct {
		name  string
		rule  string
		links []model.EntityLink
		grant model.GrantInput
		ask   model.EntityRef
		level model.Level
		// entities is the expected Path.Entities of the one grant in Via.
		entities []model.EntityRef
		chain    []model.Subject
	}{
		{
			name: "direct grant", rule: "a direct grant's path has just the asked entity",
			grant: allowOf(doc("d1"), ann, model.LevelWrite), ask: doc("d1"),
			level: model.LevelWrite, entities: []model.EntityRef{doc("d1")},
		},
		{
			name: "folder's grant reaches its document", rule: "grants on an entity apply to every entity below it",
			links: []model.EntityLink{linkOf(doc("d1"), folder("f1"))},
			grant: allowOf(folder("f1"), ann, model.LevelRead), ask: doc("d1"),
			level: model.LevelRead, entities: []model.EntityRef{doc("d1"), folder("f1")},
		},
		{
			name: "transitively", rule: "transitively",
			links: []model.EntityLink{linkOf(doc("d1"), folder("sub")), linkOf(folder("sub"), folder("root"))},
			grant: allowOf(folder("root"), eng, model.LevelAdmin), ask: doc("d1"),
			level: model.LevelAdmin, entities: []model.EntityRef{doc("d1"), folder("sub"), folder("root")}, chain: []model.Subject{ann, eng},
		},
		{
			name: "never upwards", rule: "a grant on a child gives nothing on its parent",
			links: []model.EntityLink{linkOf(doc("d1"), folder("f1"))},
			grant: allowOf(doc("d1"), ann, model.LevelRead), ask: folder("f1"),
		},
		{
			name: "shortest entity chain", rule: "the shortest entity chain is given",
			links: []model.EntityLink{
				linkOf(doc("d1"), folder("a")), linkOf(folder("a"), folder("b")), linkOf(folder("b"), folder("root")),
				linkOf(doc("d1"), folder("z")), linkOf(folder("z"), folder("root")),
			},
			grant: allowOf(folder("root"), ann, model.LevelRead), ask: doc("d1"),
			level: model.LevelRead, entities: []model.EntityRef{doc("d1"), folder("z"), folder("root")},
		},
		{
			name: "ties by byte order", rule: "among equally short chains the least, entity by entity",
			links: []model.EntityLink{
				linkOf(doc("d1"), folder("y")), linkOf(folder("y"), folder("root")),
				linkOf(doc("d1"), folder("x")), linkOf(folder("x"), folder("root")),
			},
			grant: allowOf(folder("root"), ann, model.LevelRead), ask: doc("d1"),
			level: model.LevelRead, entities: []model.EntityRef{doc("d1"), folder("x"), folder("root")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			ctx := context.Background()
			require.NoError(t, e.AddMembers(ctx, testOrg, membership(ann, eng)))
			if len(c.links) > 0 {
				require.NoError(t, e.LinkEntities(ctx, testOrg, c.links...))
			}
			g := mustCreate(t, e, testOrg, c.grant)
			d, err := e.Resolve(ctx, testOrg, "ann", c.ask)
			require.NoError(t, err)
			assert.Equal(t, c.level, d.Level, c.rule)
			if c.level == model.LevelNone {
				assert.Empty(t, d.Via)
				return
			}
			chain := c.chain
			if chain == nil {
				chain = []model.Subject{ann}
			}
			assert.Equal(t, []resolve.Path{pathOf(g, c.entities, chain...)}, d.Via, c.rule)
			ok, err := e.Check(ctx, testOrg, "ann", c.ask, c.level)
			require.NoError(t, err)
			assert.True(t, ok, c.rule)
		})
	}
}

// An entity in several parents gets the grants of all of them, each
// explained by its own chain.
func TestHierarchySeveralParents(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.LinkEntities(ctx, testOrg, linkOf(doc("d1"), folder("f1")), linkOf(doc("d1"), folder("f2"))))
	g1 := mustCreate(t, e, testOrg, allowOf(folder("f1"), model.User("ann"), model.LevelWrite))
	g2 := mustCreate(t, e, testOrg, allowOf(folder("f2"), model.Role("ops"), model.LevelWrite))
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(model.User("ann"), model.Role("ops"))))
	d, err := e.Resolve(ctx, testOrg, "ann", doc("d1"))
	require.NoError(t, err)
	assert.Equal(t, model.LevelWrite, d.Level)
	assert.Equal(t, []resolve.Path{
		pathOf(g1, []model.EntityRef{doc("d1"), folder("f1")}, model.User("ann")),
		pathOf(g2, []model.EntityRef{doc("d1"), folder("f2")}, model.User("ann"), model.Role("ops")),
	}, d.Via)

	// Unlinking one parent takes its grants away, and only its.
	require.NoError(t, e.UnlinkEntities(ctx, testOrg, linkOf(doc("d1"), folder("f1"))))
	d, err = e.Resolve(ctx, testOrg, "ann", doc("d1"))
	require.NoError(t, err)
	assert.Equal(t, []string{g2.ID}, []string{d.Via[0].Grant.ID})
	require.NoError(t, e.UnlinkEntities(ctx, testOrg, linkOf(doc("d1"), folder("f2"))))
	ok, err := e.Check(ctx, testOrg, "ann", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestLinkEntitiesRefusals(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.LinkEntities(ctx, testOrg, linkOf(doc("d1"), folder("sub")), linkOf(folder("sub"), folder("root"))))
	mustCreate(t, e, testOrg, allowOf(folder("root"), model.User("ann"), model.LevelRead))
	// Were x linked into y, ann would read x.
	mustCreate(t, e, testOrg, allowOf(folder("y"), model.User("ann"), model.LevelRead))

	cases := []struct {
		name     string
		links    []model.EntityLink
		sentinel error
		field    string
	}{
		{"itself", []model.EntityLink{linkOf(folder("root"), folder("root"))}, model.ErrConflict, model.FieldParentID},
		{"a cycle", []model.EntityLink{linkOf(folder("root"), doc("d1"))}, model.ErrConflict, model.FieldParentID},
		{"a cycle within the call", []model.EntityLink{linkOf(folder("x"), folder("y")), linkOf(folder("y"), folder("x"))}, model.ErrConflict, model.FieldParentID},
		{"bad child type", []model.EntityLink{linkOf(folder("x"), folder("y")), linkOf(model.EntityRef{Type: "Doc", ID: "d"}, folder("y"))}, model.ErrValidation, model.FieldChildType},
		{"bad child id", []model.EntityLink{linkOf(model.EntityRef{Type: "document"}, folder("y"))}, model.ErrValidation, model.FieldChildID},
		{"bad parent type", []model.EntityLink{linkOf(doc("d2"), model.EntityRef{ID: "y"})}, model.ErrValidation, model.FieldParentType},
		{"bad parent id", []model.EntityLink{linkOf(doc("d2"), model.EntityRef{Type: "folder", ID: "a\x00"})}, model.ErrValidation, model.FieldParentID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.LinkEntities(ctx, testOrg, c.links...)
			requireModelError(t, err, c.sentinel, c.field)
			// Atomic: nothing of the call was applied.
			d, err := e.Resolve(ctx, testOrg, "ann", folder("x"))
			require.NoError(t, err)
			assert.Equal(t, model.LevelNone, d.Level)
		})
	}
	// The tree is as it was.
	ok, err := e.Check(ctx, testOrg, "ann", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = e.Check(ctx, testOrg, "ann", folder("x"), model.LevelRead)
	require.NoError(t, err)
	assert.False(t, ok)

	// An existing link and removing a missing one are no-ops; unlinking an
	// entity "from itself" too.
	require.NoError(t, e.LinkEntities(ctx, testOrg, linkOf(doc("d1"), folder("sub"))))
	require.NoError(t, e.UnlinkEntities(ctx, testOrg, linkOf(doc("d9"), folder("sub")), linkOf(doc("d1"), doc("d1"))))
	ok, err = e.Check(ctx, testOrg, "ann", doc("d1"), model.LevelRead)
	require.NoError(t, err)
	assert.True(t, ok, "the no-ops changed nothing")
	requireModelError(t, e.UnlinkEntities(ctx, testOrg, linkOf(doc(""), folder("sub"))), model.ErrValidation, model.FieldChildID)
}

// TestLinkEntitiesNamesFirstCycle: a call whose links close a cycle, with
// the stored ones or among themselves, is refused naming the first link that
// closes one given the stored links and those before it, and links nothing.
func TestLinkEntitiesNamesFirstCycle(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.LinkEntities(ctx, testOrg, linkOf(folder("sub"), folder("root"))))

	cases := []struct {
		name  string
		links []model.EntityLink
		first int // the link the error names
	}{
		{"through the stored links", []model.EntityLink{
			linkOf(folder("a"), folder("b")), linkOf(folder("root"), folder("a")),
			linkOf(folder("b"), folder("sub")), linkOf(folder("c"), folder("d")),
		}, 2},
		{"two cycles, the earlier closed later", []model.EntityLink{
			linkOf(folder("x"), folder("y")), linkOf(folder("p"), folder("q")),
			linkOf(folder("q"), folder("p")), linkOf(folder("y"), folder("x")),
		}, 2},
		{"a duplicate before it", []model.EntityLink{
			linkOf(folder("sub"), folder("root")), linkOf(folder("sub"), folder("root")),
			linkOf(folder("root"), folder("sub")),
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.LinkEntities(ctx, testOrg, c.links...)
			requireModelError(t, err, model.ErrConflict, model.FieldParentID)
			l := c.links[c.first]
			assert.Contains(t, err.Error(), "putting "+l.Child.String()+" inside "+l.Parent.String())
			links, err := e.Links(ctx, testOrg)
			require.NoError(t, err)
			assert.Equal(t, []model.EntityLink{linkOf(folder("sub"), folder("root"))}, links, "nothing of the call is linked")
		})
	}
	// A call whose links only look like a cycle (a diamond) goes through.
	require.NoError(t, e.LinkEntities(ctx, testOrg,
		linkOf(doc("d"), folder("l")), linkOf(doc("d"), folder("r")),
		linkOf(folder("l"), folder("root")), linkOf(folder("r"), folder("root"))))
}

func TestEntityTypesBindLinks(t *testing.T) {
	e, _ := newTestEngine(t, engine.WithEntityTypes("document", "folder"))
	err := e.LinkEntities(context.Background(), testOrg, linkOf(doc("d1"), model.EntityRef{Type: "fleet", ID: "f"}))
	requireModelError(t, err, model.ErrValidation, model.FieldParentType)
}

func TestHierarchyLists(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	require.NoError(t, e.AddMembers(ctx, testOrg, membership(model.User("bob"), model.Department("eng"))))
	require.NoError(t, e.LinkEntities(ctx, testOrg,
		linkOf(doc("d1"), folder("sub")), linkOf(doc("d2"), folder("sub")),
		linkOf(folder("sub"), folder("root")), linkOf(doc("d3"), folder("root")),
	))
	onRoot := mustCreate(t, e, testOrg, allowOf(folder("root"), model.User("ann"), model.LevelRead))
	mustCreate(t, e, testOrg, allowOf(folder("sub"), model.Department("eng"), model.LevelWrite))
	mustCreate(t, e, testOrg, denyOf(doc("d2"), model.User("ann"), model.LevelRead))

	got, err := e.ResolvedAccess(ctx, testOrg, "ann", resolve.Query{})
	require.NoError(t, err)
	var ents []model.EntityRef
	for _, d := range got {
		ents = append(ents, d.Entity)
	}
	assert.Equal(t, []model.EntityRef{doc("d1"), doc("d3"), folder("root"), folder("sub")}, ents,
		"every entity reached, inherited ones included, denies honoured (d2), sorted")
	got, err = e.ResolvedAccess(ctx, testOrg, "ann", resolve.Query{EntityType: "document"})
	require.NoError(t, err)
	require.Len(t, got, 2, "a grant on a folder reaches documents of the asked type")
	assert.Equal(t, []resolve.Path{pathOf(onRoot, []model.EntityRef{doc("d1"), folder("sub"), folder("root")}, model.User("ann"))}, got[0].Via)

	users, err := e.UsersWithAccess(ctx, testOrg, doc("d2"), model.LevelRead)
	require.NoError(t, err)
	require.Len(t, users, 1, "users of grants on parents count; ann is denied")
	assert.Equal(t, "bob", users[0].User)
	assert.Equal(t, model.LevelWrite, users[0].Level)
	assert.Equal(t, []model.EntityRef{doc("d2"), folder("sub")}, users[0].Via[0].Entities)

	// ListGrants lists direct grants only.
	assert.Empty(t, listAll(t, e, testOrg, model.GrantQuery{Entity: doc("d1")}))
	assert.Len(t, listAll(t, e, testOrg, model.GrantQuery{Entity: folder("sub")}), 1)
}

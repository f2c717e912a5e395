package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

func TestLinksListsOneOrg(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	doc := func(id string) model.EntityRef { return model.EntityRef{Type: "document", ID: id} }
	folder := func(id string) model.EntityRef { return model.EntityRef{Type: "folder", ID: id} }
	in := []model.EntityLink{
		{Child: doc("d2"), Parent: folder("f1")},
		{Child: folder("f1"), Parent: folder("root")},
		{Child: doc("d1"), Parent: folder("f2")},
		{Child: doc("d1"), Parent: folder("f1")},
	}
	require.NoError(t, e.LinkEntities(ctx, testOrg, in...))
	require.NoError(t, e.LinkEntities(ctx, otherOrg, model.EntityLink{Child: doc("x"), Parent: folder("y")}))

	ls, err := e.Links(ctx, testOrg)
	require.NoError(t, err)
	assert.Equal(t, []model.EntityLink{in[3], in[2], in[0], in[1]}, ls, "by child, then parent")

	require.NoError(t, e.UnlinkEntities(ctx, testOrg, in[0]))
	ls, err = e.Links(ctx, testOrg)
	require.NoError(t, err)
	assert.NotContains(t, ls, in[0])
	assert.Len(t, ls, 3)

	ls, err = e.Links(ctx, "org_empty")
	require.NoError(t, err)
	assert.Empty(t, ls)

	_, err = e.Links(ctx, "")
	assert.ErrorIs(t, err, model.ErrValidation)

	require.NoError(t, e.Close())
	_, err = e.Links(ctx, testOrg)
	assert.ErrorIs(t, err, model.ErrClosed)
}

func TestOrganizationsCountsOrgsWithOnlyLinks(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	require.NoError(t, e.LinkEntities(ctx, "org_links", model.EntityLink{
		Child:  model.EntityRef{Type: "document", ID: "d"},
		Parent: model.EntityRef{Type: "folder", ID: "f"},
	}))
	orgs, err := e.Organizations(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"org_links"}, orgs)
}

package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

func TestOrganizationsListsOrgsWithGrantsOrMemberships(t *testing.T) {
	ctx := context.Background()
	e, clock := newTestEngine(t)

	orgs, err := e.Organizations(ctx)
	require.NoError(t, err)
	assert.Empty(t, orgs)

	mustCreate(t, e, "org_b", grantInput("d1", "usr_a"))
	require.NoError(t, e.AddMembers(ctx, "org_a", model.Membership{Member: model.User("usr_a"), Group: model.Role("r")}))
	ending := grantInput("d1", "usr_a")
	ending.EffectiveTo = clock.Now().Add(time.Hour)
	mustCreate(t, e, "org_c", ending)

	orgs, err = e.Organizations(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"org_a", "org_b", "org_c"}, orgs)

	clock.Advance(2 * time.Hour) // org_c's only grant has ended
	orgs, err = e.Organizations(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"org_a", "org_b"}, orgs)
}

func TestMembershipsListsOneOrg(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	in := []model.Membership{
		{Member: model.User("usr_b"), Group: model.Department("d")},
		{Member: model.Department("d"), Group: model.Department("top")},
		{Member: model.User("usr_a"), Group: model.Role("r")},
	}
	require.NoError(t, e.AddMembers(ctx, testOrg, in...))
	require.NoError(t, e.AddMembers(ctx, otherOrg, model.Membership{Member: model.User("usr_x"), Group: model.Role("r")}))

	ms, err := e.Memberships(ctx, testOrg)
	require.NoError(t, err)
	assert.ElementsMatch(t, in, ms)

	ms, err = e.Memberships(ctx, "org_empty")
	require.NoError(t, err)
	assert.Empty(t, ms)

	_, err = e.Memberships(ctx, "")
	assert.ErrorIs(t, err, model.ErrValidation)
}

func TestOrganizationsAfterClose(t *testing.T) {
	e, _ := newTestEngine(t)
	require.NoError(t, e.Close())
	_, err := e.Organizations(context.Background())
	assert.ErrorIs(t, err, model.ErrClosed)
	_, err = e.Memberships(context.Background(), testOrg)
	assert.ErrorIs(t, err, model.ErrClosed)
}

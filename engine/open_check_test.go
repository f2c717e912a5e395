package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/engine"
	"github.com/grantdb/grantdb/model"
)

func TestOpenRefusesEmptyPath(t *testing.T) {
	e, err := engine.Open(engine.WithPath(""))
	if e != nil {
		_ = e.Close()
	}
	require.Error(t, err, "an empty path is not an in-memory engine")
	assert.ErrorIs(t, err, model.ErrValidation)
	var me *model.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, engine.FieldPath, me.Field)
}

func TestOpenRefusesStoredTypesLeftOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	e, err := engine.Open(engine.WithPath(dir))
	require.NoError(t, err)
	ctx := context.Background()
	for _, in := range []model.GrantInput{
		{Entity: model.EntityRef{Type: "document", ID: "d1"}, Grantee: model.User("u1"), Level: model.LevelRead},
		{Entity: model.EntityRef{Type: "folder", ID: "f1"}, Grantee: model.User("u1"), Level: model.LevelRead},
		{Entity: model.EntityRef{Type: "sheet", ID: "s1"}, Grantee: model.User("u1"), Level: model.LevelRead},
	} {
		_, err := e.CreateGrant(ctx, testOrg, in)
		require.NoError(t, err)
	}
	require.NoError(t, e.Close())

	_, err = engine.Open(engine.WithPath(dir), engine.WithEntityTypes("document"))
	require.Error(t, err)
	assert.ErrorIs(t, err, model.ErrValidation)
	assert.Contains(t, err.Error(), "'folder', 'sheet'")
	assert.NotContains(t, err.Error(), "'document'")

	// The refusal released the directory: it opens with the types it holds.
	e, err = engine.Open(engine.WithPath(dir), engine.WithEntityTypes("document", "folder", "sheet"))
	require.NoError(t, err)
	page, err := e.ListGrants(ctx, testOrg, model.GrantQuery{})
	require.NoError(t, err)
	assert.Len(t, page.Grants, 3)
	require.NoError(t, e.Close())
}

func TestOpenErrorNamesPathOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	e, err := engine.Open(engine.WithPath(dir))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	_, err = engine.Open(engine.WithPath(dir))
	require.Error(t, err)
	assert.True(t, errors.Is(err, engine.ErrLocked))
	assert.Equal(t, 1, strings.Count(err.Error(), dir), "%q", err.Error())
}

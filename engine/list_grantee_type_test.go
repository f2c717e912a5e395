package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// A grantee type alone matches every grantee of that type, page by page,
// alone and with an entity filter.
func TestListGrantsByGranteeType(t *testing.T) {
	e, _ := newTestEngine(t)
	subjects := []model.Subject{
		model.User("u1"), model.Department("d1"), model.User("u2"),
		model.Role("r1"), model.User("u3"), model.Department("d2"),
	}
	for i := range 5 {
		for _, s := range subjects {
			in := model.GrantInput{Entity: doc(fmt.Sprint("doc", i)), Grantee: s, Level: model.LevelRead}
			if i%2 == 1 {
				in.Entity = folder(fmt.Sprint("f", i))
			}
			mustCreate(t, e, testOrg, in)
		}
	}
	all := listAll(t, e, testOrg, model.GrantQuery{})
	require.Len(t, all, 30)

	for _, typ := range []model.SubjectType{model.SubjectUser, model.SubjectDepartment, model.SubjectRole} {
		for _, entity := range []model.EntityRef{{}, {Type: "document"}, doc("doc2")} {
			t.Run(fmt.Sprintf("%s/%s", typ, entity), func(t *testing.T) {
				var want []model.Grant
				for _, g := range all {
					if g.Grantee.Type == typ && (entity.Type == "" || g.Entity.Type == entity.Type) &&
						(entity.ID == "" || g.Entity.ID == entity.ID) {
						want = append(want, g)
					}
				}
				require.NotEmpty(t, want)
				for _, limit := range []int{1, 2, 7, 0} {
					got := listAll(t, e, testOrg, model.GrantQuery{Entity: entity, Grantee: model.Subject{Type: typ}, Limit: limit})
					assert.Equal(t, want, got, "limit %d", limit)
				}
			})
		}
	}
}

func TestListGrantsByGranteeTypeCursorIsTheQuerys(t *testing.T) {
	e, _ := newTestEngine(t)
	for i := range 3 {
		mustCreate(t, e, testOrg, grantInput(fmt.Sprint("d", i), "u1"))
		mustCreate(t, e, testOrg, model.GrantInput{Entity: doc(fmt.Sprint("d", i)), Grantee: model.Role("r1"), Level: model.LevelRead})
	}
	ctx := context.Background()
	users := model.GrantQuery{Grantee: model.Subject{Type: model.SubjectUser}, Limit: 1}
	page, err := e.ListGrants(ctx, testOrg, users)
	require.NoError(t, err)
	require.NotEmpty(t, page.NextCursor)
	roles := model.GrantQuery{Grantee: model.Subject{Type: model.SubjectRole}, Limit: 1, Cursor: page.NextCursor}
	_, err = e.ListGrants(ctx, testOrg, roles)
	assert.ErrorIs(t, err, model.ErrValidation, "a cursor of the users' listing is not the roles'")

	_, err = e.ListGrants(ctx, testOrg, model.GrantQuery{Grantee: model.Subject{Type: "team"}})
	var me *model.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, model.FieldGranteeType, me.Field)
}

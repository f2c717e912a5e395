package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grantdb/grantdb/model"
)

// Check validates only the arguments its lookups miss (a stored id was
// validated when written): a malformed argument is ErrValidation whichever
// of the others the index holds, and a bad id is reported before a bad level.
func TestCheckRefusesMalformedArgumentsBesideKnownOnes(t *testing.T) {
	ctx := context.Background()
	for _, withDeny := range []bool{false, true} {
		e, _ := newTestEngine(t)
		require.NoError(t, e.AddMembers(ctx, testOrg, membership(model.User("ann"), model.Department("eng"))))
		mustCreate(t, e, testOrg, allowOf(doc("d1"), model.Department("eng"), model.LevelRead))
		if withDeny {
			mustCreate(t, e, testOrg, denyOf(doc("d2"), model.User("bob"), model.LevelAdmin))
		}
		cases := []struct {
			name   string
			user   string
			entity model.EntityRef
			level  model.Level
			field  string
		}{
			{"bad user, known entity", "a\x00n", doc("d1"), model.LevelRead, model.FieldUserID},
			{"empty user, known entity", "", doc("d1"), model.LevelAdmin, model.FieldUserID},
			{"known user, bad entity id", "ann", doc("d\x01"), model.LevelRead, model.FieldEntityID},
			{"known user, bad entity type", "ann", model.EntityRef{Type: "Doc!", ID: "d1"}, model.LevelRead, model.FieldEntityType},
			{"bad user before bad entity", "\xff", doc(""), model.LevelRead, model.FieldUserID},
			{"bad user before bad level", "\xff", doc("d1"), model.LevelNone, model.FieldUserID},
			{"bad entity before bad level", "ann", doc(""), model.LevelNone, model.FieldEntityID},
			{"known user and entity, bad level", "ann", doc("d1"), model.Level(9), model.FieldAccessLevel},
		}
		for _, tc := range cases {
			_, err := e.Check(ctx, testOrg, tc.user, tc.entity, tc.level)
			requireModelError(t, err, model.ErrValidation, tc.field)
		}
		ok, err := e.Check(ctx, testOrg, "ann", doc("d1"), model.LevelRead)
		require.NoError(t, err)
		require.True(t, ok)
	}
}

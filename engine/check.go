package engine

import (
	"context"

	"github.com/grantdb/grantdb/model"
	"github.com/grantdb/grantdb/resolve"
)

// Check reports whether user may act on entity at level in org: whether an
// active grant to the user, or to a department or role the user reaches
// through memberships, gives level or more. An unknown user has no access.
func (e *Engine) Check(ctx context.Context, org, user string, entity model.EntityRef, level model.Level) (bool, error) {
	v, err := e.read(ctx, org)
	if err != nil {
		return false, err
	}
	if err := model.ID(model.FieldUserID, user); err != nil {
		return false, err
	}
	if err := e.val.Entity(entity); err != nil {
		return false, err
	}
	if err := model.GrantLevel(level); err != nil {
		return false, err
	}
	return resolve.Check(v.snap.Read(), org, user, entity, level, e.clock())
}
